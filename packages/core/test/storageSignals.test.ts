/**
 * Storage engine rules not covered through a backend: the signal-filtered wait; and the Json guard.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Option, PubSub, Schema, Scope } from "effect"
import { Json, type ProcessId, StorageEngine, type StorageSignal } from "../src/index.js"

const { Signals } = StorageEngine

const pid = (s: string) => s as ProcessId

/** Signals that do not concern the end of process `p`: a wait for it must not re-check on any of them. */
const notProcessEndOfP: ReadonlyArray<StorageSignal> = [
  { kind: "process_terminal", processId: pid("other") },
  { kind: "process_event", processId: pid("p"), sequence: 2 },
  { kind: "runnable", processId: pid("p") },
  { kind: "queue_changed", sessionId: "s" as never }
]

describe("StorageEngine.Signals.waitFor", () => {
  it.scoped("checks once, then only on signals that concern the process (unrelated ones cost no re-check)", () =>
    Effect.gen(function*() {
      const hub = yield* PubSub.unbounded<StorageSignal>()
      let checks = 0
      let answer: Option.Option<string> = Option.none()
      const check = Effect.sync(() => {
        checks++
        return answer
      })
      const waiting = yield* Effect.fork(
        Signals.waitFor(hub, Signals.concernsProcessEnd(pid("p")), check)
      )
      yield* Effect.yieldNow()
      expect(checks, "the first check runs before any signal").toBe(1)
      for (const s of notProcessEndOfP) yield* PubSub.publish(hub, s)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(checks, "no signal above concerns p's end").toBe(1)
      yield* PubSub.publish(hub, { kind: "poll" })
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(checks, "poll (another connection committed) re-checks").toBe(2)
      answer = Option.some("done")
      yield* PubSub.publish(hub, { kind: "process_terminal", processId: pid("p") })
      expect(yield* Fiber.join(waiting)).toBe("done")
      expect(checks).toBe(3)
    }))

  it("event waits follow the process's events, end waits its terminal", () => {
    const events = Signals.concernsProcessEvents(pid("p"))
    const end = Signals.concernsProcessEnd(pid("p"))
    expect(events({ kind: "process_event", processId: pid("p"), sequence: 1 })).toBe(true)
    expect(events({ kind: "process_event", processId: pid("q"), sequence: 1 })).toBe(false)
    expect(events({ kind: "process_terminal", processId: pid("p") })).toBe(false)
    expect(end({ kind: "process_terminal", processId: pid("p") })).toBe(true)
    expect(end({ kind: "process_event", processId: pid("p"), sequence: 1 })).toBe(false)
    expect(events({ kind: "poll" }) && end({ kind: "poll" })).toBe(true)
  })
})

describe("StorageEngine.Signals.makeWaiters", () => {
  it.scoped("one shared subscription: checks once, then only on the signals of its key or a poll", () =>
    Effect.gen(function*() {
      const hub = yield* PubSub.unbounded<StorageSignal>()
      const waiters = yield* Signals.makeWaiters(hub)
      let checks = 0
      let answer: Option.Option<string> = Option.none()
      const check = Effect.sync(() => {
        checks++
        return answer
      })
      const waiting = yield* Effect.fork(waiters.waitFor({ kind: "process_terminal", processId: pid("p") }, check))
      // A second wait on another key: woken only by its own signals.
      let otherChecks = 0
      const other = yield* Effect.fork(
        waiters.waitFor(
          { kind: "process_event", processId: pid("q") },
          Effect.sync(() => (otherChecks++, Option.none<string>()))
        )
      )
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(checks, "the first check runs before any signal").toBe(1)
      expect(yield* PubSub.size(hub), "one subscription for both waits").toBe(0)
      for (const s of notProcessEndOfP) yield* PubSub.publish(hub, s)
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(checks, "no signal above concerns p's end").toBe(1)
      yield* PubSub.publish(hub, { kind: "poll" })
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      expect(checks, "poll (another connection committed) re-checks").toBe(2)
      expect(otherChecks, "poll re-checks every wait").toBe(2)
      answer = Option.some("done")
      yield* PubSub.publish(hub, { kind: "process_terminal", processId: pid("p") })
      expect(yield* Fiber.join(waiting)).toBe("done")
      expect(checks).toBe(3)
      expect(otherChecks).toBe(2)
      yield* Fiber.interrupt(other)
    }))

  it.effect("closing the scope wakes a blocked wait for a last check (which then sees the store closed)", () =>
    Effect.gen(function*() {
      const hub = yield* PubSub.unbounded<StorageSignal>()
      const scope = yield* Scope.make()
      const waiters = yield* Scope.extend(Signals.makeWaiters(hub), scope)
      let closed = false
      const waiting = yield* Effect.fork(
        waiters.waitFor(
          { kind: "process_terminal", processId: pid("p") },
          Effect.suspend(() => (closed ? Effect.fail("closed") : Effect.succeed(Option.none<string>())))
        )
      )
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      closed = true
      yield* Scope.close(scope, Exit.void)
      expect(yield* Effect.flip(Fiber.join(waiting))).toBe("closed")
    }))
})

describe("Json", () => {
  const decode = Schema.decodeUnknownEither(Json)
  it("accepts nested plain JSON and returns it unchanged", () => {
    const value = { a: [1, "x", null, true, { b: [] }], "": { "nested/key": -0.5 } }
    expect(decode(value)).toEqual(Either.right(value))
    expect(decode(Object.assign(Object.create(null), { k: 1 }))._tag).toBe("Right")
  })
  it("rejects what is not JSON, however deep", () => {
    for (
      const bad of [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        undefined,
        1n,
        () => 1,
        new Date(0),
        new Map(),
        { a: { b: [1, undefined] } },
        { a: [{ c: Number.NaN }] },
        [new (class Point {})()]
      ]
    ) {
      expect(decode(bad)._tag, `rejects ${String(bad)}`).toBe("Left")
    }
  })
})
