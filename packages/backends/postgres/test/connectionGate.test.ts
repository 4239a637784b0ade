/**
 * The connection gate (src/ConnectionGate.ts): the units that keep a lease get a freed connection before the units
 * queued ahead of them; a unit that waits past the timeout fails with a `PostgresFailure` saying how busy the pool was;
 * an interrupted waiter gives up its place without losing a permit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import * as ConnectionGate from "../src/ConnectionGate.js"

const settle = Effect.gen(function*() {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
})

describe("connection gate", () => {
  it.live("a freed permit goes to the urgent waiter first, then in arrival order", () =>
    Effect.gen(function*() {
      const gate = ConnectionGate.make(1, 60_000)
      yield* gate.acquire(false)
      const order: Array<string> = []
      const waiter = (name: string, urgent: boolean) =>
        Effect.fork(Effect.zipRight(gate.acquire(urgent), Effect.sync(() => void order.push(name))))
      const fibers = [
        yield* waiter("sweep-1", false),
        yield* waiter("sweep-2", false),
        yield* waiter("renewal", true)
      ]
      yield* settle
      expect(gate.waiting()).toBe(3)
      for (let i = 0; i < 3; i++) {
        yield* gate.release
        yield* settle
      }
      yield* Effect.forEach(fibers, Fiber.join)
      expect(order).toEqual(["renewal", "sweep-1", "sweep-2"])
    }))

  it.live("a waiter past the timeout fails with a PostgresFailure naming the pool's load", () =>
    Effect.gen(function*() {
      const gate = ConnectionGate.make(2, 50)
      yield* gate.acquire(false)
      yield* gate.acquire(false)
      const failed = yield* Effect.either(gate.acquire(true))
      expect(Either.isLeft(failed)).toBe(true)
      const error = Either.getLeft(failed)
      expect(error._tag === "Some" && error.value).toMatchObject({ _tag: "PostgresFailure", code: undefined })
      expect(error._tag === "Some" && error.value.message).toBe(
        "no connection within 50 ms: all 2 connections of the pool in use, 1 units waiting (connectTimeoutMs, poolSize)"
      )
      expect(gate.waiting(), "the timed-out waiter left the queue").toBe(0)
    }))

  it.live("an interrupted waiter leaves the queue; the permit goes to the next one", () =>
    Effect.gen(function*() {
      const gate = ConnectionGate.make(1, 60_000)
      yield* gate.acquire(false)
      const gaveUp = yield* Effect.fork(gate.acquire(true))
      const next = yield* Effect.fork(gate.acquire(false))
      yield* settle
      yield* Fiber.interrupt(gaveUp)
      expect(gate.waiting()).toBe(1)
      yield* gate.release
      yield* Fiber.join(next)
      yield* gate.release
      // One permit, free again: taken at once.
      yield* gate.acquire(true)
      expect(gate.waiting()).toBe(0)
    }))
})
