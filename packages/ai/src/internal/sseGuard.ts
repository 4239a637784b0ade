/**
 * A guard on OpenAI's Responses event stream, below `@effect/ai-openai`.
 *
 * `@effect/ai-openai` 0.41 skips a server-sent event it cannot decode (so a frame broken in transit silently loses
 * its text) and turns a `response.failed` event into an ordinary finish (so a failed reply looks like an empty
 * one). This guard sits in `fetch` and reads the raw frames as they pass: a frame whose data is not JSON, and a
 * `response.failed` event, are rewritten into the stream's own `error` event, which `@effect/ai-openai` hands on as
 * an `error` part and the adapter maps to an `LlmTransportError` (`internal/errors.ts`, `fromStreamError`). Every
 * other frame passes unchanged, as soon as it is complete.
 *
 * @internal
 */

/** The `code` of a rewritten non-JSON frame. */
export const MALFORMED_EVENT = "lash_malformed_event"

const PREVIEW = 200

const errorFrame = (code: string, message: string): string =>
  `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: 0, code, message, param: null })}\n\n`

/** The data of one SSE event (its `data:` lines joined), or `undefined` when it has none. */
const dataOf = (event: string): string | undefined => {
  let data: string | undefined = undefined
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data:")) continue
    const value = line.slice(line.startsWith("data: ") ? 6 : 5)
    data = data === undefined ? value : `${data}\n${value}`
  }
  return data
}

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

/** One complete event, checked: itself, or the `error` event that replaces it. */
const checked = (event: string): string => {
  const data = dataOf(event)
  if (data === undefined || data === "[DONE]") return event
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return errorFrame(MALFORMED_EVENT, `an event is not JSON: ${data.slice(0, PREVIEW)}`)
  }
  if (field(parsed, "type") === "response.failed") {
    const error = field(field(parsed, "response"), "error")
    const code = field(error, "code")
    const message = field(error, "message")
    return errorFrame(
      typeof code === "string" ? code : "response_failed",
      typeof message === "string" ? message : "the response failed"
    )
  }
  return event
}

/** The end of the first complete event in `buffer` (after its blank line), or -1. */
const eventEnd = (buffer: string): number => {
  const match = /\r\n\r\n|\n\n|\r\r/.exec(buffer)
  return match === null ? -1 : match.index + match[0].length
}

/** A `TransformStream` that passes complete, checked events through. */
const guardStream = (): TransformStream<Uint8Array, Uint8Array> => {
  const decoder = new TextDecoder()
  const encoder = new TextEncoder()
  let buffer = ""
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true })
      let out = ""
      for (let end = eventEnd(buffer); end >= 0; end = eventEnd(buffer)) {
        out += checked(buffer.slice(0, end))
        buffer = buffer.slice(end)
      }
      if (out.length > 0) controller.enqueue(encoder.encode(out))
    },
    flush(controller) {
      // An unfinished last event is passed on as it is: the reply then ends without its finish (a truncation).
      buffer += decoder.decode()
      if (buffer.length > 0) controller.enqueue(encoder.encode(buffer))
    }
  })
}

/** `fetch` whose event-stream responses are guarded; other responses are untouched. */
export const guardedFetch = (inner: typeof globalThis.fetch): typeof globalThis.fetch => async (input, init) => {
  const response = await inner(input, init)
  const type = response.headers.get("content-type") ?? ""
  if (response.body === null || !type.includes("text/event-stream")) return response
  return new Response(response.body.pipeThrough(guardStream()), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers
  })
}
