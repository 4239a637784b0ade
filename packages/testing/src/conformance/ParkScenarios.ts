/**
 * Parked processes (packages/testing/README.md, "Parked processes"; docs/architecture.md, "Processes and leases"):
 * `park` gives the lease up and keeps the process unclaimable until its deadline (a sleep) or a `process.signal`
 * (a wait), `process.cancel_requested` releases any parked process, `listParked` lists exactly the parked rows, and
 * only the live lease may park: a stale fence can neither park nor release a parked row.
 *
 * @since 0.1.0
 */
import { type AppendEventRequest, type ProcessLease, ProcessRegistry } from "@lash/core"
import { Context, Effect, TestClock } from "effect"
import { pid, plainType, reg, same } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)
const day = 86_400_000
const minute = 60_000

/** A process that takes signals and notes, leased by `owner-a`. */
const leased = (ctx: ScenarioContext, id: string) =>
  Effect.gen(function*() {
    const r = registry(ctx)
    yield* r.register(reg(id, { eventTypes: [plainType("process.signal"), plainType("test.note")] }))
    return yield* r.claimLease(pid(id), "owner-a", day)
  })

const event = (eventType: string): AppendEventRequest => ({ eventType, payload: {} })

const lastSequence = (ctx: ScenarioContext, id: string) =>
  Effect.map(registry(ctx).eventsAfter(pid(id), 0), (events) => events.at(-1)?.sequence ?? 0)

const parkedIds = (ctx: ScenarioContext) =>
  Effect.map(registry(ctx).listParked(), (rows) => rows.map((p) => p.processId))

/** The parked process holds no lease and nobody can lease it: the parking lease is lost, claims are refused. */
const holdsNoLease = (ctx: ScenarioContext, id: string, parking: ProcessLease) =>
  Effect.gen(function*() {
    const r = registry(ctx)
    yield* ctx.expectFailure("the parking lease cannot renew", r.renewLease(parking, day), "LeaseLost")
    yield* ctx.expectFailure(
      "the parking lease cannot complete",
      r.completeWithLease(parking, { type: "success", value: 1 }),
      "LeaseLost"
    )
    yield* ctx.expectFailure("nobody can claim it", r.claimLease(pid(id), "owner-b", day), "LeaseHeld")
    const swept = yield* r.claimRunnable({ ownerId: "sweeper", ttlMs: day, limit: 10 })
    yield* ctx.invariant(
      "a sweep does not lease it",
      !swept.some((l) => l.processId === pid(id)),
      [],
      swept.map((l) => l.processId)
    )
  })

/** After the process is released, one sweep leases it with a higher fencing token than the parking lease's. */
const runnableAgain = (ctx: ScenarioContext, id: string, parking: ProcessLease) =>
  Effect.gen(function*() {
    const parked = yield* parkedIds(ctx)
    yield* ctx.invariant("it is no longer listed as parked", !parked.includes(pid(id)), [], parked)
    const swept = yield* registry(ctx).claimRunnable({ ownerId: "sweeper", ttlMs: day, limit: 10 })
    const lease = swept.find((l) => l.processId === pid(id))
    yield* ctx.invariant(
      "a sweep leases it, fenced above the parking lease",
      lease !== undefined && lease.fencingToken > parking.fencingToken,
      `fencing > ${parking.fencingToken}`,
      lease?.fencingToken
    )
  })

/** `listParked` lists exactly `id`, parked for `reason` until `untilMs`. */
const onlyParked = (ctx: ScenarioContext, id: string, reason: "sleep" | "signal", untilMs: number | null) =>
  Effect.gen(function*() {
    const listed = yield* registry(ctx).listParked()
    const expected = [{ processId: pid(id), reason, untilMs }]
    yield* ctx.invariant(
      `listParked lists exactly ${id} (${reason}, until ${untilMs})`,
      same(listed, expected),
      expected,
      listed
    )
  })

/** Parks `id` under `lease`, having seen its whole log: it answers parked and is the one parked row listed. */
const parks = (
  ctx: ScenarioContext,
  id: string,
  lease: ProcessLease,
  reason: "sleep" | "signal",
  untilMs: number | null
) =>
  Effect.gen(function*() {
    const out = yield* registry(ctx).park(lease, { untilMs, seenSequence: yield* lastSequence(ctx, id), reason })
    yield* ctx.invariant("park answers parked", out.parked, true, out.parked)
    yield* onlyParked(ctx, id, reason, untilMs)
  })

/** The parked-process scenarios. @since 0.1.0 */
export const parkScenarios: ReadonlyArray<Scenario> = [
  {
    id: "PK-01",
    suite: "ProcessRegistry",
    title: "a sleeping process holds no lease, is listed with its deadline and is claimable only from the deadline",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const lease = yield* leased(ctx, "sleeper")
        yield* leased(ctx, "bystander")
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* parks(ctx, "sleeper", lease, "sleep", now + minute)
        yield* holdsNoLease(ctx, "sleeper", lease)
        // A note is not a reason to run: the sleep goes on.
        yield* r.appendEvent(pid("sleeper"), event("test.note"))
        yield* ctx.expectFailure(
          "an event other than a signal or a cancel request does not release a sleep",
          r.claimLease(pid("sleeper"), "owner-b", day),
          "LeaseHeld"
        )
        yield* TestClock.adjust(minute - 1)
        yield* ctx.expectFailure(
          "one millisecond before the deadline it is still parked",
          r.claimLease(pid("sleeper"), "owner-b", day),
          "LeaseHeld"
        )
        yield* TestClock.adjust(1)
        yield* runnableAgain(ctx, "sleeper", lease)
      })
  },
  {
    id: "PK-02",
    suite: "ProcessRegistry",
    title: "a process waiting for a signal stays parked without a deadline until a process.signal releases it",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const lease = yield* leased(ctx, "waiter")
        yield* parks(ctx, "waiter", lease, "signal", null)
        // Time passes (a SQL store polls on the clock, so the kit moves it by a minute: ten took over 10 s).
        yield* TestClock.adjust(minute)
        yield* holdsNoLease(ctx, "waiter", lease)
        yield* r.appendEvent(pid("waiter"), event("test.note"))
        // Another event does not release it.
        yield* onlyParked(ctx, "waiter", "signal", null)
        yield* r.appendEvent(pid("waiter"), event("process.signal"))
        yield* runnableAgain(ctx, "waiter", lease)
      })
  },
  {
    id: "PK-03",
    suite: "ProcessRegistry",
    title: "a cancel request releases a parked process before its deadline; a signal does not release a sleep",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const lease = yield* leased(ctx, "sleeper")
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* r.park(lease, { untilMs: now + day, seenSequence: yield* lastSequence(ctx, "sleeper"), reason: "sleep" })
        yield* r.appendEvent(pid("sleeper"), event("process.signal"))
        yield* ctx.expectFailure(
          "a signal is kept for later: the sleep goes on",
          r.claimLease(pid("sleeper"), "owner-b", day),
          "LeaseHeld"
        )
        yield* r.appendEvent(pid("sleeper"), event("process.cancel_requested"))
        yield* runnableAgain(ctx, "sleeper", lease)
      })
  },
  {
    id: "PK-04",
    suite: "ProcessRegistry",
    title:
      "park does not park when an event arrived after the run looked or the deadline has passed: released runnable",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const late = yield* leased(ctx, "late")
        const seen = yield* lastSequence(ctx, "late")
        yield* r.appendEvent(pid("late"), event("process.signal"))
        const out = yield* r.park(late, { untilMs: null, seenSequence: seen, reason: "signal" })
        yield* ctx.invariant("a signal newer than seenSequence: not parked", !out.parked, false, out.parked)
        yield* runnableAgain(ctx, "late", late)

        const due = yield* leased(ctx, "due")
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        const dueOut = yield* r.park(due, {
          untilMs: now,
          seenSequence: yield* lastSequence(ctx, "due"),
          reason: "sleep"
        })
        yield* ctx.invariant("a deadline already reached: not parked", !dueOut.parked, false, dueOut.parked)
        yield* runnableAgain(ctx, "due", due)
      })
  },
  {
    id: "PK-05",
    suite: "ProcessRegistry",
    title: "a stale fence cannot park, and cannot release or re-park a parked process",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p", { eventTypes: [plainType("process.signal")] }))
        const stale = yield* r.claimLease(pid("p"), "owner-a", 10)
        yield* TestClock.adjust(11)
        const live = yield* r.claimLease(pid("p"), "owner-b", day)
        yield* ctx.expectFailure(
          "the expired, superseded lease cannot park",
          r.park(stale, { untilMs: null, seenSequence: yield* lastSequence(ctx, "p"), reason: "signal" }),
          "LeaseLost"
        )
        const none = yield* parkedIds(ctx)
        yield* ctx.invariant("nothing was parked", none.length === 0, [], none)
        yield* ctx.expectFailure("the live lease still holds", r.claimLease(pid("p"), "owner-c", day), "LeaseHeld")
        yield* ctx.expectSuccess("the live lease renews", r.renewLease(live, day))

        yield* parks(ctx, "p", live, "signal", null)
        // Neither the stale lease nor the one that parked it can release the parked row.
        yield* r.releaseLease(stale)
        yield* r.releaseLease(live)
        yield* ctx.expectFailure(
          "the lease that parked it cannot park it again",
          r.park(live, { untilMs: 0, seenSequence: 0, reason: "sleep" }),
          "LeaseLost"
        )
        yield* onlyParked(ctx, "p", "signal", null)
        yield* holdsNoLease(ctx, "p", live)
      })
  },
  {
    id: "PK-06",
    suite: "ProcessRegistry",
    title: "parking is stored: another handle on the store sees it parked and releases it with a signal",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const lease = yield* leased(ctx, "p")
        yield* registry(ctx).park(lease, {
          untilMs: null,
          seenSequence: yield* lastSequence(ctx, "p"),
          reason: "signal"
        })
        const other = Context.get(yield* ctx.reopen, ProcessRegistry)
        const listed = yield* other.listParked()
        yield* ctx.invariant(
          "the other handle lists it parked",
          same(listed.map((p) => p.processId), [pid("p")]),
          ["p"],
          listed
        )
        yield* ctx.expectFailure(
          "the other handle cannot claim it",
          other.claimLease(pid("p"), "owner-b", day),
          "LeaseHeld"
        )
        yield* other.appendEvent(pid("p"), event("process.signal"))
        yield* runnableAgain(ctx, "p", lease)
      })
  }
]
