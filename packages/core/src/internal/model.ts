/**
 * Model calls as `llm_call` effects, and the rendering of session history into model messages.
 *
 * @internal
 */
import { Canonical } from "@lash/lashlang"
import type { Schema } from "effect"
import { Duration, Effect, Schedule } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import { LlmTransportError } from "../Errors.js"
import type { Json } from "../Json.js"
import { type LlmMessage, type LlmProvider, type LlmRequest, LlmResponse } from "../LanguageModel.js"
import type { Message } from "../Session.js"
import type { ToolCallRequest } from "../Tool.js"
import type { NormalizedConfig } from "./config.js"
import { messageText } from "./delta.js"

/** Journal codecs: model replies and transport errors are stored as JSON. */
const llmCodec = {
  success: LlmResponse as unknown as Schema.Schema<LlmResponse, Json>,
  failure: LlmTransportError as unknown as Schema.Schema<LlmTransportError, Json>
}

/** The retry schedule of provider calls: exponential from `baseDelay`, capped at `maxDelay`, jittered. */
const retrySchedule = (cfg: NormalizedConfig["providerRetry"]) =>
  Schedule.exponential(Duration.millis(cfg.baseDelayMs)).pipe(
    Schedule.union(Schedule.spaced(Duration.millis(cfg.maxDelayMs))),
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(Math.max(0, cfg.maxAttempts - 1)))
  )

/** One `llm_call` effect: its local side calls the provider under the retry policy. */
export const callModel = (p: {
  readonly scoped: ScopedEffects
  readonly replayKey: string
  readonly providerId: string
  readonly provider: LlmProvider
  readonly request: LlmRequest
  readonly retry: NormalizedConfig["providerRetry"]
}) =>
  p.scoped.execute(
    {
      scope: p.scoped.scope,
      effectId: p.replayKey,
      kind: "llm_call",
      replayKey: p.replayKey,
      command: { providerId: p.providerId, model: p.request.model.id, request: Canonical.sha256Hex(p.request) }
    },
    llmCodec,
    p.provider.complete(p.request).pipe(
      Effect.retry({ schedule: retrySchedule(p.retry), while: (e: LlmTransportError) => e.retryable }),
      Effect.withSpan("lash.effect.llm_call")
    )
  )

/** The `toolName` of the part that carries an RLM step's outputs back to the model. */
export const RLM_RESULT = "lashlang"

const parseArgs = (content: string): Json => {
  try {
    return JSON.parse(content) as Json
  } catch {
    return content
  }
}

/**
 * Renders messages for a model: `event` messages become user text prefixed `Runtime event:`; an assistant message's
 * tool calls and results become the assistant tool-call message and the `tool` messages that answer it.
 */
export const renderHistory = (messages: ReadonlyArray<Message>): ReadonlyArray<LlmMessage> => {
  const out: Array<LlmMessage> = []
  for (const message of messages) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: messageText(message) })
        break
      case "user":
        out.push({ role: "user", content: messageText(message) })
        break
      case "event":
        out.push({ role: "user", content: `Runtime event: ${messageText(message)}` })
        break
      case "assistant": {
        const toolCalls: Array<ToolCallRequest> = message.parts
          .filter((part) => part.kind === "tool_call")
          .map((part) =>
            part.toolCallId === undefined
              ? { name: part.toolName ?? "", args: parseArgs(part.content) }
              : { callId: part.toolCallId, name: part.toolName ?? "", args: parseArgs(part.content) }
          )
        const prose = message.parts
          .filter((part) => part.kind === "text" || part.kind === "code")
          .map((part) => (part.kind === "code" ? "```lashlang\n" + part.content + "\n```" : part.content))
          .join("\n")
        out.push(
          toolCalls.length > 0
            ? { role: "assistant", content: prose, toolCalls }
            : { role: "assistant", content: prose }
        )
        for (const part of message.parts) {
          // An RLM step's execution result has no tool call to answer: the model reads it as the next user turn.
          if (part.kind === "tool_result" && part.toolName === RLM_RESULT) {
            out.push({ role: "user", content: part.content })
          } else if (part.kind === "tool_result") {
            out.push(
              part.toolCallId === undefined
                ? { role: "tool", content: part.content }
                : { role: "tool", content: part.content, toolCallId: part.toolCallId }
            )
          }
        }
        break
      }
    }
  }
  return out
}
