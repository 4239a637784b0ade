/**
 * The renewals of a run (src/internal/leaseKeeper.ts, `startRenewals`): under the live clock their fiber is forked
 * only once the first renewal is due, then renews as a forked loop did; stopped before that, nothing ever renews.
 * Under a test clock they are a fiber from the start, renewing as the clock passes their due times.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, TestClock } from "effect"
import type { ProcessId } from "../src/Identifiers.js"
import { makeLeaseKeeper } from "../src/internal/leaseKeeper.js"
import type { CoreRuntime } from "../src/internal/runtime.js"
import type { ProcessLease } from "../src/Process.js"

const LEASE_TTL_MS = 1_000
const RENEW_EVERY_MS = 50

/** A core whose registry only renews (counting the renewals), with the keeper's worker settings. */
const fakeCore = (renewed: Array<number>) =>
  ({
    cfg: { worker: { leaseTtlMs: LEASE_TTL_MS, renewEveryMs: RENEW_EVERY_MS } },
    registry: {
      renewLease: (lease: ProcessLease, ttlMs: number) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          renewed.push(now)
          return { ...lease, expiresAtMs: now + ttlMs }
        })
    }
  }) as unknown as CoreRuntime

const leaseAt = (nowMs: number): ProcessLease => ({
  processId: "p" as ProcessId,
  ownerId: "w",
  fencingToken: 1,
  leaseToken: "t",
  claimedAtMs: nowMs,
  expiresAtMs: nowMs + LEASE_TTL_MS
})

describe("LeaseKeeper.startRenewals", () => {
  it.live("live clock: nothing is forked or renewed before the first renewal is due; then it renews as a loop", () =>
    Effect.gen(function*() {
      const renewed: Array<number> = []
      const keeper = yield* makeLeaseKeeper(fakeCore(renewed), leaseAt(Date.now()))
      const renewing = yield* keeper.startRenewals(Effect.exit(keeper.renewLoop))
      expect(Option.isNone(yield* renewing.poll)).toBe(true)
      yield* Effect.sleep("20 millis")
      expect(renewed).toHaveLength(0)
      yield* Effect.sleep("200 millis")
      expect(renewed.length).toBeGreaterThanOrEqual(2)
      yield* renewing.interrupt
      const count = renewed.length
      expect(Option.isSome(yield* renewing.poll)).toBe(true)
      yield* Effect.sleep("150 millis")
      expect(renewed).toHaveLength(count)
    }))

  it.live("live clock: stopped before it is due, it never renews", () =>
    Effect.gen(function*() {
      const renewed: Array<number> = []
      const keeper = yield* makeLeaseKeeper(fakeCore(renewed), leaseAt(Date.now()))
      const renewing = yield* keeper.startRenewals(Effect.exit(keeper.renewLoop))
      yield* renewing.interrupt
      yield* Effect.sleep("150 millis")
      expect(renewed).toHaveLength(0)
      expect(Option.isNone(yield* renewing.poll)).toBe(true)
    }))

  it.effect("test clock: a fiber from the start, renewing as the clock passes each due time", () =>
    Effect.gen(function*() {
      const renewed: Array<number> = []
      const keeper = yield* makeLeaseKeeper(fakeCore(renewed), leaseAt(yield* Clock.currentTimeMillis))
      const renewing = yield* keeper.startRenewals(Effect.exit(keeper.renewLoop))
      yield* TestClock.adjust(`${RENEW_EVERY_MS - 1} millis`)
      expect(renewed).toHaveLength(0)
      yield* TestClock.adjust("1 millis")
      expect(renewed).toEqual([RENEW_EVERY_MS])
      yield* TestClock.adjust(`${RENEW_EVERY_MS} millis`)
      expect(renewed).toEqual([RENEW_EVERY_MS, 2 * RENEW_EVERY_MS])
      yield* renewing.interrupt
      expect(Option.isSome(yield* renewing.poll)).toBe(true)
    }))
})
