/**
 * Lease scenarios: exclusivity, strict expiry, renewal, release and fencing tokens of process leases
 * (packages/testing/README.md, "Leases and fencing"). Queue-claim leases are in QueueScenarios.ts.
 *
 * @since 0.1.0
 */
import { ProcessRegistry, SessionStore } from "@lash/core"
import { Context, Effect, Option, TestClock } from "effect"
import { batchDraft, commitOf, createRequest, pid, reg, same, sid } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)
const day = 60_000

/** The lease scenarios. @since 0.1.0 */
export const leaseScenarios: ReadonlyArray<Scenario> = [
  {
    id: "PR-21",
    suite: "ProcessRegistry",
    title: "a live lease blocks every claimant, its owner too",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        yield* r.claimLease(pid("p"), "owner-a", day)
        yield* ctx.expectFailure("another owner is blocked", r.claimLease(pid("p"), "owner-b", day), "LeaseHeld")
        yield* ctx.expectFailure(
          "the owner re-claiming is blocked (it renews instead)",
          r.claimLease(pid("p"), "owner-a", day),
          "LeaseHeld"
        )
      })
  },
  {
    id: "PR-22",
    suite: "ProcessRegistry",
    title: "a superseded lease cannot renew",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "owner-a", 0)
        yield* r.claimLease(pid("p"), "owner-b", day).pipe(
          Effect.mapError(() => "a TTL-0 lease must be expired at once")
        )
        yield* ctx.expectFailure("the superseded lease cannot renew", r.renewLease(old, day), "LeaseLost")
      })
  },
  {
    id: "PR-23",
    suite: "ProcessRegistry",
    title: "renewal persists a new expiry",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const lease = yield* r.claimLease(pid("p"), "owner-a", 20)
        const renewed = yield* r.renewLease(lease, day)
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* ctx.invariant(
          "the renewed expiry is now + ttl",
          renewed.expiresAtMs === now + day,
          now + day,
          renewed.expiresAtMs
        )
        yield* TestClock.adjust("30 millis")
        yield* ctx.expectSuccess("the renewal was stored, not only returned", r.renewLease(renewed, day))
      })
  },
  {
    id: "PR-24",
    suite: "ProcessRegistry",
    title: "release, then re-claim bumps fencing",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const first = yield* r.claimLease(pid("p"), "owner-a", day)
        yield* r.releaseLease(first)
        const second = yield* r.claimLease(pid("p"), "owner-b", day)
        yield* ctx.invariant(
          "fencing tokens only increase, also across release",
          second.fencingToken > first.fencingToken,
          `> ${first.fencingToken}`,
          second.fencingToken
        )
      })
  },
  {
    id: "PR-25",
    suite: "ProcessRegistry",
    title: "a stale release cannot free a live lease",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "owner-a", 0)
        const current = yield* r.claimLease(pid("p"), "owner-b", day)
        yield* r.releaseLease(old)
        yield* ctx.expectFailure("the live lease still blocks", r.claimLease(pid("p"), "owner-c", day), "LeaseHeld")
        yield* ctx.expectSuccess("the live lease can still renew", r.renewLease(current, day))
      })
  },
  {
    id: "PR-26",
    suite: "ProcessRegistry",
    title: "claimRunnable leases only runnable rows, in id order",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        for (const id of ["run-a", "run-b", "run-c", "run-d", "run-done"]) yield* r.register(reg(id))
        yield* r.register(reg("run-ext", { external: true }))
        const done = yield* r.claimLease(pid("run-done"), "owner-z", day)
        yield* r.completeWithLease(done, { type: "success", value: null })
        yield* r.claimLease(pid("run-b"), "owner-x", day)
        const page = (yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })).map((l) => l.processId)
        yield* ctx.invariant(
          "the first page is [run-a, run-c]",
          page.join() === "run-a,run-c",
          ["run-a", "run-c"],
          page
        )
        const next = (yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })).map((l) => l.processId)
        yield* ctx.invariant("the next page is [run-d]", next.join() === "run-d", ["run-d"], next)
        const last = yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })
        yield* ctx.invariant("then nothing", last.length === 0, [], last.map((l) => l.processId))
        yield* ctx.expectFailure(
          "a claimRunnable lease holds like any lease",
          r.claimLease(pid("run-a"), "owner-y", day),
          "LeaseHeld"
        )
      })
  },
  {
    id: "X-LEASE-1",
    suite: "ProcessRegistry",
    title: "TTL 0 is already expired, and expiry is strict",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        yield* r.register(reg("q"))
        const zero = yield* r.claimLease(pid("p"), "a", 0)
        yield* ctx.invariant(
          "a TTL-0 lease expires when claimed",
          zero.expiresAtMs === zero.claimedAtMs,
          zero.claimedAtMs,
          zero.expiresAtMs
        )
        yield* ctx.expectSuccess(
          "a competitor claims at once without a clock advance",
          r.claimLease(pid("p"), "b", day)
        )
        yield* r.claimLease(pid("q"), "c", 100)
        yield* TestClock.adjust("99 millis")
        yield* ctx.expectFailure("still held 1 ms before expiry", r.claimLease(pid("q"), "d", day), "LeaseHeld")
        yield* TestClock.adjust("1 millis")
        yield* ctx.expectSuccess("free exactly at expiresAtMs", r.claimLease(pid("q"), "d", day))
      })
  },
  {
    id: "X-LEASE-2",
    suite: "ProcessRegistry",
    title: "a stale fencing token is rejected after takeover",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "a", 0)
        const cur = yield* r.claimLease(pid("p"), "b", day)
        yield* ctx.expectFailure("the stale owner cannot renew", r.renewLease(old, day), "LeaseLost")
        const [before, eventsBefore] = [yield* r.get(pid("p")), yield* r.eventsAfter(pid("p"), 0)]
        yield* TestClock.adjust("1 millis")
        yield* ctx.expectFailure(
          "the stale owner cannot write the terminal result",
          r.completeWithLease(old, { type: "success", value: "stale" }),
          "LeaseLost"
        )
        const still = yield* r.get(pid("p"))
        yield* ctx.invariant(
          "the process stays running",
          still.status.state === "running",
          "running",
          still.status.state
        )
        yield* ctx.invariant("the stale end changes no record", same(still, before), before, still)
        const eventsAfter = yield* r.eventsAfter(pid("p"), 0)
        yield* ctx.invariant(
          "the stale end appends no event",
          same(eventsAfter, eventsBefore),
          eventsBefore.map((e) => e.eventType),
          eventsAfter.map((e) => e.eventType)
        )
        yield* ctx.expectFailure(
          "the stale end leaves the current lease in place: it still blocks a claim",
          r.claimLease(pid("p"), "c", day),
          "LeaseHeld"
        )
        yield* r.releaseLease(old)
        yield* ctx.expectFailure(
          "the stale owner's release is a no-op: the current lease still blocks",
          r.claimLease(pid("p"), "c", day),
          "LeaseHeld"
        )
        yield* r.completeWithLease(cur, { type: "success", value: "current" })
        const terminal = (yield* r.eventsAfter(pid("p"), 0)).filter((e) => e.eventType === "process.completed")
        yield* ctx.invariant(
          "exactly one terminal event, the current owner's",
          terminal.length === 1 && same(terminal[0]?.payload, { awaitOutput: { type: "success", value: "current" } }),
          1,
          terminal.map((e) => e.payload)
        )
        // The queue side: a claim taken over after expiry.
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "contested"))
        const claim = (owner: string, ttlMs: number) =>
          s.claimReady({ sessionId: sid("root"), ownerId: owner, boundary: "idle", ttlMs, maxBatches: 10 })
        const stale = yield* ctx.some("a claim of the pending batch is granted", yield* claim("owner-a", 0))
        const current = yield* claim("owner-b", day)
        yield* ctx.invariant(
          "owner-b takes over the expired claim",
          Option.isSome(current) && current.value.fencingToken > stale.fencingToken,
          `a claim fenced above ${stale.fencingToken}`,
          current
        )
        yield* ctx.expectFailure(
          "owner-a cannot renew its stale claim",
          s.renewClaim(stale, day),
          "QueuedWorkClaimExpired"
        )
        yield* s.abandonClaim(stale)
        const third = yield* claim("owner-c", day)
        yield* ctx.invariant(
          "owner-a's abandon is a no-op: owner-b's claim is still live, so a third claimer gets None",
          Option.isNone(third),
          "None",
          third
        )
        yield* ctx.expectFailure(
          "a commit completing owner-a's stale claim fails",
          s.commit(commitOf("root", 0, "stale-turn", { completing: [stale] })),
          "QueuedWorkClaimExpired"
        )
      })
  },
  {
    id: "X-LEASE-5",
    suite: "ProcessRegistry",
    title: "claims need a known process",
    clock: "test",
    run: (ctx) =>
      Effect.asVoid(
        ctx.expectFailure(
          "claiming an unknown process fails",
          registry(ctx).claimLease(pid("missing-process"), "a", day),
          "ProcessNotFound"
        )
      )
  },
  {
    id: "X-LEASE-3",
    suite: "ProcessRegistry",
    title: "a released lease cannot write",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const lease = yield* r.claimLease(pid("p"), "owner-a", day)
        yield* r.releaseLease(lease)
        yield* ctx.expectFailure(
          "a released lease cannot write the terminal result",
          r.completeWithLease(lease, { type: "success", value: "released" }),
          "LeaseLost"
        )
        yield* ctx.expectFailure("a released lease cannot renew", r.renewLease(lease, day), "LeaseLost")
        const still = yield* r.get(pid("p"))
        yield* ctx.invariant("the process stays running", still.status.state === "running", "running", still.status)
      })
  },
  {
    id: "X-LEASE-4",
    suite: "ProcessRegistry",
    title: "no renewal after expiry, even without a competitor; the next claim fences higher",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const lease = yield* r.claimLease(pid("p"), "owner-a", 10)
        yield* TestClock.adjust("10 millis")
        yield* ctx.expectFailure(
          "an expired lease cannot renew, although nobody else claimed the process",
          r.renewLease(lease, day),
          "LeaseLost"
        )
        yield* ctx.expectFailure(
          "an expired lease cannot write the terminal result",
          r.completeWithLease(lease, { type: "success", value: "late" }),
          "LeaseLost"
        )
        yield* ctx.expectSuccess(
          "the expired owner claims again with a higher fencing token (a takeover after expiry fences out the old lease)",
          r.claimLease(pid("p"), "owner-a", day),
          (v) => v.fencingToken > lease.fencingToken,
          `a lease with fencingToken > ${lease.fencingToken}`
        )
        const still = yield* r.get(pid("p"))
        yield* ctx.invariant("the process stays running", still.status.state === "running", "running", still.status)
      })
  },
  {
    id: "PR-26b",
    suite: "ProcessRegistry",
    title: "claimRunnable with limit 0 leases nothing (a counterexample of MB-PR)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("run-a"))
        const none = yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 0 })
        yield* ctx.invariant("limit 0 leases nothing", none.length === 0, [], none.map((l) => l.processId))
        const one = yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 1 })
        yield* ctx.invariant(
          "the row was not leased by the limit-0 call: limit 1 leases it",
          one.map((l) => l.processId).join() === "run-a",
          ["run-a"],
          one.map((l) => l.processId)
        )
      })
  }
]
