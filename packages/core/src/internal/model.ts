/**
 * Model calls as `llm_call` effects, and the rendering of session history into model messages.
 *
 * A call's local side asks the provider (streamed when the turn is), decodes the reply at the port (a provider
 * that throws, dies or answers something that is not an `LlmResponse` fails with a typed `LlmTransportError`), and
 * retries retryable failures itself: exponential backoff, jittered, never sooner than the provider's `Retry-After`.
 *
 * @internal
 */
import { Canonical } from "@lash/lashlang"
import { Cause, Duration, Effect, Either, Option, ParseResult, Random, Schema, Stream } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import { type EffectReplayConflict, LlmTransportError, type StoreError } from "../Errors.js"
import type { Json } from "../Json.js"
import {
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  LlmResponse,
  type LlmStreamPart
} from "../LanguageModel.js"
import type { Message } from "../Session.js"
import { type ToolCallRequest, ToolResult } from "../Tool.js"
import type { TurnEvent } from "../Turn.js"
import type { NormalizedConfig } from "./config.js"
import { messageText } from "./delta.js"
import * as Telemetry from "./telemetry.js"

/** Journal codecs: model replies and transport errors are stored as JSON. */
const llmCodec = {
  success: LlmResponse as unknown as Schema.Schema<LlmResponse, Json>,
  failure: LlmTransportError as unknown as Schema.Schema<LlmTransportError, Json>
}

/** `Retry-After` is honoured up to this long; a provider asking for more is waited for this long. */
const RETRY_AFTER_CAP_MS = 5 * 60_000

/** Where a streamed call delivers the reply's text; `reset` voids what it got when a retry starts over. */
export interface TextSink {
  readonly push: (text: string) => Effect.Effect<void>
  readonly reset: () => void
}

/** How a turn observes one model call: its iteration, the event sink, and whether to stream. */
export interface ModelCallObserver {
  readonly iteration: number
  readonly streaming: boolean
  readonly emit: (event: TurnEvent) => Effect.Effect<void>
  readonly text: TextSink
}

const describeDefect = (defect: unknown): string =>
  defect instanceof Error ? defect.message : typeof defect === "string" ? defect : String(defect)

const decodeResponse = Schema.decodeUnknown(LlmResponse, { errors: "all" })

/** Decodes a reply at the port; anything else is a typed, non-retryable error naming what was wrong. */
const decodeAtPort = (providerId: string, value: unknown) =>
  Effect.mapError(
    decodeResponse(value),
    (error) =>
      new LlmTransportError({
        providerId,
        retryable: false,
        detail: `malformed provider response: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
      })
  )

/** Runs a provider method; a throw, a defect, a non-Effect or an untyped failure becomes an `LlmTransportError`. */
const guarded = <A>(providerId: string, what: string, thunk: () => Effect.Effect<A, unknown>) =>
  Effect.suspend(() => {
    const out = thunk() as unknown
    return Effect.isEffect(out)
      ? (out as Effect.Effect<A, unknown>)
      : Effect.fail(
        new LlmTransportError({
          providerId,
          retryable: false,
          detail: `provider ${what} returned ${
            out === null ? "null" : out instanceof Promise ? "a Promise" : typeof out
          } instead of an Effect`
        })
      )
  }).pipe(
    Effect.catchAllCause((cause): Effect.Effect<never, LlmTransportError> => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure) && failure.value instanceof LlmTransportError) return Effect.fail(failure.value)
      const error = new LlmTransportError({
        providerId,
        retryable: false,
        detail: Option.isSome(failure)
          ? `provider ${what} failed with an untyped error: ${describeDefect(failure.value)}`
          : `provider ${what} crashed: ${describeDefect(Option.getOrElse(Cause.dieOption(cause), () => cause))}`
      })
      return Effect.zipRight(Effect.logError(error.message, cause), Effect.fail(error))
    })
  )

/** One `complete` call, decoded at the port. */
const completeOnce = (provider: LlmProvider, request: LlmRequest) =>
  Effect.flatMap(
    guarded(provider.kind, "complete", () => provider.complete(request)),
    (value) => decodeAtPort(provider.kind, value)
  )

/** One streamed call: deltas go to the observer as they arrive; the final `response` part is the result. */
const streamOnce = (
  provider: LlmProvider,
  stream: NonNullable<LlmProvider["stream"]>,
  request: LlmRequest,
  observer: ModelCallObserver,
  delivered: { text: boolean; reasoning: boolean }
) =>
  Effect.flatMap(
    guarded(provider.kind, "stream", () => {
      let response: unknown = undefined
      const parts = stream.call(provider, request) as unknown
      if (typeof parts !== "object" || parts === null || !(Stream.StreamTypeId in parts)) {
        return Effect.fail(
          new LlmTransportError({
            providerId: provider.kind,
            retryable: false,
            detail: "provider stream returned no Stream"
          })
        )
      }
      return Stream.runForEach(parts as Stream.Stream<LlmStreamPart, LlmTransportError>, (part) => {
        switch (part?.type) {
          case "text_delta":
            if (typeof part.text !== "string") break
            delivered.text = true
            return observer.text.push(part.text)
          case "reasoning_delta":
            if (typeof part.text !== "string") break
            delivered.reasoning = true
            return observer.emit({ type: "reasoning_delta", iteration: observer.iteration, text: part.text })
          case "response":
            response = part.response
            return Effect.void
        }
        return Effect.fail(
          new LlmTransportError({
            providerId: provider.kind,
            retryable: false,
            detail: `malformed stream part: ${JSON.stringify(part) ?? String(part)}`
          })
        )
      }).pipe(
        Effect.flatMap(() =>
          response === undefined
            ? Effect.fail(
              new LlmTransportError({
                providerId: provider.kind,
                retryable: true,
                detail: "the reply stream ended before the response was complete"
              })
            )
            : Effect.succeed(response)
        )
      )
    }),
    (value) => decodeAtPort(provider.kind, value)
  )

/** The delay before retry `attempt + 1`: exponential from `baseDelayMs`, capped, jittered, at least `Retry-After`. */
const retryDelay = (cfg: NormalizedConfig["providerRetry"], attempt: number, error: LlmTransportError) =>
  Effect.map(Random.nextRange(0.8, 1.2), (jitter) => {
    const backoff = Math.min(cfg.maxDelayMs, cfg.baseDelayMs * 2 ** (attempt - 1)) * jitter
    return Math.round(Math.max(backoff, Math.min(error.retryAfterMs ?? 0, RETRY_AFTER_CAP_MS)))
  })

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or `maxAttempts` are used; `onRetry` runs
 * before each wait.
 */
export const withProviderRetry = <A>(
  cfg: NormalizedConfig["providerRetry"],
  attempt: (n: number) => Effect.Effect<A, LlmTransportError>,
  onRetry: (n: number, error: LlmTransportError, delayMs: number) => Effect.Effect<void>
): Effect.Effect<A, LlmTransportError> => {
  const loop = (n: number): Effect.Effect<A, LlmTransportError> =>
    Effect.catchAll(attempt(n), (error) =>
      !error.retryable || n >= cfg.maxAttempts
        ? Effect.fail(error)
        : Effect.flatMap(retryDelay(cfg, n, error), (delayMs) =>
          Effect.logWarning(`model call failed (attempt ${n} of ${cfg.maxAttempts}); retrying in ${delayMs} ms`, error)
            .pipe(
              Effect.zipRight(onRetry(n, error, delayMs)),
              Effect.zipRight(Effect.sleep(Duration.millis(delayMs))),
              Effect.zipRight(loop(n + 1))
            )))
  return loop(1)
}

/**
 * One `llm_call` effect: its local side calls the provider (streamed when the observer asks and the provider can)
 * under the retry policy. When the reply did not arrive as deltas (a replay, a provider without `stream`, a
 * non-streamed turn) its text is handed to the observer in one piece, so a streamed turn always shows it.
 */
export const callModel = (p: {
  readonly scoped: ScopedEffects
  readonly replayKey: string
  readonly providerId: string
  readonly provider: LlmProvider
  readonly request: LlmRequest
  readonly retry: NormalizedConfig["providerRetry"]
  readonly observer?: ModelCallObserver
}): Effect.Effect<LlmResponse, LlmTransportError | StoreError | EffectReplayConflict> =>
  Effect.gen(function*() {
    const observer = p.observer
    const delivered = { text: false, reasoning: false }
    const stream = p.provider.stream
    const attempt = (): Effect.Effect<LlmResponse, LlmTransportError> =>
      observer !== undefined && observer.streaming && stream !== undefined
        ? streamOnce(p.provider, stream, p.request, observer, delivered)
        : completeOnce(p.provider, p.request)
    const local = withProviderRetry(p.retry, attempt, (n, error, delayMs) => {
      if (observer === undefined) return Effect.void
      delivered.text = false
      delivered.reasoning = false
      observer.text.reset()
      return observer.emit({
        type: "model_retry",
        iteration: observer.iteration,
        attempt: n,
        error: error.message,
        delayMs
      })
    })
    const response = yield* p.scoped.execute(
      {
        scope: p.scoped.scope,
        effectId: p.replayKey,
        kind: "llm_call",
        replayKey: p.replayKey,
        // The call is named by its site (turn id and iteration), not by its prompt: a turn re-driven after another
        // writer committed asks with a longer history and must get the reply its first attempt acted on
        // (docs/architecture.md, "Effects and replay").
        command: { providerId: p.providerId, model: p.request.model.id }
      },
      llmCodec,
      local.pipe(Telemetry.llmCallSpan({
        providerId: p.providerId,
        model: p.request.model.id,
        replayKey: p.replayKey,
        scope: p.scoped.scope
      }))
    )
    if (observer !== undefined) {
      if (!delivered.reasoning && response.reasoning !== undefined && response.reasoning.length > 0) {
        yield* observer.emit({ type: "reasoning_delta", iteration: observer.iteration, text: response.reasoning })
      }
      if (!delivered.text && response.text.length > 0) yield* observer.text.push(response.text)
      yield* observer.emit({
        type: "model_replied",
        iteration: observer.iteration,
        usage: response.usage,
        ...(response.finishReason === undefined ? {} : { finishReason: response.finishReason })
      })
    }
    return response
  })

/** The `toolName` of the part that carries an RLM step's outputs back to the model. */
export const RLM_RESULT = "lashlang"

const parseArgs = (content: string): Json => {
  try {
    return JSON.parse(content) as Json
  } catch {
    return content
  }
}

const decodeToolResult = Schema.decodeUnknownEither(Schema.parseJson(ToolResult))

/**
 * What the model reads for a tool result: the value as JSON, or one line `error (<code>): <message>` for a failure.
 * The stored part keeps the whole `ToolResult`.
 */
export const renderToolResult = (content: string): { readonly content: string; readonly isError: boolean } => {
  const decoded = decodeToolResult(content)
  if (Either.isLeft(decoded)) return { content, isError: false }
  const result = decoded.right
  return result.type === "ok"
    ? { content: Canonical.canonicalJsonUnsafe(result.value), isError: false }
    : { content: `error (${result.failure.code}): ${result.failure.message}`, isError: true }
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
            const rendered = renderToolResult(part.content)
            out.push({
              role: "tool",
              content: rendered.content,
              ...(part.toolCallId === undefined ? {} : { toolCallId: part.toolCallId }),
              ...(part.toolName === undefined ? {} : { toolName: part.toolName }),
              ...(rendered.isError ? { isError: true } : {})
            })
          }
        }
        break
      }
    }
  }
  return out
}
