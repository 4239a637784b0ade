/**
 * `timeoutDisconnected` (src/internal/toolTimeout.ts): the attempt's own outcome when it ends first, the timeout when
 * it does not (under the live clock and under a test clock), never waiting for an attempt that ignores interruption,
 * and the fiber refs an attempt changed kept by its caller.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, FiberRef, TestClock } from "effect"
import { timeoutDisconnected } from "../src/internal/toolTimeout.js"

const timedOut = () => new Cause.TimeoutException("timed out")

describe("timeoutDisconnected", () => {
  it.effect("an attempt that ends first gives its success, its failure, and the fiber refs it set", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake(0)
      const ok = yield* timeoutDisconnected(Effect.as(FiberRef.set(ref, 7), "done"), 1_000, timedOut)
      expect(ok).toBe("done")
      expect(yield* FiberRef.get(ref)).toBe(7)
      const failed = yield* Effect.exit(timeoutDisconnected(Effect.fail("boom"), 1_000, timedOut))
      expect(failed).toStrictEqual(Exit.fail("boom"))
    }))

  it.effect("under a test clock: the timeout fires when the clock passes it, not before", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(timeoutDisconnected(Effect.never, 100, timedOut))
      yield* TestClock.adjust("99 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit) && Cause.isTimeoutException(Cause.squash(exit.cause))).toBe(true)
    }))

  it.live("under the live clock: a hung attempt that ignores interruption times out, and is interrupted", () =>
    Effect.gen(function*() {
      let interrupted = false
      const stubborn = Effect.uninterruptible(Effect.sleep("300 millis")).pipe(
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => void (interrupted = true)))
      )
      const started = Date.now()
      const exit = yield* Effect.exit(timeoutDisconnected(stubborn, 30, timedOut))
      expect(Date.now() - started).toBeLessThan(250)
      expect(Exit.isFailure(exit) && Cause.isTimeoutException(Cause.squash(exit.cause))).toBe(true)
      // The interruption reaches it once its uninterruptible part is over.
      yield* Effect.sleep("400 millis")
      expect(interrupted).toBe(true)
    }))

  it.live("an interrupted caller has interrupted its attempt when it ends, and never waits for a stubborn one", () =>
    Effect.gen(function*() {
      let interrupted = false
      const attempt = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => void (interrupted = true))))
      const caller = yield* Effect.fork(timeoutDisconnected(attempt, 60_000, timedOut))
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(caller)
      expect(interrupted).toBe(true)
      const stubborn = yield* Effect.fork(timeoutDisconnected(Effect.uninterruptible(Effect.never), 60_000, timedOut))
      yield* Effect.sleep("10 millis")
      const started = Date.now()
      yield* Fiber.interrupt(stubborn)
      expect(Date.now() - started).toBeLessThan(1_000)
    }))
})
