import { describe, expect, it } from "@effect/vitest"
import { TestProvider } from "@lash/testing/provider"
import { Chunk, Effect, Exit, Option, Schema, Stream } from "effect"
import {
  LanguageModelProvider,
  LashCore,
  type LlmProvider,
  LlmTransportError,
  type SessionId,
  SessionStore,
  TurnEvent,
  TurnInput
} from "../src/index.js"
import { rlmCore, standardCore } from "./fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

const collect = <E>(stream: Stream.Stream<TurnEvent, E>) =>
  Effect.map(Stream.runCollect(stream), (events) => Chunk.toReadonlyArray(events))

const textOf = (events: ReadonlyArray<TurnEvent>, type: "text_delta" | "code_delta", iteration?: number) =>
  events.flatMap((e) => e.type === type && (iteration === undefined || e.iteration === iteration) ? [e.text] : [])
    .join("")

const headRevision = (sessionId: string) =>
  Effect.flatMap(
    SessionStore,
    (store) =>
      Effect.map(store.load(sessionId as SessionId), Option.match({ onNone: () => -1, onSome: (s) => s.headRevision }))
  )

describe("streamed turns", () => {
  it.effect("a standard turn streams deltas, tool calls and iteration boundaries, and ends with the committed output", () => {
    const provider = TestProvider.builder()
      .streamChunkSize(4)
      .reply({ toolCalls: [{ callId: "c1", name: "add", args: { a: 2, b: 3 } }] }, "The answer is 5.")
      .build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("stream-std")
      const events = yield* collect(session.turn(TurnInput.text("2+3?")).stream)
      expect(events.map((e) => e.type).filter((t) => t !== "text_delta")).toEqual([
        "turn_started",
        "iteration_started",
        "model_replied",
        "tool_call_started",
        "tool_call_finished",
        "iteration_finished",
        "iteration_started",
        "model_replied",
        "iteration_finished",
        "turn_committed"
      ])
      expect(events.filter((e) => e.type === "text_delta").map((e) => e.type === "text_delta" && e.text)).toEqual([
        "The ",
        "answ",
        "er i",
        "s 5."
      ])
      const finished = events.find((e) => e.type === "tool_call_finished")
      expect(finished).toMatchObject({ callId: "c1", toolName: "add", result: { type: "ok", value: { sum: 5 } } })
      const last = events[events.length - 1]!
      expect(last.type).toBe("turn_committed")
      if (last.type === "turn_committed") {
        expect(Option.getOrNull(last.output.assistantMessage)).toBe("The answer is 5.")
        expect(last.output.headRevision).toBe(1)
      }
      expect(yield* headRevision("stream-std")).toBe(1)
      // Every event is plain data a host can send over the wire.
      for (const event of events) expect(() => Schema.encodeSync(TurnEvent)(event)).not.toThrow()
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("rlm: the ```lashlang block never shows as prose; its code, prints and result arrive as their own events", () => {
    const reply = "Let me compute.\n" + fence("print(\"hi\")\nsubmit 42") + "\nText after the block is ignored."
    const provider = TestProvider.builder().streamChunkSize(3).reply(reply).build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("stream-rlm")
      const events = yield* collect(session.turn(TurnInput.text("compute")).stream)
      expect(textOf(events, "text_delta")).toBe("Let me compute.\n")
      expect(textOf(events, "code_delta")).toBe("print(\"hi\")\nsubmit 42\n")
      for (const e of events) if (e.type === "text_delta") expect(e.text).not.toContain("`")
      expect(events.filter((e) => e.type === "code_print")).toEqual([{ type: "code_print", iteration: 0, text: "hi" }])
      expect(events.find((e) => e.type === "code_finished")).toEqual({
        type: "code_finished",
        iteration: 0,
        submitted: 42
      })
      const last = events[events.length - 1]!
      expect(last.type === "turn_committed" && Option.getOrNull(last.output.submittedValue)).toBe(42)
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("rlm: tool calls inside a block are streamed too", () => {
    const provider = TestProvider.builder().reply(fence("r = await tools.add({ a: 1, b: 2 })?\nsubmit r.sum")).build()
    return Effect.gen(function*() {
      const events = yield* collect(
        (yield* (yield* LashCore).openSession("rlm-tools")).turn(TurnInput.text("go")).stream
      )
      const started = events.findIndex((e) => e.type === "tool_call_started")
      const finished = events.findIndex((e) => e.type === "tool_call_finished")
      const code = events.findIndex((e) => e.type === "code_finished")
      expect(started).toBeGreaterThan(0)
      expect(started < finished && finished < code).toBe(true)
      expect(events[finished]).toMatchObject({ toolName: "add", result: { type: "ok", value: { sum: 3 } } })
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("a consumer that stops reading interrupts the turn and nothing is committed; the input can be resubmitted", () => {
    const provider = TestProvider.builder().streamChunkSize(2).reply("a long answer", "a long answer").build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("stop-reading")
      const partial = yield* collect(
        session.turn(TurnInput.text("q"), { turnId: "t1" }).stream.pipe(
          Stream.takeUntil((e) => e.type === "iteration_finished")
        )
      )
      expect(partial[partial.length - 1]!.type).toBe("iteration_finished")
      expect(yield* headRevision("stop-reading")).toBe(0)
      expect(session.readView().messages).toEqual([])
      const out = yield* session.turn(TurnInput.text("q"), { turnId: "t1" }).run
      expect(out.headRevision).toBe(1)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("a retryable failure mid-stream voids the partial reply: model_retry, then the reply starts over", () => {
    const provider = TestProvider.builder()
      .reply({ stream: ["Hel", "lo"], error: { retryable: true, status: 503 } }, "Hello world")
      .build()
    return Effect.gen(function*() {
      const events = yield* collect(
        (yield* (yield* LashCore).openSession("retry-stream")).turn(TurnInput.text("hi")).stream
      )
      const retry = events.findIndex((e) => e.type === "model_retry")
      expect(retry).toBeGreaterThan(0)
      expect(textOf(events.slice(0, retry), "text_delta")).toBe("Hello")
      expect(textOf(events.slice(retry), "text_delta")).toBe("Hello world")
      expect(events[retry]).toMatchObject({ type: "model_retry", iteration: 0, attempt: 1 })
    }).pipe(
      Effect.provide(standardCore(provider.layer, { providerRetry: { maxAttempts: 2, baseDelay: 0, maxDelay: 0 } }))
    )
  })

  it.effect("a truncated stream is a retryable LlmTransportError; when retries run out the stream fails and commits nothing", () => {
    const provider = TestProvider.builder()
      .reply({ stream: ["par"], truncated: true }, { stream: ["tial"], truncated: true })
      .build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("truncated")
      const exit = yield* Effect.exit(collect(session.turn(TurnInput.text("hi")).stream))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toBeInstanceOf(LlmTransportError)
      expect((error as LlmTransportError).detail).toContain("ended before the response was complete")
      expect(yield* provider.callCount).toBe(2)
      expect(yield* headRevision("truncated")).toBe(0)
    }).pipe(
      Effect.provide(standardCore(provider.layer, { providerRetry: { maxAttempts: 2, baseDelay: 0, maxDelay: 0 } }))
    )
  })

  it.effect("a provider without `stream` still streams its reply, as one delta", () => {
    const plain: LlmProvider = {
      kind: "plain",
      complete: () => Effect.succeed({ text: "whole reply", toolCalls: [], usage: { input: 1, output: 2 } })
    }
    return Effect.gen(function*() {
      const events = yield* collect((yield* (yield* LashCore).openSession("plain")).turn(TurnInput.text("hi")).stream)
      expect(events.filter((e) => e.type === "text_delta")).toEqual([{
        type: "text_delta",
        iteration: 0,
        text: "whole reply"
      }])
      expect(events.find((e) => e.type === "model_replied")).toEqual({
        type: "model_replied",
        iteration: 0,
        usage: { input: 1, output: 2 }
      })
    }).pipe(Effect.provide(standardCore(LanguageModelProvider.single(plain))))
  })

  it.effect("streaming a turn id that is already committed replays its stored output without calling the model", () => {
    const provider = TestProvider.builder().reply("once").build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("replay")
      yield* session.turn(TurnInput.text("q"), { turnId: "t1" }).run
      const events = yield* collect(session.turn(TurnInput.text("q"), { turnId: "t1" }).stream)
      expect(events.map((e) => e.type)).toEqual(["turn_started", "turn_committed"])
      expect(yield* provider.callCount).toBe(1)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })
})
