/**
 * An in-process fake model server on 127.0.0.1 that speaks the three wire formats lash's providers use, built from
 * the providers' published API references: OpenAI's Responses API (`POST /v1/responses`), Anthropic's Messages API
 * (`POST /v1/messages`) and OpenAI Chat Completions (`POST …/chat/completions`, what OpenAI-compatible servers
 * speak), each as one JSON body or as server-sent events when the request asks to stream.
 *
 * Tests script its replies in order (`reply(...)`): a text or tool-call reply rendered in the request's wire format,
 * an error status with the provider's error body and headers (`Retry-After`), a malformed body, a stream cut short,
 * a connection reset, a hang, or a provider's error event mid-stream. It records every request (path, headers,
 * JSON body) so tests assert exactly what lash sent, and when it wrote each reply's first text delta (the streaming
 * benchmark measures from there).
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"

/** The wire format of a request, from its path. @since 0.1.0 */
export type FakeWire = "openai-responses" | "anthropic-messages" | "chat-completions"

/** A tool call in a scripted reply. @since 0.1.0 */
export interface FakeToolCall {
  readonly id: string
  readonly name: string
  readonly args: unknown
}

/** Token usage of a scripted reply (`cached`: input tokens read from the cache; `cacheWrite`: Anthropic only). @since 0.1.0 */
export interface FakeUsage {
  readonly input: number
  readonly output: number
  readonly cached?: number
  readonly cacheWrite?: number
}

/** How a scripted reply ends. @since 0.1.0 */
export type FakeFinish = "stop" | "length" | "content_filter" | "tool_calls"

/** One scripted answer. @since 0.1.0 */
export type FakeReply =
  | {
    readonly type: "reply"
    readonly text: string
    readonly toolCalls: ReadonlyArray<FakeToolCall>
    readonly usage: FakeUsage
    readonly finish: FakeFinish
    readonly chunkSize: number
    readonly chunkDelayMs: number
  }
  | {
    readonly type: "status"
    readonly status: number
    readonly message: string
    readonly errorType: string
    readonly headers: Readonly<Record<string, string>>
  }
  | { readonly type: "malformed" }
  | { readonly type: "truncate"; readonly text: string; readonly afterChunks: number; readonly chunkSize: number }
  | { readonly type: "reset"; readonly afterChunks: number; readonly text: string }
  | { readonly type: "hang" }
  | {
    readonly type: "stream_error"
    readonly text: string
    readonly afterChunks: number
    readonly errorType: string
    readonly message: string
    /** OpenAI Responses only: the error is a `response.failed` event (other wires: their own error event). */
    readonly failedResponse?: boolean
  }
  | {
    readonly type: "corrupt_frame"
    readonly reply: Extract<FakeReply, { readonly type: "reply" }>
    readonly at: number
  }

/** Constructors of {@link FakeReply}. @since 0.1.0 */
export const FakeReply = {
  /** A text reply; streamed in pieces of `chunkSize` characters (default 4), `chunkDelayMs` apart (default 0). */
  text: (
    text: string,
    options: {
      readonly usage?: FakeUsage
      readonly finish?: FakeFinish
      readonly chunkSize?: number
      readonly chunkDelayMs?: number
    } = {}
  ): FakeReply => ({
    type: "reply",
    text,
    toolCalls: [],
    usage: options.usage ?? { input: 10, output: 5 },
    finish: options.finish ?? "stop",
    chunkSize: options.chunkSize ?? 4,
    chunkDelayMs: options.chunkDelayMs ?? 0
  }),
  /** A reply that calls tools (with optional text before the calls). */
  toolCalls: (
    toolCalls: ReadonlyArray<FakeToolCall>,
    options: { readonly text?: string; readonly usage?: FakeUsage } = {}
  ): FakeReply => ({
    type: "reply",
    text: options.text ?? "",
    toolCalls,
    usage: options.usage ?? { input: 10, output: 5 },
    finish: "tool_calls",
    chunkSize: 4,
    chunkDelayMs: 0
  }),
  /** An error status with the provider's error body; `headers` such as `retry-after`. */
  status: (
    status: number,
    options: { readonly message?: string; readonly type?: string; readonly headers?: Record<string, string> } = {}
  ): FakeReply => ({
    type: "status",
    status,
    message: options.message ?? `fake error ${status}`,
    errorType: options.type ??
      (status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error"),
    headers: options.headers ?? {}
  }),
  /** Status 200 with a body that is not valid JSON (for a stream: a broken event frame, then the end). */
  malformed: (): FakeReply => ({ type: "malformed" }),
  /** A stream that writes `afterChunks` pieces of `text` and then ends without its final event. */
  truncate: (text: string, afterChunks: number, chunkSize = 4): FakeReply => ({
    type: "truncate",
    text,
    afterChunks,
    chunkSize
  }),
  /** The connection is destroyed: before any byte (`afterChunks` 0) or after that many pieces of a stream. */
  reset: (afterChunks = 0, text = "partial reply text"): FakeReply => ({ type: "reset", afterChunks, text }),
  /** The server never answers. */
  hang: (): FakeReply => ({ type: "hang" }),
  /** A stream that writes `afterChunks` pieces of `text`, then the provider's own error event. */
  streamError: (
    text: string,
    afterChunks: number,
    error: { readonly type?: string; readonly message?: string } = {}
  ): FakeReply => ({
    type: "stream_error",
    text,
    afterChunks,
    errorType: error.type ?? "overloaded_error",
    message: error.message ?? "Overloaded"
  }),
  /**
   * A stream that writes `afterChunks` pieces of `text`, then ends as failed: OpenAI's `response.failed` event with
   * its `error: { code, message }` (the other wires write their own error event, as `streamError`).
   */
  failedResponse: (
    text: string,
    afterChunks: number,
    error: { readonly code?: string; readonly message?: string } = {}
  ): FakeReply => ({
    type: "stream_error",
    text,
    afterChunks,
    errorType: error.code ?? "server_error",
    message: error.message ?? "The model failed to generate a response.",
    failedResponse: true
  }),
  /**
   * A streamed text reply whose text delta number `at` (from 0) is broken in transit (its data is cut, so it is
   * not JSON); every other event, the final one included, is intact. A whole (non-streamed) request gets the reply.
   */
  corruptFrame: (text: string, at: number, chunkSize = 4): FakeReply => ({
    type: "corrupt_frame",
    reply: {
      type: "reply",
      text,
      toolCalls: [],
      usage: { input: 10, output: 5 },
      finish: "stop",
      chunkSize,
      chunkDelayMs: 0
    },
    at
  })
}

/** A request the server received. @since 0.1.0 */
export interface FakeRequest {
  readonly wire: FakeWire
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: any
  readonly stream: boolean
  /** `performance.now()` when the first text delta of its reply was written (streamed replies). */
  firstDeltaAtMs?: number
}

/** A running fake server. @since 0.1.0 */
export interface FakeModelServer {
  /** `http://127.0.0.1:<port>` (append `/v1` for OpenAI and OpenAI-compatible clients). */
  readonly url: string
  /** Scripts the next answers, in order. */
  readonly reply: (...replies: ReadonlyArray<FakeReply>) => void
  /** Every request so far. */
  readonly requests: () => ReadonlyArray<FakeRequest>
  /** Scripted answers not used yet. */
  readonly pending: () => number
}

const wireOf = (path: string): FakeWire | undefined =>
  path.endsWith("/responses")
    ? "openai-responses"
    : path.endsWith("/messages")
    ? "anthropic-messages"
    : path.endsWith("/chat/completions")
    ? "chat-completions"
    : undefined

const pieces = (text: string, size: number): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------------------------
// Wire rendering: one JSON body, or the SSE events of a streamed reply
// ---------------------------------------------------------------------------------------------------------------

/** One SSE event: an optional `event:` name and its JSON (or literal) data. */
interface SseEvent {
  readonly event?: string
  readonly data: string
  /** Carries text the client shows (the benchmark's first-delta mark). */
  readonly delta?: boolean
}

type Reply = Extract<FakeReply, { readonly type: "reply" }>

const openAiStatus = (finish: FakeFinish) =>
  finish === "length"
    ? { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } }
    : finish === "content_filter"
    ? { status: "incomplete", incomplete_details: { reason: "content_filter" } }
    : { status: "completed", incomplete_details: null }

const openAiResponse = (id: string, model: string, reply: Reply | undefined, status: "in_progress" | "done") => {
  const output: Array<unknown> = []
  if (reply !== undefined && reply.text.length > 0) {
    output.push({
      type: "message",
      id: `msg_${id}`,
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: reply.text, annotations: [] }]
    })
  }
  for (const [i, call] of (reply?.toolCalls ?? []).entries()) {
    output.push({
      type: "function_call",
      id: `fc_${id}_${i}`,
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.args),
      status: "completed"
    })
  }
  const usage = reply?.usage
  return {
    id: `resp_${id}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    ...(status === "in_progress" || reply === undefined
      ? { status: "in_progress", incomplete_details: null }
      : openAiStatus(reply.finish)),
    error: null,
    instructions: null,
    model,
    output: status === "in_progress" ? [] : output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    metadata: {},
    temperature: 1,
    top_p: 1,
    usage: status === "in_progress" || usage === undefined ? null : {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached ?? 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output
    }
  }
}

const anthropicStop = (finish: FakeFinish) =>
  finish === "length"
    ? "max_tokens"
    : finish === "tool_calls"
    ? "tool_use"
    : finish === "content_filter"
    ? "refusal"
    : "end_turn"

const anthropicUsage = (usage: FakeUsage) => ({
  input_tokens: usage.input,
  output_tokens: usage.output,
  cache_creation_input_tokens: usage.cacheWrite ?? 0,
  cache_read_input_tokens: usage.cached ?? 0
})

const chatFinish = (finish: FakeFinish) => finish

const chatUsage = (usage: FakeUsage) => ({
  prompt_tokens: usage.input,
  completion_tokens: usage.output,
  total_tokens: usage.input + usage.output,
  prompt_tokens_details: { cached_tokens: usage.cached ?? 0 }
})

/** The whole reply as one JSON body. */
const jsonBody = (wire: FakeWire, id: string, model: string, reply: Reply): unknown => {
  switch (wire) {
    case "openai-responses":
      return openAiResponse(id, model, reply, "done")
    case "anthropic-messages":
      return {
        id: `msg_${id}`,
        type: "message",
        role: "assistant",
        model,
        content: [
          ...(reply.text.length > 0 ? [{ type: "text", text: reply.text, citations: null }] : []),
          ...reply.toolCalls.map((call) => ({ type: "tool_use", id: call.id, name: call.name, input: call.args }))
        ],
        stop_reason: anthropicStop(reply.finish),
        stop_sequence: null,
        usage: anthropicUsage(reply.usage)
      }
    case "chat-completions":
      return {
        id: `chatcmpl-${id}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: reply.text.length > 0 ? reply.text : null,
            ...(reply.toolCalls.length > 0
              ? {
                tool_calls: reply.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: JSON.stringify(call.args) }
                }))
              }
              : {})
          },
          finish_reason: chatFinish(reply.finish)
        }],
        usage: chatUsage(reply.usage)
      }
  }
}

/** The events of a streamed reply: `head` (up to the text), the text deltas, then `tail` (to the last event). */
const sseEvents = (
  wire: FakeWire,
  id: string,
  model: string,
  reply: Reply
): { readonly head: Array<SseEvent>; readonly deltas: Array<SseEvent>; readonly tail: Array<SseEvent> } => {
  const chunks = pieces(reply.text, Math.max(1, reply.chunkSize))
  let seq = 0
  const event = (name: string, body: Record<string, unknown>, delta = false): SseEvent => ({
    event: name,
    data: JSON.stringify({ type: name, ...body }),
    ...(delta ? { delta } : {})
  })
  switch (wire) {
    case "openai-responses": {
      const openai = (name: string, body: Record<string, unknown>, delta = false) =>
        event(name, { sequence_number: seq++, ...body }, delta)
      const head = [openai("response.created", { response: openAiResponse(id, model, undefined, "in_progress") })]
      const tail: Array<SseEvent> = []
      const itemId = `msg_${id}`
      let outputIndex = 0
      if (reply.text.length > 0) {
        head.push(
          openai("response.output_item.added", {
            output_index: 0,
            item: { type: "message", id: itemId, status: "in_progress", role: "assistant", content: [] }
          }),
          openai("response.content_part.added", {
            item_id: itemId,
            output_index: 0,
            content_index: 0,
            part: { type: "output_text", text: "", annotations: [] }
          })
        )
        outputIndex = 1
      }
      const deltas = chunks.map((delta) =>
        openai("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta }, true)
      )
      if (reply.text.length > 0) {
        const part = { type: "output_text", text: reply.text, annotations: [] }
        tail.push(
          openai("response.output_text.done", { item_id: itemId, output_index: 0, content_index: 0, text: reply.text }),
          openai("response.content_part.done", { item_id: itemId, output_index: 0, content_index: 0, part }),
          openai("response.output_item.done", {
            output_index: 0,
            item: { type: "message", id: itemId, status: "completed", role: "assistant", content: [part] }
          })
        )
      }
      for (const [i, call] of reply.toolCalls.entries()) {
        const fcId = `fc_${id}_${i}`
        const args = JSON.stringify(call.args)
        const index = outputIndex + i
        tail.push(
          openai("response.output_item.added", {
            output_index: index,
            item: {
              type: "function_call",
              id: fcId,
              call_id: call.id,
              name: call.name,
              arguments: "",
              status: "in_progress"
            }
          }),
          ...pieces(args, 8).map((delta) =>
            openai("response.function_call_arguments.delta", { item_id: fcId, output_index: index, delta })
          ),
          openai("response.function_call_arguments.done", { item_id: fcId, output_index: index, arguments: args }),
          openai("response.output_item.done", {
            output_index: index,
            item: {
              type: "function_call",
              id: fcId,
              call_id: call.id,
              name: call.name,
              arguments: args,
              status: "completed"
            }
          })
        )
      }
      const final = openAiResponse(id, model, reply, "done")
      tail.push(
        openai(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final })
      )
      return { head, deltas, tail }
    }
    case "anthropic-messages": {
      const head = [
        event("message_start", {
          message: {
            id: `msg_${id}`,
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...anthropicUsage(reply.usage), output_tokens: 1 }
          }
        }),
        event("ping", {})
      ]
      const tail: Array<SseEvent> = []
      let index = 0
      if (reply.text.length > 0) {
        head.push(
          event("content_block_start", { index: 0, content_block: { type: "text", text: "", citations: null } })
        )
        tail.push(event("content_block_stop", { index: 0 }))
        index = 1
      }
      const deltas = chunks.map((text) =>
        event("content_block_delta", { index: 0, delta: { type: "text_delta", text } }, true)
      )
      for (const [i, call] of reply.toolCalls.entries()) {
        const at = index + i
        tail.push(
          event("content_block_start", {
            index: at,
            content_block: { type: "tool_use", id: call.id, name: call.name, input: {} }
          }),
          ...pieces(JSON.stringify(call.args), 8).map((partial_json) =>
            event("content_block_delta", { index: at, delta: { type: "input_json_delta", partial_json } })
          ),
          event("content_block_stop", { index: at })
        )
      }
      tail.push(
        event("message_delta", {
          delta: { stop_reason: anthropicStop(reply.finish), stop_sequence: null },
          usage: { output_tokens: reply.usage.output }
        }),
        event("message_stop", {})
      )
      return { head, deltas, tail }
    }
    case "chat-completions": {
      const created = Math.floor(Date.now() / 1000)
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
        data: JSON.stringify({
          id: `chatcmpl-${id}`,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...extra
        })
      })
      const head: Array<SseEvent> = [chunk({ role: "assistant", content: "" }, null)]
      const deltas = chunks.map((content) => ({ ...chunk({ content }, null), delta: true }))
      const tail: Array<SseEvent> = []
      for (const [i, call] of reply.toolCalls.entries()) {
        const args = pieces(JSON.stringify(call.args), 8)
        tail.push(chunk({
          tool_calls: [{ index: i, id: call.id, type: "function", function: { name: call.name, arguments: "" } }]
        }, null))
        for (const part of args) tail.push(chunk({ tool_calls: [{ index: i, function: { arguments: part } }] }, null))
      }
      tail.push(chunk({}, chatFinish(reply.finish)))
      tail.push({
        data: JSON.stringify({
          id: `chatcmpl-${id}`,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [],
          usage: chatUsage(reply.usage)
        })
      })
      tail.push({ data: "[DONE]" })
      return { head, deltas, tail }
    }
  }
}

const errorBody = (wire: FakeWire, type: string, message: string): unknown =>
  wire === "anthropic-messages"
    ? { type: "error", error: { type, message } }
    : { error: { message, type, param: null, code: type } }

const streamErrorEvent = (
  wire: FakeWire,
  type: string,
  message: string,
  failed: { readonly id: string; readonly model: string } | undefined
): SseEvent =>
  wire === "openai-responses" && failed !== undefined
    ? {
      event: "response.failed",
      data: JSON.stringify({
        type: "response.failed",
        sequence_number: 999,
        response: {
          ...openAiResponse(failed.id, failed.model, undefined, "in_progress"),
          status: "failed",
          error: { code: type, message }
        }
      })
    }
    : wire === "anthropic-messages"
    ? { event: "error", data: JSON.stringify({ type: "error", error: { type, message } }) }
    : wire === "openai-responses"
    ? {
      event: "error",
      data: JSON.stringify({ type: "error", sequence_number: 999, code: type, message, param: null })
    }
    : { data: JSON.stringify({ error: { message, type } }) }

const frame = (event: SseEvent): string =>
  `${event.event === undefined ? "" : `event: ${event.event}\n`}data: ${event.data}\n\n`

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const parts: Array<Buffer> = []
    req.on("data", (part: Buffer) => parts.push(part))
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")))
    req.on("error", reject)
  })

const headersOf = (req: http.IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(", ") : v ?? ""])
  )

/**
 * Starts a fake server on 127.0.0.1 (a free port) for the current scope; closing the scope closes it and every
 * connection it holds (hanging ones included).
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<FakeModelServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ readonly server: http.Server; readonly fake: FakeModelServer }>((resume) => {
    const queue: Array<FakeReply> = []
    const recorded: Array<FakeRequest> = []
    let counter = 0

    const answer = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
      const path = (req.url ?? "/").split("?")[0]!
      const text = await readBody(req)
      const wire = wireOf(path)
      let body: any = undefined
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        body = text
      }
      if (wire === undefined || req.method !== "POST") {
        res.writeHead(404, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }))
        return
      }
      const request: FakeRequest = {
        wire,
        method: req.method,
        path,
        headers: headersOf(req),
        body,
        stream: typeof body === "object" && body !== null && body.stream === true
      }
      recorded.push(request)
      const id = String(++counter)
      const model = typeof body?.model === "string" ? body.model : "fake-model"
      const scripted = queue.shift() ?? FakeReply.status(500, { message: "fake server: no scripted reply left" })
      switch (scripted.type) {
        case "status":
          res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers })
          res.end(JSON.stringify(errorBody(wire, scripted.errorType, scripted.message)))
          return
        case "hang":
          return
        case "reset":
          if (scripted.afterChunks === 0 || !request.stream) {
            req.socket.destroy()
            return
          }
          break
        case "malformed":
          if (!request.stream) {
            res.writeHead(200, { "content-type": "application/json" })
            res.end("{\"id\": \"broken\", \"output\": [")
            return
          }
          break
        default:
          break
      }
      if ((scripted.type === "reply" || scripted.type === "corrupt_frame") && !request.stream) {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(jsonBody(wire, id, model, scripted.type === "reply" ? scripted : scripted.reply)))
        return
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
      const write = (event: SseEvent) => {
        if (event.delta === true && request.firstDeltaAtMs === undefined) request.firstDeltaAtMs = performance.now()
        res.write(frame(event))
      }
      switch (scripted.type) {
        case "reply": {
          const { deltas, head, tail } = sseEvents(wire, id, model, scripted)
          for (const event of head) write(event)
          for (const event of deltas) {
            if (scripted.chunkDelayMs > 0) await sleep(scripted.chunkDelayMs)
            write(event)
          }
          for (const event of tail) write(event)
          res.end()
          return
        }
        case "corrupt_frame": {
          const { deltas, head, tail } = sseEvents(wire, id, model, scripted.reply)
          for (const event of head) write(event)
          for (const [i, event] of deltas.entries()) {
            write(
              i === scripted.at ? { ...event, data: event.data.slice(0, Math.floor(event.data.length / 2)) } : event
            )
          }
          for (const event of tail) write(event)
          res.end()
          return
        }
        case "malformed": {
          const { head } = sseEvents(wire, id, model, FakeReply.text("x") as Reply)
          for (const event of head) write(event)
          res.end("data: {\"type\": \"broken\n\n")
          return
        }
        case "truncate":
        case "reset":
        case "stream_error": {
          const reply = FakeReply.text(scripted.text, {
            chunkSize: scripted.type === "truncate" ? scripted.chunkSize : 4
          }) as Reply
          const { deltas, head } = sseEvents(wire, id, model, reply)
          for (const event of head) write(event)
          for (const event of deltas.slice(0, scripted.afterChunks)) write(event)
          if (scripted.type === "reset") {
            // Let the written frames leave before the connection is destroyed.
            await sleep(5)
            req.socket.destroy()
            return
          }
          if (scripted.type === "stream_error") {
            write(
              streamErrorEvent(
                wire,
                scripted.errorType,
                scripted.message,
                scripted.failedResponse === true ? { id, model } : undefined
              )
            )
          }
          res.end()
          return
        }
      }
    }

    const server = http.createServer((req, res) => {
      answer(req, res).catch((error) => {
        res.writeHead(500)
        res.end(String(error))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({
        server,
        fake: {
          url: `http://127.0.0.1:${port}`,
          reply: (...replies) => void queue.push(...replies),
          requests: () => recorded,
          pending: () => queue.length
        }
      }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ fake }) => fake))
