/**
 * Anthropic (the Messages API, through `@effect/ai-anthropic`) as lash's model provider.
 *
 * @since 0.1.0
 */
import type { Response } from "@effect/ai"
import { AnthropicClient, AnthropicLanguageModel } from "@effect/ai-anthropic"
import { FetchHttpClient } from "@effect/platform"
import type { LanguageModelProvider, TokenUsage } from "@lash/core"
import { Config, type ConfigError, Context, Effect, Layer, Option, type Redacted } from "effect"
import * as AiProvider from "./AiProvider.js"

/** Options of {@link layer}. @since 0.1.0 */
export interface AnthropicOptions extends Omit<AiProvider.AiProviderOptions, "requestContext" | "usage"> {
  /** Sent as `x-api-key`; never logged. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** The API root without `/v1`; default `https://api.anthropic.com`. */
  readonly apiUrl?: string | undefined
  readonly anthropicVersion?: string | undefined
  /** Request fields sent with every call (`temperature`, `thinking`, ...). */
  readonly config?: Omit<AnthropicLanguageModel.Config.Service, "model">
}

/** The output token limit when the model spec sets none (the Messages API requires one). @since 0.1.0 */
export const DEFAULT_MAX_TOKENS = 4096

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.round(n) : 0)

/**
 * Anthropic's usage, counted the way lash counts it: Anthropic reports `input_tokens` without the tokens read from
 * or written to its prompt cache, so `input` adds them back (as OpenAI counts), with `cacheRead` / `cacheWrite`.
 *
 * @since 0.1.0
 */
export const usage = (finish: Response.FinishPart): TokenUsage => {
  const metadata = finish.metadata as { readonly anthropic?: { readonly usage?: Record<string, unknown> } } | undefined
  const raw = metadata?.anthropic?.usage
  const read = raw?.["cache_read_input_tokens"] ?? finish.usage.cachedInputTokens
  const written = raw?.["cache_creation_input_tokens"]
  return {
    input: count(finish.usage.inputTokens) + count(read) + count(written),
    output: count(finish.usage.outputTokens),
    ...(read === undefined || read === null ? {} : { cacheRead: count(read) }),
    ...(written === undefined || written === null ? {} : { cacheWrite: count(written) })
  }
}

/**
 * lash's model provider over Anthropic's Messages API, with `fetch` as the HTTP client. Each request names the
 * session's model (`LashCoreConfig.model.id`) and sends `limits.outputTokenCapacity` (default 4096) as `max_tokens`.
 *
 * @since 0.1.0
 */
export const layer = (options: AnthropicOptions = {}): Layer.Layer<LanguageModelProvider> => {
  const { anthropicVersion, apiKey, apiUrl, config, ...adapter } = options
  return AiProvider.layer({
    ...adapter,
    kind: adapter.kind ?? "anthropic",
    usage,
    requestContext: (request) =>
      Context.make(AnthropicLanguageModel.Config, {
        ...config,
        model: request.model.id,
        max_tokens: request.model.limits.outputTokenCapacity ?? config?.max_tokens ?? DEFAULT_MAX_TOKENS
      })
  }).pipe(
    Layer.provide(AnthropicLanguageModel.layer({ model: "", ...(config === undefined ? {} : { config }) })),
    Layer.provide(AnthropicClient.layer({ apiKey, apiUrl, anthropicVersion })),
    Layer.provide(FetchHttpClient.layer)
  )
}

/**
 * {@link layer} configured through Effect `Config`: by default `ANTHROPIC_API_KEY` (required, read as `Redacted`)
 * and `ANTHROPIC_BASE_URL` (optional).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: {
    readonly apiKey?: Config.Config<Redacted.Redacted>
    readonly apiUrl?: Config.Config<Option.Option<string>>
  } & Omit<AnthropicOptions, "apiKey" | "apiUrl"> = {}
): Layer.Layer<LanguageModelProvider, ConfigError.ConfigError> => {
  const { apiKey, apiUrl, ...rest } = options
  return Layer.unwrapEffect(
    Effect.map(
      Config.all({
        apiKey: apiKey ?? Config.redacted("ANTHROPIC_API_KEY"),
        apiUrl: apiUrl ?? Config.option(Config.string("ANTHROPIC_BASE_URL"))
      }),
      (c) => layer({ ...rest, apiKey: c.apiKey, ...(Option.isSome(c.apiUrl) ? { apiUrl: c.apiUrl.value } : {}) })
    )
  )
}
