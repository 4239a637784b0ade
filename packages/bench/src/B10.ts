/**
 * B10, streamed turns: how soon and how cheaply a model's streamed text reaches a consumer of
 * `session.turn(input).stream`, per wire format (OpenAI Responses, Anthropic Messages, Chat Completions), against
 * `@lash/ai/testing`'s fake server on 127.0.0.1 in this process.
 *
 * - **First delta**: from the moment the server writes its first text delta (`FakeRequest.firstDeltaAtMs`) to the
 *   moment the consumer sees the first `text_delta` event, for a reply written as a model writes one (10 chunks,
 *   3 ms apart, so the first arrives alone). Baseline: the same moment for a bare `fetch` that reads the same
 *   reply's SSE stream and parses its frames (the least any client does).
 * - **Per chunk**: (last `text_delta` seen − first delta written) / chunks, for a reply of 100 chunks written at
 *   once (the throughput of the whole path), the same for the bare `fetch`.
 *
 * Both sides read identical bytes from the same server; the difference is lash's whole path (the `@effect/ai`
 * provider, the adapter, the turn's model call, fence masking, the bounded event queue). Timestamps are
 * `performance.now()` in one process, so they compare directly.
 */
import { Anthropic, OpenAi, OpenAiCompatible } from "@lash/ai"
import { FakeModelServer, FakeReply, type FakeWire } from "@lash/ai/testing"
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, type LanguageModelProvider, LashCore, TurnInput } from "@lash/core"
import { Effect, Layer, Redacted, Stream } from "effect"
import { performance } from "node:perf_hooks"
import { type Result, summarize } from "./Stats.js"

const CHUNK_SIZE = 8

/** How the fake server writes the reply: `chunks` text deltas of 8 characters, `delayMs` apart. */
interface Shape {
  readonly chunks: number
  readonly delayMs: number
}

/** The first delta arrives alone, as from a model; the whole path's throughput is read from a burst. */
const LATENCY: Shape = { chunks: 10, delayMs: 3 }
const THROUGHPUT: Shape = { chunks: 100, delayMs: 0 }

const textOf = (shape: Shape) =>
  "The quick brown fox jumps over the lazy dog. ".repeat(Math.ceil((shape.chunks * CHUNK_SIZE) / 45))
    .slice(0, shape.chunks * CHUNK_SIZE)

const replyOf = (shape: Shape) => FakeReply.text(textOf(shape), { chunkSize: CHUNK_SIZE, chunkDelayMs: shape.delayMs })

interface Wire {
  readonly name: string
  readonly wire: FakeWire
  readonly path: string
  readonly provider: (url: string) => Layer.Layer<LanguageModelProvider>
  /** Whether a parsed SSE data object carries text (the bare client's notion of a delta). */
  readonly isDelta: (data: any) => boolean
}

const wires: ReadonlyArray<Wire> = [
  {
    name: "openai-responses",
    wire: "openai-responses",
    path: "/v1/responses",
    provider: (url) => OpenAi.layer({ apiKey: Redacted.make("sk-bench"), apiUrl: `${url}/v1` }),
    isDelta: (d) => d?.type === "response.output_text.delta"
  },
  {
    name: "anthropic-messages",
    wire: "anthropic-messages",
    path: "/v1/messages",
    provider: (url) => Anthropic.layer({ apiKey: Redacted.make("sk-bench"), apiUrl: url }),
    isDelta: (d) => d?.type === "content_block_delta" && d.delta?.type === "text_delta"
  },
  {
    name: "chat-completions",
    wire: "chat-completions",
    path: "/v1/chat/completions",
    provider: (url) => OpenAiCompatible.layer({ baseUrl: `${url}/v1` }),
    isDelta: (d) => typeof d?.choices?.[0]?.delta?.content === "string" && d.choices[0].delta.content.length > 0
  }
]

interface Sample {
  readonly firstMs: number
  readonly perChunkMs: number
}

/** One streamed reply read by a bare `fetch`: the SSE frames split and parsed, nothing else. */
const bareRead = async (server: FakeModelServer.FakeModelServer, w: Wire, shape: Shape): Promise<Sample> => {
  server.reply(replyOf(shape))
  const response = await fetch(`${server.url}${w.path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "bench", stream: true, max_tokens: 1024 })
  })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  let first = Number.NaN
  let last = Number.NaN
  let count = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = event.split("\n").find((line) => line.startsWith("data: "))?.slice(6)
      if (data === undefined || data === "[DONE]") continue
      if (w.isDelta(JSON.parse(data))) {
        const now = performance.now()
        if (count === 0) first = now
        last = now
        count++
      }
    }
  }
  const written = server.requests().at(-1)!.firstDeltaAtMs!
  if (count !== shape.chunks) throw new Error(`B10 bare ${w.name}: ${count} deltas, expected ${shape.chunks}`)
  return { firstMs: first - written, perChunkMs: (last - written) / shape.chunks }
}

/** One streamed standard turn on a fresh session; the consumer timestamps the text deltas. */
const lashTurn = (server: FakeModelServer.FakeModelServer, w: Wire, shape: Shape, i: number) =>
  Effect.gen(function*() {
    server.reply(replyOf(shape))
    const session = yield* (yield* LashCore).openSession(`b10-${w.name}-${i}`)
    let first = Number.NaN
    let last = Number.NaN
    let count = 0
    let text = ""
    yield* session.turn(TurnInput.text("stream")).stream.pipe(
      Stream.runForEach((event) =>
        Effect.sync(() => {
          if (event.type !== "text_delta") return
          const now = performance.now()
          if (count === 0) first = now
          last = now
          count++
          text += event.text
        })
      )
    )
    const written = server.requests().at(-1)!.firstDeltaAtMs!
    if (text !== textOf(shape)) {
      return yield* Effect.dieMessage(`B10 lash ${w.name}: the streamed text differs from the reply`)
    }
    return { firstMs: first - written, perChunkMs: (last - written) / shape.chunks } satisfies Sample
  })

const measure = (w: Wire, shape: Shape, n: number, warmup: number) =>
  Effect.scoped(Effect.gen(function*() {
    const server = yield* FakeModelServer.make
    const context = yield* Layer.build(
      Layer.provideMerge(
        LashCore.layer({
          mode: "standard",
          model: { id: "bench", limits: { contextWindowTokens: 100_000, outputTokenCapacity: 1024 } }
        }).pipe(Layer.provide(Layer.mergeAll(w.provider(server.url), InlineEffectController.layer))),
        MemoryBackend.layer()
      )
    )
    const bare: Array<Sample> = []
    const lash: Array<Sample> = []
    // Interleaved, so both sides see the same machine load.
    for (let i = 0; i < warmup + n; i++) {
      const b = yield* Effect.promise(() => bareRead(server, w, shape))
      const l = yield* lashTurn(server, w, shape, i).pipe(Effect.provide(context))
      if (i >= warmup) {
        bare.push(b)
        lash.push(l)
      }
    }
    return { bare, lash }
  }))

export const b10 = async (n: number): Promise<ReadonlyArray<Result>> => {
  const out: Array<Result> = []
  for (const w of wires) {
    const latency = await Effect.runPromise(measure(w, LATENCY, n, Math.min(20, n)))
    const throughput = await Effect.runPromise(measure(w, THROUGHPUT, n, Math.min(20, n)))
    const firstLash = summarize(latency.lash.map((s) => s.firstMs))
    const firstBare = summarize(latency.bare.map((s) => s.firstMs))
    const chunkLash = summarize(throughput.lash.map((s) => s.perChunkMs))
    const chunkBare = summarize(throughput.bare.map((s) => s.perChunkMs))
    out.push({
      id: "B10",
      variant: `${w.name} first delta`,
      unit: "ms",
      summary: firstLash,
      baseline: "bare fetch first delta",
      ratio: firstLash.p50 / firstBare.p50,
      note:
        `server writes its first delta (chunks ${LATENCY.delayMs} ms apart) → the turn stream's first text_delta; bare fetch p50 ${
          firstBare.p50.toFixed(3)
        } ms p99 ${firstBare.p99.toFixed(3)} ms; lash adds ${(firstLash.p50 - firstBare.p50).toFixed(2)} ms at p50`
    })
    out.push({
      id: "B10",
      variant: `${w.name} per chunk`,
      unit: "ms/chunk",
      summary: chunkLash,
      baseline: "bare fetch per chunk",
      ratio: chunkLash.p50 / chunkBare.p50,
      note:
        `(last text_delta − first delta written) / ${THROUGHPUT.chunks} chunks of ${CHUNK_SIZE} chars written at once; bare fetch p50 ${
          chunkBare.p50.toFixed(4)
        } ms/chunk`
    })
  }
  return out
}
