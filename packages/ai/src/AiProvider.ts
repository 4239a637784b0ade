/**
 * The adapter: any `@effect/ai` `LanguageModel` as lash's `LlmProvider`.
 *
 * Requests become an `@effect/ai` prompt and toolkit (`internal/request.ts`); replies come back as text, reasoning,
 * tool calls, usage (cached tokens included) and a finish reason; every failure becomes an `LlmTransportError` that
 * says whether retrying can help (`internal/errors.ts`). `@effect/ai` itself never retries; lash's core does, under
 * `providerRetry`, honouring the provider's `Retry-After`. A streamed reply that stops before its finish part, a
 * provider's mid-stream error, a silent stream and a call past its deadline are retryable failures too.
 *
 * @since 0.1.0
 */
import { type AiError, LanguageModel, type Response } from "@effect/ai"
import {
  type FinishReason,
  isJson,
  type Json,
  LanguageModelProvider,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  type LlmStreamPart,
  LlmTransportError,
  type TokenUsage,
  type ToolCallRequest
} from "@lash/core"
import { Clock, Context, Duration, Effect, Layer, Stream } from "effect"
import { fromAiError, fromStreamError } from "./internal/errors.js"
import { promptOf, toolkitOf } from "./internal/request.js"

/** Options of {@link make}. @since 0.1.0 */
export interface AiProviderOptions {
  /** The provider id sessions resolve (`LlmProvider.kind`); default `"ai"`. */
  readonly kind?: string
  /**
   * Per-request settings as context for the call: the ready layers use it to send the session's model id and
   * output token limit (`OpenAiLanguageModel.Config`, `AnthropicLanguageModel.Config`, ...).
   */
  readonly requestContext?: (request: LlmRequest) => Context.Context<never>
  /** Reads a reply's token usage; the default reads `@effect/ai`'s usage (input tokens include cached ones). */
  readonly usage?: (finish: Response.FinishPart) => TokenUsage
  /** The longest a non-streamed call may take; default 10 minutes. */
  readonly timeout?: Duration.DurationInput
  /** The longest a streamed reply may stay silent between two parts; default 2 minutes. */
  readonly idleTimeout?: Duration.DurationInput
}

const count = (n: number | undefined): number => (n !== undefined && Number.isFinite(n) && n > 0 ? Math.round(n) : 0)

/** `@effect/ai`'s usage: input tokens (cached ones included, as OpenAI counts them), output and cached tokens. */
export const defaultUsage = (finish: Response.FinishPart): TokenUsage => {
  const usage = finish.usage
  return {
    input: count(usage.inputTokens),
    output: count(usage.outputTokens),
    ...(usage.cachedInputTokens === undefined ? {} : { cacheRead: count(usage.cachedInputTokens) })
  }
}

const finishReasons: Record<Response.FinishReason, FinishReason> = {
  "stop": "stop",
  "length": "length",
  "content-filter": "content_filter",
  "tool-calls": "tool_calls",
  "error": "error",
  "pause": "other",
  "other": "other",
  "unknown": "unknown"
}

const argsOf = (params: unknown): Json => (isJson(params) ? params : JSON.stringify(params) ?? null)

const toolCallOf = (part: Response.ToolCallPart<string, unknown>): ToolCallRequest => ({
  callId: part.id,
  name: part.name,
  args: argsOf(part.params)
})

/** What a reply is made of, gathered from its parts (whole or streamed). */
class Reply {
  text = ""
  reasoning = ""
  readonly toolCalls: Array<ToolCallRequest> = []
  finish: Response.FinishPart | undefined = undefined

  add(part: Response.AllParts<any>): void {
    switch (part.type) {
      case "text":
        this.text += part.text
        break
      case "text-delta":
        this.text += part.delta
        break
      case "reasoning":
        this.reasoning += part.text
        break
      case "reasoning-delta":
        this.reasoning += part.delta
        break
      case "tool-call":
        if (part.providerExecuted !== true) this.toolCalls.push(toolCallOf(part))
        break
      case "finish":
        this.finish = part
        break
    }
  }

  /** The reply as lash's response; a missing finish part is a truncated reply, an `error` finish a failed one. */
  settle(
    providerId: string,
    usageOf: (finish: Response.FinishPart) => TokenUsage
  ): Effect.Effect<LlmResponse, LlmTransportError> {
    const finish = this.finish
    if (finish === undefined) {
      return Effect.fail(
        new LlmTransportError({
          providerId,
          retryable: true,
          detail: "the reply ended before its finish part (truncated)"
        })
      )
    }
    if (finish.reason === "error") {
      return Effect.fail(
        new LlmTransportError({ providerId, retryable: true, detail: "the provider ended the reply with an error" })
      )
    }
    return Effect.succeed({
      text: this.text,
      ...(this.reasoning.length > 0 ? { reasoning: this.reasoning } : {}),
      toolCalls: this.toolCalls,
      usage: usageOf(finish),
      finishReason: finishReasons[finish.reason]
    })
  }
}

/**
 * An `LlmProvider` over an `@effect/ai` `LanguageModel`. `complete` uses `generateText`, `stream` uses
 * `streamText`; both offer the request's tools and leave tool calls to lash.
 *
 * @since 0.1.0
 */
export const make = (model: LanguageModel.Service, options: AiProviderOptions = {}): LlmProvider => {
  const kind = options.kind ?? "ai"
  const usageOf = options.usage ?? defaultUsage
  const timeout = Duration.decode(options.timeout ?? "10 minutes")
  const idleTimeout = Duration.decode(options.idleTimeout ?? "2 minutes")
  const context = (request: LlmRequest) => options.requestContext?.(request) ?? Context.empty()
  const mapError = (error: AiError.AiError) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(fromAiError(kind, error, now)))
  const generateOptions = (request: LlmRequest) => ({
    prompt: promptOf(request),
    ...(request.tools.length > 0 ? { toolkit: toolkitOf(request.tools) } : {}),
    disableToolCallResolution: true as const
  })
  const timedOut = (what: string, d: Duration.Duration) =>
    new LlmTransportError({ providerId: kind, retryable: true, detail: `${what} (${Duration.format(d)})` })

  const complete = (request: LlmRequest): Effect.Effect<LlmResponse, LlmTransportError> =>
    model.generateText(generateOptions(request)).pipe(
      Effect.catchAll(mapError),
      Effect.flatMap((response) => {
        const reply = new Reply()
        for (const part of response.content) reply.add(part)
        return reply.settle(kind, usageOf)
      }),
      Effect.timeoutFail({ duration: timeout, onTimeout: () => timedOut("the model call timed out", timeout) }),
      Effect.mapInputContext((current: Context.Context<never>) => Context.merge(current, context(request)))
    )

  const stream = (request: LlmRequest): Stream.Stream<LlmStreamPart, LlmTransportError> =>
    Stream.suspend(() => {
      const reply = new Reply()
      const parts = model.streamText(generateOptions(request)).pipe(
        Stream.catchAll((error) => Stream.fromEffect(mapError(error))),
        Stream.timeoutFail(() => timedOut("the reply stream went silent", idleTimeout), idleTimeout),
        Stream.mapEffect((part): Effect.Effect<LlmStreamPart | undefined, LlmTransportError> => {
          if (part.type === "error") return Effect.fail(fromStreamError(kind, part.error))
          reply.add(part)
          if (part.type === "text-delta" && part.delta.length > 0) {
            return Effect.succeed({ type: "text_delta", text: part.delta })
          }
          if (part.type === "reasoning-delta" && part.delta.length > 0) {
            return Effect.succeed({ type: "reasoning_delta", text: part.delta })
          }
          return Effect.succeed(undefined)
        }),
        Stream.filter((part): part is LlmStreamPart => part !== undefined)
      )
      const end = Stream.fromEffect(
        Effect.suspend(() => reply.settle(kind, usageOf)).pipe(
          Effect.map((response): LlmStreamPart => ({ type: "response", response }))
        )
      )
      return Stream.concat(parts, end)
    }).pipe(Stream.mapInputContext((current: Context.Context<never>) => Context.merge(current, context(request))))

  return { kind, complete, stream }
}

/**
 * The `LanguageModelProvider` over the `LanguageModel` in context: one provider, resolved by its `kind` (and by `""`).
 *
 * @since 0.1.0
 */
export const layer = (
  options: AiProviderOptions = {}
): Layer.Layer<LanguageModelProvider, never, LanguageModel.LanguageModel> =>
  Layer.unwrapEffect(
    Effect.map(LanguageModel.LanguageModel, (model) => LanguageModelProvider.single(make(model, options)))
  )
