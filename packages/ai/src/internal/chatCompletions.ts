/**
 * The OpenAI Chat Completions wire format, as OpenAI-compatible servers (Ollama, vLLM, llama.cpp's server, ...)
 * speak it: the request lash sends, the reply and stream-chunk schemas it decodes (lenient where servers differ:
 * optional ids, `null` content, usage only in the last chunk), and their reading into `@effect/ai` response parts.
 *
 * @internal
 */
import { type Prompt, Tool } from "@effect/ai"
import type { LanguageModel, Response } from "@effect/ai"
import { Schema } from "effect"

const Nullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** Token usage as chat-completions servers report it. */
export const ChatUsage = Schema.Struct({
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  total_tokens: Nullable(Schema.Number),
  prompt_tokens_details: Nullable(Schema.Struct({ cached_tokens: Nullable(Schema.Number) }))
})

const ToolCall = Schema.Struct({
  id: Nullable(Schema.String),
  type: Nullable(Schema.String),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})

/** A non-streamed reply. */
export const ChatCompletion = Schema.Struct({
  id: Nullable(Schema.String),
  model: Nullable(Schema.String),
  choices: Schema.NonEmptyArray(
    Schema.Struct({
      message: Schema.Struct({
        content: Nullable(Schema.String),
        reasoning_content: Nullable(Schema.String),
        tool_calls: Nullable(Schema.Array(ToolCall))
      }),
      finish_reason: Nullable(Schema.String)
    })
  ),
  usage: Nullable(ChatUsage)
})
/** @internal */
export type ChatCompletion = typeof ChatCompletion.Type

/** One chunk of a streamed reply. */
export const ChatCompletionChunk = Schema.Struct({
  id: Nullable(Schema.String),
  choices: Schema.Array(
    Schema.Struct({
      delta: Nullable(Schema.Struct({
        content: Nullable(Schema.String),
        reasoning_content: Nullable(Schema.String),
        tool_calls: Nullable(Schema.Array(Schema.Struct({
          index: Schema.Number,
          id: Nullable(Schema.String),
          function: Nullable(Schema.Struct({ name: Nullable(Schema.String), arguments: Nullable(Schema.String) }))
        })))
      })),
      finish_reason: Nullable(Schema.String)
    })
  ),
  usage: Nullable(ChatUsage)
})
/** @internal */
export type ChatCompletionChunk = typeof ChatCompletionChunk.Type

/** A chat message as lash sends it. */
type ChatMessage =
  | { readonly role: "system" | "user"; readonly content: string }
  | {
    readonly role: "assistant"
    readonly content: string | null
    readonly tool_calls?: ReadonlyArray<
      {
        readonly id: string
        readonly type: "function"
        readonly function: { readonly name: string; readonly arguments: string }
      }
    >
  }
  | { readonly role: "tool"; readonly tool_call_id: string; readonly content: string }

const textOf = (parts: ReadonlyArray<{ readonly type: string; readonly text?: string }>): string =>
  parts.flatMap((part) => (part.type === "text" && part.text !== undefined ? [part.text] : [])).join("\n")

const resultText = (result: unknown): string => (typeof result === "string" ? result : JSON.stringify(result))

/** The prompt as chat messages: assistant tool calls with their JSON arguments, one `tool` message per result. */
export const messagesOf = (prompt: Prompt.Prompt): Array<ChatMessage> => {
  const out: Array<ChatMessage> = []
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        out.push({ role: "system", content: message.content })
        break
      case "user":
        out.push({ role: "user", content: textOf(message.content) })
        break
      case "assistant": {
        const text = textOf(message.content)
        const calls = message.content.flatMap((part) =>
          part.type === "tool-call" && !part.providerExecuted
            ? [{
              id: part.id,
              type: "function" as const,
              function: { name: part.name, arguments: JSON.stringify(part.params) }
            }]
            : []
        )
        out.push(
          calls.length > 0
            ? { role: "assistant", content: text.length > 0 ? text : null, tool_calls: calls }
            : { role: "assistant", content: text }
        )
        break
      }
      case "tool":
        for (const part of message.content) {
          out.push({ role: "tool", tool_call_id: part.id, content: resultText(part.result) })
        }
        break
    }
  }
  return out
}

/** The tools of a request as chat-completions `function` tools. */
export const toolsOf = (options: LanguageModel.ProviderOptions) =>
  options.tools.map((tool) => ({
    type: "function" as const,
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: Tool.getJsonSchema(tool as never)
    }
  }))

/** A chat-completions `finish_reason` as `@effect/ai`'s. */
export const finishReasonOf = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    case "content_filter":
      return "content-filter"
    case null:
    case undefined:
      return "unknown"
    default:
      return "other"
  }
}

/** Chat-completions usage as `@effect/ai`'s (every key present, as its schema wants). */
export const usageOf = (usage: typeof ChatUsage.Type | null | undefined): typeof Response.Usage.Encoded => ({
  inputTokens: usage?.prompt_tokens,
  outputTokens: usage?.completion_tokens,
  totalTokens: usage?.total_tokens ?? (usage === undefined || usage === null
    ? undefined
    : usage.prompt_tokens + usage.completion_tokens),
  ...(usage?.prompt_tokens_details?.cached_tokens === undefined || usage.prompt_tokens_details.cached_tokens === null
    ? {}
    : { cachedInputTokens: usage.prompt_tokens_details.cached_tokens })
})

/** Parses a tool call's JSON arguments (an empty string is `{}`); `undefined` when they are not JSON. */
export const parseArguments = (
  text: string
): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  if (text.trim() === "") return { ok: true, value: {} }
  try {
    return { ok: true, value: Tool.unsafeSecureJsonParse(text) }
  } catch {
    return { ok: false }
  }
}
