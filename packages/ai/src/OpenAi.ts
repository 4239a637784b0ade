/**
 * OpenAI (the Responses API, through `@effect/ai-openai`) as lash's model provider.
 *
 * @since 0.1.0
 */
import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai"
import { FetchHttpClient } from "@effect/platform"
import type { LanguageModelProvider } from "@lash/core"
import { Config, type ConfigError, Context, Effect, Layer, Option, type Redacted } from "effect"
import * as AiProvider from "./AiProvider.js"
import { guardedFetch } from "./internal/sseGuard.js"

/** Options of {@link layer}. @since 0.1.0 */
export interface OpenAiOptions extends Omit<AiProvider.AiProviderOptions, "requestContext"> {
  /** Sent as a bearer token; never logged. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** The API root including `/v1`; default `https://api.openai.com/v1`. */
  readonly apiUrl?: string | undefined
  readonly organizationId?: Redacted.Redacted | undefined
  readonly projectId?: Redacted.Redacted | undefined
  /**
   * Request fields sent with every call (`temperature`, `reasoning`, `store`, ...). `strict` (OpenAI's strict
   * function schemas) is off unless set: strict mode refuses schemas with optional properties, and lash validates
   * every tool call's arguments itself.
   */
  readonly config?: Omit<OpenAiLanguageModel.Config.Service, "model">
}

/**
 * lash's model provider over OpenAI's Responses API, with `fetch` as the HTTP client (its event streams guarded:
 * `internal/sseGuard.ts`). Each request names the
 * session's model (`LashCoreConfig.model.id`) and its output token limit (`limits.outputTokenCapacity`).
 *
 * @since 0.1.0
 */
export const layer = (options: OpenAiOptions = {}): Layer.Layer<LanguageModelProvider> => {
  const { apiKey, apiUrl, organizationId, projectId, ...adapter } = options
  const config = { strict: false, ...options.config }
  return AiProvider.layer({
    ...adapter,
    kind: adapter.kind ?? "openai",
    requestContext: (request) =>
      Context.make(OpenAiLanguageModel.Config, {
        ...config,
        model: request.model.id,
        ...(request.model.limits.outputTokenCapacity === undefined
          ? {}
          : { max_output_tokens: request.model.limits.outputTokenCapacity })
      })
  }).pipe(
    Layer.provide(OpenAiLanguageModel.layer({ model: "", config })),
    Layer.provide(OpenAiClient.layer({ apiKey, apiUrl, organizationId, projectId })),
    // `fetch` with the event-stream guard: a frame broken in transit or a `response.failed` event is an error.
    Layer.provide(
      FetchHttpClient.layer.pipe(
        Layer.provide(
          Layer.succeed(FetchHttpClient.Fetch, guardedFetch((input, init) => globalThis.fetch(input, init)))
        )
      )
    )
  )
}

/**
 * {@link layer} configured through Effect `Config`: by default `OPENAI_API_KEY` (required, read as `Redacted`) and
 * `OPENAI_BASE_URL` (optional).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: {
    readonly apiKey?: Config.Config<Redacted.Redacted>
    readonly apiUrl?: Config.Config<Option.Option<string>>
  } & Omit<OpenAiOptions, "apiKey" | "apiUrl"> = {}
): Layer.Layer<LanguageModelProvider, ConfigError.ConfigError> => {
  const { apiKey, apiUrl, ...rest } = options
  return Layer.unwrapEffect(
    Effect.map(
      Config.all({
        apiKey: apiKey ?? Config.redacted("OPENAI_API_KEY"),
        apiUrl: apiUrl ?? Config.option(Config.string("OPENAI_BASE_URL"))
      }),
      (c) => layer({ ...rest, apiKey: c.apiKey, ...(Option.isSome(c.apiUrl) ? { apiUrl: c.apiUrl.value } : {}) })
    )
  )
}
