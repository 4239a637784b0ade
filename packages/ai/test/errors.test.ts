import { describe, expect, it } from "@effect/vitest"
import { LashCore, LlmTransportError, TurnInput } from "@lash/core"
import { Cause, Chunk, Effect, Exit, HashMap, Logger, LogLevel, Option, Stream } from "effect"
import { fromAiError, providerMessage, retryAfterMs } from "../src/internal/errors.js"
import { type FakeModelServer, FakeReply } from "../src/testing/index.js"
import { headRevision, KEYS, wires, withServer } from "./harness.js"

/** Runs one turn; returns its error (or undefined), the requests the server saw, and the committed revision. */
const attempt = (
  server: FakeModelServer.FakeModelServer,
  options: { readonly streamed: boolean; readonly session?: string }
) =>
  Effect.gen(function*() {
    const sessionId = options.session ?? "errors"
    const session = yield* (yield* LashCore).openSession(sessionId)
    const turn = session.turn(TurnInput.text("hello"), { turnId: "turn-1" })
    const exit = yield* Effect.exit(options.streamed ? Effect.asVoid(drain(turn.stream)) : turn.run)
    const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
    return { error: error as LlmTransportError | undefined, revision: yield* headRevision(sessionId) }
  })

/** Every event of a stream. */
const drain = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

for (const w of wires) {
  describe(`${w.name}: every error path ends typed, retried or reported, and commits nothing`, () => {
    for (const status of [400, 401, 403, 404]) {
      it.scopedLive(`${status} is not retried; the provider's message is in the error; the input can be resubmitted`, () =>
        withServer(w, {}, {}, (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.status(status, { message: `refused with ${status}` }), FakeReply.text("second try"))
            const session = yield* (yield* LashCore).openSession("refused")
            const exit = yield* Effect.exit(session.turn(TurnInput.text("hi"), { turnId: "t" }).run)
            const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
            expect(error).toBeInstanceOf(LlmTransportError)
            expect(error).toMatchObject({ providerId: w.kind, retryable: false, status })
            expect((error as LlmTransportError).detail).toContain(`refused with ${status}`)
            expect(server.requests()).toHaveLength(1)
            expect(yield* headRevision("refused")).toBe(0)
            // No key in the error a host would log.
            for (const key of Object.values(KEYS)) expect(JSON.stringify(error) + String(error)).not.toContain(key)
            const out = yield* session.turn(TurnInput.text("hi"), { turnId: "t" }).run
            expect(Option.getOrNull(out.assistantMessage)).toBe("second try")
            expect(out.headRevision).toBe(1)
          })))
    }

    it.scopedLive("the API key never reaches a log line, whether the call fails or succeeds", () => {
      const lines: Array<string> = []
      const logger = Logger.make(({ annotations, cause, message }) => {
        lines.push(
          `${JSON.stringify(message)} ${JSON.stringify(HashMap.toEntries(annotations))} ${Cause.pretty(cause)}`
        )
      })
      return withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.status(401, { message: "bad key" }), FakeReply.reset(), FakeReply.text("fine"))
            const session = yield* (yield* LashCore).openSession("logged")
            yield* Effect.exit(session.turn(TurnInput.text("a")).run)
            yield* Effect.exit(drain(session.turn(TurnInput.text("b")).stream))
            yield* session.turn(TurnInput.text("c")).run
            expect(server.requests().map((r) => w.key(r.headers))).toEqual([w.secret, w.secret, w.secret])
            // The failures were logged (with their causes), and no line shows a key.
            expect(lines.length).toBeGreaterThan(0)
            for (const key of Object.values(KEYS)) expect(lines.join("\n")).not.toContain(key)
          }).pipe(
            Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
            Logger.withMinimumLogLevel(LogLevel.All)
          )
      )
    })

    for (const status of [429, 500, 503, 529]) {
      it.scopedLive(`${status} is retried and the turn succeeds`, () =>
        withServer(w, {}, {}, (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.status(status), FakeReply.text("recovered"))
            const out = yield* (yield* (yield* LashCore).openSession("retry")).turn(TurnInput.text("hi")).run
            expect(Option.getOrNull(out.assistantMessage)).toBe("recovered")
            expect(server.requests()).toHaveLength(2)
          })))
    }

    it.scopedLive("429 carries the provider's Retry-After, and the retry waits for it", () =>
      withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 2, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            server.reply(
              FakeReply.status(429, { message: "slow down", headers: { "retry-after": "0.3" } }),
              FakeReply.text("after the wait")
            )
            const started = Date.now()
            const out = yield* (yield* (yield* LashCore).openSession("wait")).turn(TurnInput.text("hi")).run
            expect(Option.getOrNull(out.assistantMessage)).toBe("after the wait")
            expect(Date.now() - started).toBeGreaterThanOrEqual(290)
          })
      ))

    it.scopedLive("a 429 that outlives the retries is a retryable error with retryAfterMs and the message", () =>
      withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.status(429, { message: "rate limited", headers: { "retry-after": "7" } }))
            const { error, revision } = yield* attempt(server, { streamed: false })
            expect(error).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7000 })
            expect(error?.detail).toContain("rate limited")
            expect(revision).toBe(0)
          })
      ))

    for (const streamed of [false, true]) {
      const how = streamed ? "streamed" : "whole"
      it.scopedLive(`${how}: a malformed body is retryable; when retries run out the turn fails typed and commits nothing`, () =>
        withServer(
          w,
          {},
          { providerRetry: { maxAttempts: 2, baseDelay: 0, maxDelay: 0 } },
          (server) =>
            Effect.gen(function*() {
              server.reply(FakeReply.malformed(), FakeReply.malformed(), FakeReply.text("fine now"))
              const { error, revision } = yield* attempt(server, { streamed })
              expect(error).toBeInstanceOf(LlmTransportError)
              expect(error?.retryable).toBe(true)
              expect(server.requests()).toHaveLength(2)
              expect(revision).toBe(0)
              const out = yield* (yield* (yield* LashCore).openSession("errors")).turn(TurnInput.text("hello"), {
                turnId: "turn-1"
              }).run
              expect(Option.getOrNull(out.assistantMessage)).toBe("fine now")
            })
        ))

      it.scopedLive(`${how}: a connection reset is a retryable transport error, then the retry succeeds`, () =>
        withServer(w, {}, {}, (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.reset(streamed ? 2 : 0), FakeReply.text("reconnected"))
            const session = yield* (yield* LashCore).openSession("reset")
            const out = streamed
              ? yield* Effect.map(
                drain(session.turn(TurnInput.text("hi")).stream),
                (events) =>
                  (events[events.length - 1] as {
                    readonly output: { readonly assistantMessage: Option.Option<string> }
                  }).output
              )
              : yield* session.turn(TurnInput.text("hi")).run
            expect(Option.getOrNull(out.assistantMessage)).toBe("reconnected")
            expect(server.requests()).toHaveLength(2)
          })))

      it.scopedLive(`${how}: a model call past its deadline is a retryable timeout`, () =>
        withServer(w, { timeout: "300 millis", idleTimeout: "300 millis" }, {
          providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 }
        }, (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.hang())
            const { error, revision } = yield* attempt(server, { streamed })
            expect(error).toMatchObject({ retryable: true })
            expect(error?.detail).toMatch(/timed out|went silent/)
            expect(revision).toBe(0)
          })))
    }

    it.scopedLive("streamed: a reply that stops before its end is a retryable truncation", () =>
      withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            server.reply(FakeReply.truncate("a reply that never finishes", 3))
            const { error, revision } = yield* attempt(server, { streamed: true })
            expect(error).toMatchObject({ retryable: true })
            expect(error?.detail).toMatch(/truncated|ended before/)
            expect(revision).toBe(0)
          })
      ))

    it.scopedLive("streamed: the provider's transient error event mid-stream is retried", () =>
      withServer(w, {}, {}, (server) =>
        Effect.gen(function*() {
          server.reply(
            FakeReply.streamError("partial", 1, { type: "overloaded_error", message: "Overloaded" }),
            FakeReply.text("ok")
          )
          const session = yield* (yield* LashCore).openSession("overloaded")
          const events = yield* (drain(session.turn(TurnInput.text("hi")).stream))
          expect(events.some((e) => (e as { readonly type: string }).type === "model_retry")).toBe(true)
          expect(server.requests()).toHaveLength(2)
        })))

    it.scopedLive("streamed: a frame broken in transit is a retryable malformed reply, never a silent gap", () =>
      withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            // Delta 1 of "abcd|efgh|ijkl" is cut in half; the final event is intact.
            server.reply(FakeReply.corruptFrame("abcdefghijkl", 1))
            const { error, revision } = yield* attempt(server, { streamed: true })
            expect(error).toBeInstanceOf(LlmTransportError)
            expect(error).toMatchObject({ providerId: w.kind, retryable: true })
            expect(error?.detail).toContain("malformed reply")
            expect(server.requests()).toHaveLength(1)
            expect(revision).toBe(0)
          })
      ))

    it.scopedLive("streamed: after a broken frame the retry's reply arrives whole", () =>
      withServer(w, {}, {}, (server) =>
        Effect.gen(function*() {
          server.reply(FakeReply.corruptFrame("abcdefghijkl", 1), FakeReply.text("abcdefghijkl"))
          const session = yield* (yield* LashCore).openSession("gap")
          const events = yield* drain(session.turn(TurnInput.text("hi")).stream)
          expect(events.some((e) => e.type === "model_retry")).toBe(true)
          const last = events[events.length - 1]!
          expect(last.type === "turn_committed" && Option.getOrNull(last.output.assistantMessage)).toBe("abcdefghijkl")
          expect(server.requests()).toHaveLength(2)
        })))

    it.scopedLive("streamed: a reply that ends as failed is an error with the provider's message", () =>
      withServer(
        w,
        {},
        { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
        (server) =>
          Effect.gen(function*() {
            // OpenAI's `response.failed` codes; the other wires send their own error event with their own types.
            const [transient, permanent] = w.wire === "openai-responses"
              ? ["server_error", "invalid_prompt"]
              : ["api_error", "invalid_request_error"]
            server.reply(
              FakeReply.failedResponse("partial", 1, { code: transient, message: "The model crashed" }),
              FakeReply.failedResponse("partial", 1, { code: permanent, message: "Prompt flagged" })
            )
            const first = yield* attempt(server, { streamed: true })
            expect(first.error).toMatchObject({ providerId: w.kind, retryable: true })
            expect(first.error?.detail).toContain("The model crashed")
            const second = yield* attempt(server, { streamed: true, session: "failed-2" })
            expect(second.error?.detail).toContain("Prompt flagged")
            // The request's own fault (`invalid_prompt`, `invalid_request_error`): retrying cannot fix it.
            expect(second.error?.retryable).toBe(false)
            expect(first.revision).toBe(0)
            expect(second.revision).toBe(0)
          })
      ))

    it.scopedLive("streamed: a permanent error event mid-stream is not retried", () =>
      withServer(w, {}, {}, (server) =>
        Effect.gen(function*() {
          server.reply(
            FakeReply.streamError("partial", 1, { type: "invalid_request_error", message: "prompt is too long" })
          )
          const { error, revision } = yield* attempt(server, { streamed: true })
          expect(error).toMatchObject({ retryable: false })
          expect(error?.detail).toContain("prompt is too long")
          expect(server.requests()).toHaveLength(1)
          expect(revision).toBe(0)
        })))
  })
}

describe("error mapping", () => {
  it("reads Retry-After as seconds, as an HTTP date, and retry-after-ms", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    expect(retryAfterMs({ "retry-after": "2" }, now)).toBe(2000)
    expect(retryAfterMs({ "retry-after": "0.5" }, now)).toBe(500)
    expect(retryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, now)).toBe(3000)
    expect(retryAfterMs({ "retry-after-ms": "150", "retry-after": "9" }, now)).toBe(150)
    expect(retryAfterMs({ "retry-after": "soon" }, now)).toBeUndefined()
    expect(retryAfterMs({}, now)).toBeUndefined()
  })

  it("finds the provider's message in OpenAI, Anthropic and plain error bodies", () => {
    expect(providerMessage({ error: { message: "Incorrect API key", type: "invalid_request_error" } })).toBe(
      "invalid_request_error: Incorrect API key"
    )
    expect(providerMessage({ type: "error", error: { type: "not_found_error", message: "model: nope" } })).toBe(
      "not_found_error: model: nope"
    )
    expect(providerMessage({ message: "bad" })).toBe("bad")
    expect(providerMessage({ error: "model not loaded" })).toBe("model not loaded")
    expect(providerMessage("text")).toBeUndefined()
  })

  it("an @effect/ai MalformedOutput is retryable, a MalformedInput is not", async () => {
    const { AiError } = await import("@effect/ai")
    expect(fromAiError("p", new AiError.MalformedOutput({ module: "m", method: "x", description: "bad json" }), 0))
      .toMatchObject({ retryable: true, detail: "malformed reply: bad json" })
    expect(fromAiError("p", new AiError.MalformedInput({ module: "m", method: "x", description: "no" }), 0))
      .toMatchObject({ retryable: false })
  })
})

describe("a documented limit", () => {
  it.scopedLive("a call to a tool the request did not offer is a retryable malformed reply (it cannot be decoded)", () =>
    withServer(
      wires[0]!,
      {},
      { providerRetry: { maxAttempts: 1, baseDelay: 0, maxDelay: 0 } },
      (server) =>
        Effect.gen(function*() {
          server.reply(FakeReply.toolCalls([{ id: "c", name: "not_offered", args: {} }]))
          const { error } = yield* attempt(server, { streamed: false })
          expect(error).toMatchObject({ retryable: true })
          expect(error?.detail).toContain("malformed reply")
        })
    ))
})
