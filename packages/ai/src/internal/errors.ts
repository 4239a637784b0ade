/**
 * `@effect/ai` failures as lash's `LlmTransportError`: what retrying can fix is `retryable` (429, 408, 5xx, resets,
 * timeouts, malformed or truncated replies, a provider's transient mid-stream error), with the provider's
 * `Retry-After`; what it cannot (400, 401, 403, 404, 422, a request lash could not encode) is not, and `detail`
 * carries the provider's own message.
 *
 * @internal
 */
import type { AiError } from "@effect/ai"
import { LlmTransportError } from "@lash/core"
import { MALFORMED_EVENT } from "./sseGuard.js"

const DETAIL_LIMIT = 500

const bounded = (text: string): string => (text.length > DETAIL_LIMIT ? `${text.slice(0, DETAIL_LIMIT)}…` : text)

const parseJson = (text: string | undefined): unknown => {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

/**
 * The provider's own message in an error body: OpenAI's `{ error: { message } }`, Anthropic's `{ type: "error",
 * error: { type, message } }`, and the common `{ message }` / `{ error: "..." }` of OpenAI-compatible servers.
 */
export const providerMessage = (body: unknown): string | undefined => {
  const error = field(body, "error")
  const message = field(error, "message") ?? field(body, "message") ?? (typeof error === "string" ? error : undefined)
  if (typeof message !== "string") return undefined
  const type = field(error, "type") ?? field(error, "code")
  return typeof type === "string" && type.length > 0 && !message.includes(type) ? `${type}: ${message}` : message
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in milliseconds from `nowMs`. */
export const retryAfterMs = (headers: Readonly<Record<string, string>>, nowMs: number): number | undefined => {
  const millis = headers["retry-after-ms"]
  if (millis !== undefined && Number.isFinite(Number(millis)) && Number(millis) >= 0) return Math.round(Number(millis))
  const after = headers["retry-after"]
  if (after === undefined) return undefined
  const seconds = Number(after)
  if (after.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000))
  const at = Date.parse(after)
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined
}

/** Statuses a retry may fix: a timeout, a conflict, rate limiting and server errors (incl. Anthropic's 529). */
export const retryableStatus = (status: number): boolean =>
  status === 408 || status === 409 || status === 425 || status === 429 || status >= 500

const causeMessage = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error && inner.message !== cause.message
      ? `${cause.message} (${inner.message})`
      : cause.message
  }
  return cause === undefined ? "" : String(cause)
}

/** Maps an `@effect/ai` error to the error the core retries or reports. */
export const fromAiError = (providerId: string, error: AiError.AiError, nowMs: number): LlmTransportError => {
  switch (error._tag) {
    case "HttpResponseError": {
      const status = error.response.status
      if (error.reason !== "StatusCode") {
        return new LlmTransportError({
          providerId,
          retryable: true,
          status,
          detail: bounded(`malformed response body (${error.reason}): ${error.description ?? "could not be read"}`)
        })
      }
      const body = parseJson(error.body) ?? parseJson(error.description)
      const message = providerMessage(body) ?? error.body ?? error.description ?? `HTTP ${status}`
      const wait = retryAfterMs(error.response.headers, nowMs)
      return new LlmTransportError({
        providerId,
        retryable: retryableStatus(status),
        status,
        detail: bounded(message),
        ...(wait === undefined ? {} : { retryAfterMs: wait })
      })
    }
    case "HttpRequestError":
      return new LlmTransportError({
        providerId,
        retryable: error.reason === "Transport",
        detail: bounded(
          `${error.reason === "Transport" ? "connection failed" : `request could not be sent (${error.reason})`}: ${
            error.description ?? causeMessage(error.cause)
          }`
        )
      })
    case "MalformedOutput":
      return new LlmTransportError({
        providerId,
        retryable: true,
        detail: bounded(`malformed reply: ${error.description ?? causeMessage(error.cause)}`)
      })
    case "MalformedInput":
      return new LlmTransportError({
        providerId,
        retryable: false,
        detail: bounded(`the request could not be built: ${error.description ?? causeMessage(error.cause)}`)
      })
    case "UnknownError":
      return new LlmTransportError({
        providerId,
        retryable: false,
        detail: bounded(error.description ?? causeMessage(error.cause))
      })
  }
}

/** Error types a provider names in a mid-stream error that retrying cannot fix. */
const PERMANENT = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "invalid_api_key",
  "context_length_exceeded",
  "invalid_prompt"
])

/**
 * A provider's mid-stream `error` part (Anthropic's `{ type, message }`, OpenAI's `{ type: "error", code, message }`
 * and its `response.failed`, a chat-completions server's `{ error: { type, message } }`): retryable unless its type
 * says the request itself is wrong.
 */
export const fromStreamError = (providerId: string, payload: unknown): LlmTransportError => {
  const inner = field(payload, "error")
  const own = field(payload, "type")
  // Anthropic's part carries the inner `{ type, message }`; OpenAI's the whole event `{ type: "error", code }`.
  const type = field(inner, "type") ?? field(payload, "code") ?? field(inner, "code") ??
    (own === "error" ? undefined : own)
  const message = field(inner, "message") ?? field(payload, "message")
  const text = typeof message === "string" ? message : JSON.stringify(payload) ?? String(payload)
  // A frame broken in transit, which the stream guard (`sseGuard.ts`) turned into an error event.
  if (type === MALFORMED_EVENT) {
    return new LlmTransportError({ providerId, retryable: true, detail: bounded(`malformed reply: ${text}`) })
  }
  return new LlmTransportError({
    providerId,
    retryable: !(typeof type === "string" && PERMANENT.has(type)),
    detail: bounded(`the provider reported an error mid-stream${typeof type === "string" ? ` (${type})` : ""}: ${text}`)
  })
}
