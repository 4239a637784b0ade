/**
 * Any OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp's server, LM Studio, gateways) as lash's
 * model: a base URL (the API root, e.g. `http://127.0.0.1:11434/v1`) and an optional key. `@effect/ai-openai` 0.41
 * speaks only OpenAI's Responses API, so this is lash's own `@effect/ai` `LanguageModel` over `@effect/platform`'s
 * `HttpClient` (`POST <baseUrl>/chat/completions`, plain or streamed as server-sent events).
 *
 * @since 0.1.0
 */
import { AiError, LanguageModel, type Response } from "@effect/ai"
import * as Sse from "@effect/experimental/Sse"
import { FetchHttpClient, HttpBody, HttpClient, type HttpClientError, HttpClientRequest } from "@effect/platform"
import type { LanguageModelProvider } from "@lash/core"
import {
  Config,
  type ConfigError,
  Context,
  Effect,
  Layer,
  Option,
  type ParseResult,
  type Redacted,
  Schema,
  Stream
} from "effect"
import * as AiProvider from "./AiProvider.js"
import {
  ChatCompletion,
  ChatCompletionChunk,
  type ChatUsage,
  finishReasonOf,
  messagesOf,
  parseArguments,
  toolsOf,
  usageOf
} from "./internal/chatCompletions.js"

/**
 * Request settings: the model, the output token limit and any other chat-completions field (`temperature`,
 * `top_p`, `seed`, ...), sent as they are. Provided per call by the adapter (the session's model id and limit).
 *
 * @since 0.1.0
 */
export class ChatConfig extends Context.Tag("@lash/ai/OpenAiCompatible/ChatConfig")<ChatConfig, {
  readonly model?: string
  readonly max_tokens?: number
  readonly [field: string]: unknown
}>() {}

/** Where the server is. @since 0.1.0 */
export interface ClientOptions {
  /** The API root the paths are appended to, e.g. `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <key>` when present; never logged. */
  readonly apiKey?: Redacted.Redacted | undefined
}

const errors = (method: string) => ({
  RequestError: (error: HttpClientError.RequestError) =>
    AiError.HttpRequestError.fromRequestError({ module: "OpenAiCompatible", method, error }),
  ResponseError: (error: HttpClientError.ResponseError) =>
    AiError.HttpResponseError.fromResponseError({ module: "OpenAiCompatible", method, error }),
  ParseError: (error: ParseResult.ParseError) =>
    AiError.MalformedOutput.fromParseError({ module: "OpenAiCompatible", method, error })
})

const malformed = (method: string, description: string) =>
  new AiError.MalformedOutput({ module: "OpenAiCompatible", method, description })

/**
 * An `@effect/ai` `LanguageModel` over a chat-completions server.
 *
 * @since 0.1.0
 */
export const makeLanguageModel = (
  options: ClientOptions
): Effect.Effect<LanguageModel.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(options.baseUrl.replace(/\/+$/, "")),
          options.apiKey === undefined ? (r) => r : HttpClientRequest.bearerToken(options.apiKey),
          HttpClientRequest.acceptJson
        )
      ),
      HttpClient.filterStatusOk
    )
    const body = (provider: LanguageModel.ProviderOptions, stream: boolean) =>
      Effect.map(Effect.serviceOption(ChatConfig), (config) => {
        const tools = toolsOf(provider)
        return {
          ...Option.getOrElse(config, () => ({})),
          messages: messagesOf(provider.prompt),
          ...(tools.length > 0 ? { tools, tool_choice: "auto" } : {}),
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {})
        }
      })
    const post = (payload: unknown) =>
      HttpClientRequest.post("/chat/completions", { body: HttpBody.unsafeJson(payload) })

    const generateText = (provider: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const response = yield* http.execute(post(yield* body(provider, false)))
        const completion = yield* Effect.flatMap(response.json, Schema.decodeUnknown(ChatCompletion))
        const choice = completion.choices[0]
        const parts: Array<Response.PartEncoded> = []
        if (choice.message.reasoning_content != null && choice.message.reasoning_content.length > 0) {
          parts.push({ type: "reasoning", text: choice.message.reasoning_content })
        }
        if (choice.message.content != null && choice.message.content.length > 0) {
          parts.push({ type: "text", text: choice.message.content })
        }
        for (const [i, call] of (choice.message.tool_calls ?? []).entries()) {
          const args = parseArguments(call.function.arguments)
          if (!args.ok) {
            return yield* malformed("generateText", `tool call ${call.function.name} has arguments that are not JSON`)
          }
          parts.push({ type: "tool-call", id: call.id ?? `call_${i}`, name: call.function.name, params: args.value })
        }
        parts.push({ type: "finish", reason: finishReasonOf(choice.finish_reason), usage: usageOf(completion.usage) })
        return parts
      }).pipe(Effect.scoped, Effect.catchTags(errors("generateText")))

    const streamText = (
      provider: LanguageModel.ProviderOptions
    ): Stream.Stream<Response.StreamPartEncoded, AiError.AiError> =>
      Stream.suspend(() => {
        const calls = new Map<number, { id: string; name: string; arguments: string }>()
        let finishReason: string | null | undefined = undefined
        let usage: typeof ChatUsage.Type | null | undefined = undefined
        let done = false
        const decode = Schema.decodeUnknown(ChatCompletionChunk)
        const finishParts = (): Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError> =>
          Effect.gen(function*() {
            done = true
            const parts: Array<Response.StreamPartEncoded> = []
            for (const [index, call] of [...calls.entries()].sort(([a], [b]) => a - b)) {
              const args = parseArguments(call.arguments)
              if (!args.ok) {
                return yield* malformed("streamText", `tool call ${call.name} has arguments that are not JSON`)
              }
              parts.push({
                type: "tool-call",
                id: call.id.length > 0 ? call.id : `call_${index}`,
                name: call.name,
                params: args.value
              })
            }
            parts.push({ type: "finish", reason: finishReasonOf(finishReason), usage: usageOf(usage) })
            return parts
          })
        const events = Stream.unwrapScoped(
          Effect.map(Effect.flatMap(body(provider, true), (payload) => http.execute(post(payload))), (r) => r.stream)
        ).pipe(
          Stream.decodeText(),
          Stream.pipeThroughChannel(Sse.makeChannel()),
          Stream.takeWhile(() => !done),
          Stream.mapEffect(
            (event): Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError | ParseResult.ParseError> => {
              if (event.data.trim() === "[DONE]") return finishParts()
              let raw: unknown
              try {
                raw = JSON.parse(event.data)
              } catch {
                return malformed("streamText", `an event is not JSON: ${event.data.slice(0, 200)}`)
              }
              // A server that fails mid-stream sends `{ "error": {...} }` as an event.
              const error = typeof raw === "object" && raw !== null ? (raw as { error?: unknown }).error : undefined
              if (error !== undefined && error !== null) return Effect.succeed([{ type: "error", error: raw }])
              return Effect.map(decode(raw), (chunk): Array<Response.StreamPartEncoded> => {
                if (chunk.usage != null) usage = chunk.usage
                const out: Array<Response.StreamPartEncoded> = []
                for (const choice of chunk.choices) {
                  if (choice.finish_reason != null) finishReason = choice.finish_reason
                  const delta = choice.delta
                  if (delta == null) continue
                  if (delta.reasoning_content != null && delta.reasoning_content.length > 0) {
                    out.push({ type: "reasoning-delta", id: "reasoning", delta: delta.reasoning_content })
                  }
                  if (delta.content != null && delta.content.length > 0) {
                    out.push({ type: "text-delta", id: "text", delta: delta.content })
                  }
                  for (const call of delta.tool_calls ?? []) {
                    const known = calls.get(call.index) ?? { id: "", name: "", arguments: "" }
                    if (call.id != null) known.id = call.id
                    if (call.function?.name != null) known.name += call.function.name
                    if (call.function?.arguments != null) known.arguments += call.function.arguments
                    calls.set(call.index, known)
                  }
                }
                return out
              })
            }
          ),
          Stream.flattenIterables
        )
        // A server that closes after its finish reason without `[DONE]` still finished; one that stops earlier did not
        // (no finish part: the adapter reports a truncated reply).
        const end = Stream.unwrap(
          Effect.suspend(() =>
            done || finishReason == null ? Effect.succeed(Stream.empty) : Effect.map(finishParts(), Stream.fromIterable)
          )
        )
        return Stream.concat(events, end)
      }).pipe(Stream.catchTags(errors("streamText")))

    return yield* LanguageModel.make({ generateText, streamText })
  })

/** Options of {@link layer}. @since 0.1.0 */
export interface OpenAiCompatibleOptions extends ClientOptions, Omit<AiProvider.AiProviderOptions, "requestContext"> {
  /** Extra chat-completions fields sent with every request (`temperature`, `top_p`, ...). */
  readonly config?: Omit<Context.Tag.Service<ChatConfig>, "model" | "max_tokens">
}

/**
 * lash's model provider over an OpenAI-compatible server, with `fetch` as the HTTP client. Each request names the
 * session's model (`LashCoreConfig.model.id`) and its output token limit (`limits.outputTokenCapacity`).
 *
 * @since 0.1.0
 */
export const layer = (options: OpenAiCompatibleOptions): Layer.Layer<LanguageModelProvider> =>
  AiProvider.layer({
    ...options,
    kind: options.kind ?? "openai-compatible",
    requestContext: (request) =>
      Context.make(ChatConfig, {
        ...options.config,
        model: request.model.id,
        ...(request.model.limits.outputTokenCapacity === undefined
          ? {}
          : { max_tokens: request.model.limits.outputTokenCapacity })
      })
  }).pipe(
    Layer.provide(Layer.effect(LanguageModel.LanguageModel, makeLanguageModel(options))),
    Layer.provide(FetchHttpClient.layer)
  )

/**
 * {@link layer} configured through Effect `Config`: by default `OPENAI_COMPATIBLE_BASE_URL` (required) and
 * `OPENAI_COMPATIBLE_API_KEY` (optional, read as `Redacted`).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: {
    readonly baseUrl?: Config.Config<string>
    readonly apiKey?: Config.Config<Option.Option<Redacted.Redacted>>
  } & Omit<OpenAiCompatibleOptions, "baseUrl" | "apiKey"> = {}
): Layer.Layer<LanguageModelProvider, ConfigError.ConfigError> => {
  const { apiKey, baseUrl, ...rest } = options
  return Layer.unwrapEffect(
    Effect.map(
      Config.all({
        baseUrl: baseUrl ?? Config.string("OPENAI_COMPATIBLE_BASE_URL"),
        apiKey: apiKey ?? Config.option(Config.redacted("OPENAI_COMPATIBLE_API_KEY"))
      }),
      (config) =>
        layer({
          ...rest,
          baseUrl: config.baseUrl,
          ...(Option.isSome(config.apiKey) ? { apiKey: config.apiKey.value } : {})
        })
    )
  )
}
