import { describe, expect, it } from "@effect/vitest"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Exit, Fiber, Option, TestClock } from "effect"
import {
  LanguageModelProvider,
  LashCore,
  type LlmProvider,
  LlmTransportError,
  type SessionId,
  SessionStore,
  TurnInput
} from "../src/index.js"
import { standardCore } from "./fixtures.js"

/** A provider whose first call answers `first` (whatever it is) and later calls answer "fine". */
const misbehaving = (first: () => unknown): LlmProvider => {
  let calls = 0
  return {
    kind: "bad",
    complete: () => {
      if (calls++ > 0) return Effect.succeed({ text: "fine", toolCalls: [], usage: { input: 1, output: 1 } })
      return first() as never
    }
  }
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

describe("the provider boundary", () => {
  const cases: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ["answers null", () => Effect.succeed(null), "malformed provider response"],
    [
      "answers without text",
      () => Effect.succeed({ toolCalls: [], usage: { input: 0, output: 0 } }),
      "malformed provider response"
    ],
    [
      "reports NaN usage",
      () => Effect.succeed({ text: "x", toolCalls: [], usage: { input: Number.NaN, output: 0 } }),
      "malformed provider response"
    ],
    ["throws", () => {
      throw new Error("socket exploded")
    }, "provider complete crashed: socket exploded"],
    ["dies", () => Effect.die(new Error("bug in provider")), "provider complete crashed: bug in provider"],
    ["fails untyped", () => Effect.fail(new Error("raw")), "provider complete failed with an untyped error: raw"],
    ["returns no Effect", () => "text", "provider complete returned string instead of an Effect"]
  ]
  for (const [name, first, detail] of cases) {
    it.effect(`a provider that ${name} fails the turn with LlmTransportError, commits nothing, and can be resubmitted`, () =>
      Effect.gen(function*() {
        const session = yield* (yield* LashCore).openSession("boundary")
        const exit = yield* Effect.exit(session.turn(TurnInput.text("hello"), { turnId: "t1" }).run)
        const error = failureOf(exit)
        expect(error).toBeInstanceOf(LlmTransportError)
        expect((error as LlmTransportError).retryable).toBe(false)
        expect((error as LlmTransportError).detail).toContain(detail)
        const stored = yield* (yield* SessionStore).load("boundary" as SessionId)
        expect(Option.map(stored, (s) => s.headRevision)).toEqual(Option.some(0))
        // The same input again: the turn runs and commits.
        const out = yield* session.turn(TurnInput.text("hello"), { turnId: "t1" }).run
        expect(Option.getOrNull(out.assistantMessage)).toBe("fine")
        expect(out.headRevision).toBe(1)
      }).pipe(Effect.provide(standardCore(LanguageModelProvider.single(misbehaving(first))))))
  }

  it.effect("a retryable failure waits at least the provider's Retry-After before the next attempt", () => {
    const provider = TestProvider.builder()
      .complete((_, { index }) =>
        index === 0
          ? Effect.fail(
            new LlmTransportError({ providerId: "test", retryable: true, status: 429, retryAfterMs: 30_000 })
          )
          : "after the wait"
      )
      .build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("retry-after")
      const fiber = yield* Effect.fork(session.turn(TurnInput.text("hi")).run)
      yield* TestClock.adjust("29 seconds")
      expect(yield* provider.callCount).toBe(1)
      yield* TestClock.adjust("2 seconds")
      const out = yield* Fiber.join(fiber)
      expect(Option.getOrNull(out.assistantMessage)).toBe("after the wait")
      expect(yield* provider.callCount).toBe(2)
    }).pipe(
      Effect.provide(
        standardCore(provider.layer, {
          providerRetry: { maxAttempts: 3, baseDelay: "10 millis", maxDelay: "1 second" }
        })
      )
    )
  })

  it.effect("a reply cut at the output token limit is kept and reported as a turn issue", () => {
    const provider = TestProvider.builder()
      .reply({
        response: { text: "The answer is", toolCalls: [], usage: { input: 3, output: 9 }, finishReason: "length" }
      })
      .build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("cut")).turn(TurnInput.text("long")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("The answer is")
      expect(out.issues).toEqual([{
        code: "model_output_truncated",
        message: "iteration 0: the reply was cut at the model's output token limit"
      }])
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })
})
