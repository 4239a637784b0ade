/**
 * The language-model port: `LlmProvider` values resolved by id through `LanguageModelProvider`. `@lash/ai` turns
 * any `@effect/ai` `LanguageModel` (OpenAI, Anthropic, an OpenAI-compatible server) into one; `@lash/testing`'s
 * `TestProvider` is a scripted one.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema, type Stream } from "effect"
import { type LlmTransportError, ProviderNotFound } from "./Errors.js"
import { JsonSchemaDoc, opt } from "./Json.js"
import { ModelSpec, TokenUsage } from "./Model.js"
import { ToolCallRequest } from "./Tool.js"

/**
 * One message of a model request. A `tool` message answers the assistant tool call `toolCallId` (of tool
 * `toolName`); `isError` marks a failed tool call, which `content` describes in one line.
 *
 * @since 0.1.0
 */
export const LlmMessage = Schema.Struct({
  role: Schema.Literal("system", "user", "assistant", "tool"),
  content: Schema.String,
  toolCallId: opt(Schema.String),
  toolName: opt(Schema.String),
  isError: opt(Schema.Boolean),
  toolCalls: opt(Schema.Array(ToolCallRequest))
})
/** @since 0.1.0 */
export interface LlmMessage extends Schema.Schema.Type<typeof LlmMessage> {}

/** A native tool offered to the model (standard mode only). @since 0.1.0 */
export const LlmToolSpec = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  inputSchema: JsonSchemaDoc
})
/** @since 0.1.0 */
export interface LlmToolSpec extends Schema.Schema.Type<typeof LlmToolSpec> {}

/** A model request. @since 0.1.0 */
export const LlmRequest = Schema.Struct({
  model: ModelSpec,
  messages: Schema.Array(LlmMessage),
  tools: Schema.Array(LlmToolSpec)
})
/** @since 0.1.0 */
export interface LlmRequest extends Schema.Schema.Type<typeof LlmRequest> {}

/**
 * Why the model stopped: `stop` (it finished), `length` (the output token limit cut it), `tool_calls`,
 * `content_filter`, `error`, `other`, `unknown` (the provider did not say).
 *
 * @since 0.1.0
 */
export const FinishReason = Schema.Literal(
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "error",
  "other",
  "unknown"
)
/** @since 0.1.0 */
export type FinishReason = typeof FinishReason.Type

/**
 * A model response. Every provider's reply is decoded by this schema at the port, so a provider that answers
 * `null`, a missing text or a non-finite usage fails the call with a typed `LlmTransportError`.
 *
 * @since 0.1.0
 */
export const LlmResponse = Schema.Struct({
  text: Schema.String,
  reasoning: opt(Schema.String),
  toolCalls: Schema.Array(ToolCallRequest),
  usage: TokenUsage,
  finishReason: opt(FinishReason)
})
/** @since 0.1.0 */
export interface LlmResponse extends Schema.Schema.Type<typeof LlmResponse> {}

/**
 * One part of a streamed model reply: text and reasoning deltas as they arrive, then exactly one `response` part
 * carrying the whole reply (its text is the concatenation of the text deltas). A stream that ends without its
 * `response` part is a truncated reply, and fails.
 *
 * @since 0.1.0
 */
export type LlmStreamPart =
  | { readonly type: "text_delta"; readonly text: string }
  | { readonly type: "reasoning_delta"; readonly text: string }
  | { readonly type: "response"; readonly response: LlmResponse }

/**
 * A model provider. `complete` answers a request in one piece; `stream`, when present, answers it as it is
 * generated (`TurnRequest.stream` uses it; without it a streamed turn shows each reply as one delta).
 *
 * @since 0.1.0
 */
export interface LlmProvider {
  readonly kind: string
  complete(req: LlmRequest): Effect.Effect<LlmResponse, LlmTransportError>
  stream?(req: LlmRequest): Stream.Stream<LlmStreamPart, LlmTransportError>
}

/** The service shape of {@link LanguageModelProvider}. @since 0.1.0 */
export interface LanguageModelProviderService {
  resolve(providerId: string): Effect.Effect<LlmProvider, ProviderNotFound>
  readonly defaultProviderId: string
}

/**
 * Resolves the provider a session is configured with. Providers are never persisted: a worker or a reopened
 * session resolves the live one by id.
 *
 * @since 0.1.0
 */
export class LanguageModelProvider extends Context.Tag("@lash/core/LanguageModelProvider")<
  LanguageModelProvider,
  LanguageModelProviderService
>() {
  /** One provider; resolves its own `kind` and `""` (inherit), anything else is `ProviderNotFound`. */
  static single(provider: LlmProvider): Layer.Layer<LanguageModelProvider> {
    return Layer.succeed(LanguageModelProvider, {
      defaultProviderId: provider.kind,
      resolve: (providerId) =>
        providerId === provider.kind || providerId === ""
          ? Effect.succeed(provider)
          : Effect.fail(new ProviderNotFound({ providerId }))
    })
  }
}
