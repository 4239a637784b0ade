/**
 * The language-model port: `LlmProvider` values resolved by id through `LanguageModelProvider`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import { type LlmTransportError, ProviderNotFound } from "./Errors.js"
import { JsonSchemaDoc, opt } from "./Json.js"
import { ModelSpec, TokenUsage } from "./Model.js"
import { ToolCallRequest } from "./Tool.js"

/** One message of a model request. @since 0.1.0 */
export const LlmMessage = Schema.Struct({
  role: Schema.Literal("system", "user", "assistant", "tool"),
  content: Schema.String,
  toolCallId: opt(Schema.String),
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

/** A model response. @since 0.1.0 */
export const LlmResponse = Schema.Struct({
  text: Schema.String,
  reasoning: opt(Schema.String),
  toolCalls: Schema.Array(ToolCallRequest),
  usage: TokenUsage
})
/** @since 0.1.0 */
export interface LlmResponse extends Schema.Schema.Type<typeof LlmResponse> {}

/** A model provider. @since 0.1.0 */
export interface LlmProvider {
  readonly kind: string
  complete(req: LlmRequest): Effect.Effect<LlmResponse, LlmTransportError>
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
