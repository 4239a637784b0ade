/**
 * A lash `LlmRequest` as an `@effect/ai` prompt and toolkit.
 *
 * Tools are offered with their JSON Schema as it is (a `Schema.Unknown` carrying the schema as its JSON Schema
 * annotation), so the provider sends exactly the schema lash validates against; the arguments the model writes
 * come back undecoded and lash's tool catalog validates them, so a bad argument reaches the model as a tool result
 * instead of failing the call. Tool calls are never resolved by `@effect/ai`: lash runs tools itself, as journaled
 * effects.
 *
 * @internal
 */
import { type Prompt, Tool, type Toolkit } from "@effect/ai"
import type { LlmMessage, LlmRequest, LlmToolSpec } from "@lash/core"
import { Effect, Schema } from "effect"

const withoutDialect = (schema: LlmToolSpec["inputSchema"]) => {
  // Providers read the schema body; a `$schema` URI is noise to them (and OpenAI's strict mode rejects it).
  const { $schema: _, ...rest } = schema
  return rest
}

/** One `@effect/ai` tool per lash tool spec: its JSON Schema verbatim, parameters passed through undecoded. */
export const toolOf = (spec: LlmToolSpec) =>
  Tool.make(spec.name, { description: spec.description }).setParameters(
    Schema.Unknown.annotations({ jsonSchema: withoutDialect(spec.inputSchema) }) as never
  )

/** A toolkit whose handlers are never called (`disableToolCallResolution`): it only describes the tools. */
export const toolkitOf = (tools: ReadonlyArray<LlmToolSpec>): Toolkit.WithHandler<Record<string, Tool.Any>> => ({
  tools: Object.fromEntries(tools.map((spec) => [spec.name, toolOf(spec) as unknown as Tool.Any])),
  handle: ((name: string) => Effect.dieMessage(`lash runs its tools itself; @effect/ai asked to run ${name}`)) as never
})

/** A tool result's content as the value the provider serialises: the JSON value when it is JSON, else the text. */
const resultValue = (message: LlmMessage): unknown => {
  if (message.isError === true) return message.content
  try {
    return JSON.parse(message.content)
  } catch {
    return message.content
  }
}

/** The messages of a request as an `@effect/ai` prompt; consecutive tool results become one tool message. */
export const promptOf = (request: LlmRequest): Array<Prompt.MessageEncoded> => {
  const out: Array<Prompt.MessageEncoded> = []
  const toolNames = new Map<string, string>()
  for (const message of request.messages) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content })
        break
      case "user":
        out.push({ role: "user", content: [{ type: "text", text: message.content }] })
        break
      case "assistant": {
        const parts: Array<Prompt.AssistantMessagePartEncoded> = []
        if (message.content.length > 0) parts.push({ type: "text", text: message.content })
        for (const [i, call] of (message.toolCalls ?? []).entries()) {
          const id = call.callId ?? `call_${out.length}_${i}`
          toolNames.set(id, call.name)
          parts.push({ type: "tool-call", id, name: call.name, params: call.args, providerExecuted: false })
        }
        out.push({ role: "assistant", content: parts })
        break
      }
      case "tool": {
        const id = message.toolCallId ?? ""
        const part: Prompt.ToolResultPartEncoded = {
          type: "tool-result",
          id,
          name: message.toolName ?? toolNames.get(id) ?? "",
          isFailure: message.isError === true,
          result: resultValue(message),
          providerExecuted: false
        }
        const previous = out[out.length - 1]
        if (previous !== undefined && previous.role === "tool") {
          out[out.length - 1] = { ...previous, content: [...previous.content, part] }
        } else {
          out.push({ role: "tool", content: [part] })
        }
        break
      }
    }
  }
  return out
}
