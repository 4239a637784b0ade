/**
 * Races with exactly one winner (packages/testing/README.md, "Races"). Contenders start together behind one gate and
 * alternate between two live handles on the store; every loser must fail with the scenario's typed conflict or get
 * the contract's `None`, never an infrastructure error. Each race runs several rounds on fresh ids.
 *
 * @since 0.1.0
 */
import { ProcessRegistry, SessionStore, TriggerStore } from "@lash/core"
import { Context, Effect, Exit, Option } from "effect"
import {
  batchDraft,
  batchTexts,
  button,
  buttonKey,
  commitOf,
  createRequest,
  lineType,
  pid,
  reg,
  sid,
  triggerDraft,
  wakeType
} from "./Fixtures.js"
import { outcomes, type Scenario } from "./Harness.js"

const day = 60_000
const ROUNDS = 5

/** The race scenarios. @since 0.1.0 */
export const raceScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-RACE-1",
    suite: "ProcessRegistry",
    title: "one lease, many claimers: exactly one wins, the rest see LeaseHeld",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = Context.get(ctx.handle, ProcessRegistry)
        for (let round = 0; round < ROUNDS; round++) {
          const id = pid(`race-${round}`)
          yield* r.register(reg(id))
          const exits = yield* ctx.race(8, (i, h) => Context.get(h, ProcessRegistry).claimLease(id, `owner-${i}`, day))
          const seen = outcomes(exits)
          yield* ctx.invariant(
            "exactly one claimer wins and every other one fails with LeaseHeld",
            seen.ok === 1 && seen.LeaseHeld === 7,
            { ok: 1, LeaseHeld: 7 },
            seen
          )
          const winner = exits.find(Exit.isSuccess)
          if (winner === undefined) continue
          yield* ctx.expectFailure(
            "a later claimer is blocked by the winning lease",
            r.claimLease(id, "late-owner", day),
            "LeaseHeld"
          )
          yield* ctx.expectSuccess(
            "the winner can renew: the winning lease is the stored one",
            r.renewLease(winner.value, day)
          )
        }
      })
  },
  {
    id: "X-RACE-2",
    suite: "RuntimePersistence",
    title: "one queue row, many claimers: exactly one gets it; with four rows each is claimed exactly once",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        const claimers = (session: string, maxBatches: number) =>
          ctx.race(8, (i, h) =>
            Context.get(h, SessionStore).claimReady({
              sessionId: sid(session),
              ownerId: `owner-${i}`,
              boundary: "idle",
              ttlMs: day,
              maxBatches
            }))
        for (let round = 0; round < ROUNDS; round++) {
          const one = `race-one-${round}`
          yield* s.create(createRequest(one))
          yield* s.enqueue(batchDraft(one, "only"))
          const exits = yield* claimers(one, 10)
          const won = exits.flatMap((e) => (Exit.isSuccess(e) && Option.isSome(e.value) ? [e.value.value] : []))
          const seen = outcomes(exits)
          yield* ctx.invariant(
            "exactly one claimer gets Some with the batch; every other one gets None",
            won.length === 1 && seen.ok === 8 && batchTexts(won[0]!.batches).join() === "only",
            "1 × Some([only]), 7 × None",
            { claims: won.map((c) => batchTexts(c.batches)), outcomes: seen }
          )
          const four = `race-four-${round}`
          yield* s.create(createRequest(four))
          for (const t of ["b1", "b2", "b3", "b4"]) yield* s.enqueue(batchDraft(four, t))
          const spread = yield* claimers(four, 1)
          const taken = spread.flatMap((e) =>
            Exit.isSuccess(e) && Option.isSome(e.value) ? batchTexts(e.value.value.batches) : []
          )
          yield* ctx.invariant(
            "with four batches and maxBatches 1, every batch is claimed exactly once",
            [...taken].sort().join() === "b1,b2,b3,b4" && outcomes(spread).ok === 8,
            ["b1", "b2", "b3", "b4"],
            { taken, outcomes: outcomes(spread) }
          )
        }
      })
  },
  {
    id: "X-RACE-3",
    suite: "ProcessRegistry",
    title: "dense event sequences under concurrent appends",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = Context.get(ctx.handle, ProcessRegistry)
        yield* r.register(reg("dense", { eventTypes: [lineType("producer.line")] }))
        const exits = yield* ctx.race(16, (i, h) =>
          Context.get(h, ProcessRegistry).appendEvent(pid("dense"), {
            eventType: "producer.line",
            payload: { line: `l${i}` }
          }))
        const seqs = exits.flatMap((e) => (Exit.isSuccess(e) ? [e.value.event.sequence] : [])).sort((a, b) => a - b)
        yield* ctx.invariant(
          "the returned sequences are exactly 1..16: no gaps, no duplicates",
          seqs.join() === Array.from({ length: 16 }, (_, i) => i + 1).join(),
          "1..16",
          { sequences: seqs, outcomes: outcomes(exits) }
        )
        const stored = (yield* r.eventsAfter(pid("dense"), 0)).map((e) => e.sequence)
        yield* ctx.invariant("eventsAfter(0) agrees", stored.join() === seqs.join(), seqs, stored)
      })
  },
  {
    id: "X-RACE-5",
    suite: "ProcessRegistry",
    title: "first registration: one creator; a different registration for the same id conflicts",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        for (let round = 0; round < ROUNDS; round++) {
          const same = yield* ctx.race(8, (_, h) => Context.get(h, ProcessRegistry).register(reg(`first-${round}`)))
          const created = same.filter((e) => Exit.isSuccess(e) && e.value.created).length
          yield* ctx.invariant(
            "all concurrent registrations of one registration succeed, and exactly one returns created: true",
            same.every(Exit.isSuccess) && created === 1,
            "8 successes, 1 created",
            { outcomes: outcomes(same), created }
          )
          const id = `contested-${round}`
          const mixed = yield* ctx.race(8, (i, h) =>
            Context.get(h, ProcessRegistry).register(
              i % 2 === 0 ? reg(id) : reg(id, { eventTypes: [wakeType("other.wake")] })
            ))
          const seen = outcomes(mixed)
          yield* ctx.invariant(
            "one of the two registrations is stored; every caller of the other fails with ProcessRegistrationConflict",
            seen.ok === 4 && seen.ProcessRegistrationConflict === 4,
            { ok: 4, ProcessRegistrationConflict: 4 },
            seen
          )
        }
      })
  },
  {
    id: "X-RACE-7",
    suite: "TriggerStore",
    title: "concurrent occurrence recording and reservation: one id, one new delivery per subscription",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = Context.get(ctx.handle, TriggerStore)
        yield* t.register(triggerDraft("session-a", buttonKey, "a"))
        yield* t.register(triggerDraft("session-b", buttonKey, "b"))
        for (let round = 0; round < ROUNDS; round++) {
          const recorded = yield* ctx.race(
            8,
            (_, h) => Context.get(h, TriggerStore).recordOccurrence(button(buttonKey, `race-${round}`))
          )
          const ids = new Set(recorded.flatMap((e) => (Exit.isSuccess(e) ? [e.value.occurrenceId] : [])))
          yield* ctx.invariant(
            "concurrent records of one idempotency key all succeed with one occurrence id",
            ids.size === 1 && recorded.every(Exit.isSuccess),
            1,
            { ids: [...ids], outcomes: outcomes(recorded) }
          )
          const [occurrenceId] = [...ids]
          if (occurrenceId === undefined) continue
          const reserved = yield* ctx.race(8, (_, h) => Context.get(h, TriggerStore).reserveDeliveries(occurrenceId))
          const fresh = reserved.flatMap((e) => (Exit.isSuccess(e) ? e.value.filter((r) => r.isNew) : []))
          yield* ctx.invariant(
            "exactly one isNew reservation per subscription across all callers (2 subscriptions: 2, one each)",
            fresh.length === 2 && new Set(fresh.map((r) => r.subscription.subscriptionId)).size === 2 &&
              reserved.every(Exit.isSuccess),
            2,
            { new: fresh.map((r) => r.subscription.name), outcomes: outcomes(reserved) }
          )
        }
      })
  },
  {
    id: "X-RACE-8",
    suite: "RuntimePersistence",
    title: "first commit: exactly one wins, the rest see HeadRevisionConflict",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        for (let round = 0; round < ROUNDS; round++) {
          const session = `race-${round}`
          yield* s.create(createRequest(session))
          const exits = yield* ctx.race(8, (i, h) => Context.get(h, SessionStore).commit(commitOf(session, 0, `t${i}`)))
          const seen = outcomes(exits)
          yield* ctx.invariant(
            "exactly one first commit succeeds; every other one fails with HeadRevisionConflict",
            seen.ok === 1 && seen.HeadRevisionConflict === 7,
            { ok: 1, HeadRevisionConflict: 7 },
            seen
          )
          const winner = exits.findIndex(Exit.isSuccess)
          const loaded = yield* s.load(sid(session))
          const leaf = Option.map(loaded, (l) => l.graph.leafNodeId)
          yield* ctx.invariant(
            "the session is at revision 1 with the winner's state",
            Option.isSome(loaded) && loaded.value.headRevision === 1 &&
              Option.getOrUndefined(leaf) === `t${winner}:node`,
            { headRevision: 1, leaf: `t${winner}:node` },
            Option.map(loaded, (l) => ({ headRevision: l.headRevision, leaf: l.graph.leafNodeId }))
          )
        }
      })
  }
]
