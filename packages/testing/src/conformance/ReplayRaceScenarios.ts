/**
 * Races in which every contender replays one keyed write, or takes an exclusive share of a sweep (packages/testing/
 * README.md, "Races"): X-RACE-4, 6, 9, 10, 11 and 12. Contenders start together behind one gate and alternate between
 * two live handles on the store; a replay must return the winner's answer, never a second row or an infrastructure
 * error.
 *
 * @since 0.1.0
 */
import { EffectJournal, ProcessRegistry, SessionStore } from "@lash/core"
import { Context, Effect, Exit, Option } from "effect"
import { batchDraft, createRequest, pid, reg, same, scope, sid, stableJson, wakeType } from "./Fixtures.js"
import { failureTag, outcomes, type Scenario } from "./Harness.js"

const day = 60_000
const ROUNDS = 3
const CONTENDERS = 8

const values = <A, E>(exits: ReadonlyArray<Exit.Exit<A, E>>): ReadonlyArray<A> =>
  exits.flatMap((e) => (Exit.isSuccess(e) ? [e.value] : []))

const allSame = (xs: ReadonlyArray<unknown>): boolean => xs.every((x) => stableJson(x) === stableJson(xs[0]))

/** The replay races. @since 0.1.0 */
export const replayRaceScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-RACE-4",
    suite: "ProcessRegistry",
    title: "concurrent appends of one keyed event: one row, one sequence, equal deliveries",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = Context.get(ctx.handle, ProcessRegistry)
        yield* Context.get(ctx.handle, SessionStore).create(createRequest("keyed-target"))
        for (let round = 0; round < ROUNDS; round++) {
          const id = pid(`keyed-${round}`)
          yield* r.register(
            reg(`keyed-${round}`, { eventTypes: [wakeType("producer.keyed")], wakeTarget: scope("keyed-target") })
          )
          const exits = yield* ctx.race(CONTENDERS, (_, h) =>
            Context.get(h, ProcessRegistry).appendEvent(id, {
              eventType: "producer.keyed",
              payload: { line: "once", wake_input: "w" },
              replayKey: "producer:keyed"
            }))
          const results = values(exits)
          yield* ctx.invariant(
            "every append of the keyed event succeeds with the same sequence and an equal delivery",
            results.length === CONTENDERS && allSame(results.map((x) => x.event.sequence)) &&
              allSame(results.map((x) => x.wakeDelivery)),
            { ok: CONTENDERS, sequences: [1], deliveries: "all equal" },
            {
              outcomes: outcomes(exits),
              sequences: [...new Set(results.map((x) => x.event.sequence))],
              deliveries: [...new Set(results.map((x) => stableJson(x.wakeDelivery)))].length
            }
          )
          const rows = yield* r.eventsAfter(id, 0)
          yield* ctx.invariant("eventsAfter(0) has one row", rows.length === 1, 1, rows.map((e) => e.sequence))
        }
      })
  },
  {
    id: "X-RACE-6",
    suite: "RuntimePersistence",
    title: "concurrent enqueues of one source key: one batch, one batch id",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("root"))
        for (let round = 0; round < ROUNDS; round++) {
          const exits = yield* ctx.race(CONTENDERS, (i, h) =>
            Context.get(h, SessionStore).enqueue(batchDraft("root", `payload ${i}`, `source:${round}`)))
          const ids = values(exits).map((b) =>
            b.batchId
          )
          yield* ctx.invariant(
            "every enqueue succeeds with the same batch id",
            ids.length === CONTENDERS && allSame(ids),
            { ok: CONTENDERS, batchIds: 1 },
            { outcomes: outcomes(exits), batchIds: [...new Set(ids)] }
          )
        }
        const queued = yield* s.listQueued(sid("root"))
        yield* ctx.invariant(
          "the queue holds one batch per source key",
          queued.length === ROUNDS,
          ROUNDS,
          queued.map((b) => b.batchId)
        )
      })
  },
  {
    id: "X-RACE-9",
    suite: "SessionLifecycle",
    title: "concurrent creates of one session all succeed; one session at revision 0",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        for (let round = 0; round < ROUNDS; round++) {
          const id = `created-${round}`
          const exits = yield* ctx.race(CONTENDERS, (_, h) => Context.get(h, SessionStore).create(createRequest(id)))
          yield* ctx.invariant(
            "every create succeeds",
            exits.every(Exit.isSuccess),
            { ok: CONTENDERS },
            outcomes(exits)
          )
          const loaded = yield* Context.get(ctx.handle, SessionStore).load(sid(id))
          const revision = Option.map(loaded, (l) => l.headRevision)
          yield* ctx.invariant(
            "load returns the session at revision 0",
            Option.isSome(revision) && revision.value === 0,
            "Some(0)",
            revision
          )
        }
      })
  },
  {
    id: "X-RACE-10",
    suite: "ProcessRegistry",
    title: "two concurrent host completions with different outputs: exactly one wins",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = Context.get(ctx.handle, ProcessRegistry)
        for (let round = 0; round < ROUNDS; round++) {
          const id = pid(`completed-${round}`)
          yield* r.register(reg(`completed-${round}`, { external: true }))
          const outputs = [
            { type: "success" as const, value: { winner: "a" } },
            { type: "success" as const, value: { winner: "b" } }
          ]
          const exits = yield* ctx.race(2, (i, h) => Context.get(h, ProcessRegistry).completeAsHost(id, outputs[i]!))
          const won = exits.findIndex(Exit.isSuccess)
          const lost = exits.filter((e) => !Exit.isSuccess(e))
          const loserReason = lost.map(failureTag)
          yield* ctx.invariant(
            "exactly one completion succeeds; the other fails with ProcessEventRejected",
            won >= 0 && lost.length === 1 && loserReason[0] === "ProcessEventRejected",
            { ok: 1, ProcessEventRejected: 1 },
            outcomes(exits)
          )
          const out = yield* r.awaitProcess(id)
          yield* ctx.invariant("awaitProcess returns the winner's output", same(out, outputs[won]), outputs[won], out)
          const terminal = (yield* r.eventsAfter(id, 0)).filter((e) =>
            ["process.completed", "process.failed", "process.cancelled"].includes(e.eventType)
          )
          yield* ctx.invariant(
            "exactly one terminal event is stored",
            terminal.length === 1,
            1,
            terminal.map((e) => e.eventType)
          )
        }
      })
  },
  {
    id: "X-RACE-11",
    suite: "EffectJournal",
    title: "concurrent records of one key with different exits all return the same winning entry",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        for (let round = 0; round < ROUNDS; round++) {
          const exits = yield* ctx.race(CONTENDERS, (i, h) =>
            Context.get(h, EffectJournal).record({
              scopeId: `turn:race:${round}`,
              replayKey: "k",
              requestHash: "h",
              exit: { _tag: "Success" as const, value: { contender: i } }
            }))
          const entries = values(exits)
          yield* ctx.invariant(
            "every record succeeds and returns the same entry",
            entries.length === CONTENDERS && allSame(entries),
            { ok: CONTENDERS, entries: 1 },
            { outcomes: outcomes(exits), entries: [...new Set(entries.map(stableJson))] }
          )
          const found = yield* Context.get(ctx.handle, EffectJournal).lookup(`turn:race:${round}`, "k")
          yield* ctx.invariant(
            "lookup returns the winning entry",
            Option.isSome(found) && same(found.value, entries[0]),
            entries[0],
            found
          )
        }
      })
  },
  {
    id: "X-RACE-12",
    suite: "ProcessRegistry",
    title: "concurrent claimRunnable sweeps lease every runnable process exactly once",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = Context.get(ctx.handle, ProcessRegistry)
        const ids = Array.from({ length: 6 }, (_, i) => `runnable-${i}`)
        for (const id of ids) yield* r.register(reg(id))
        const sweep = (i: number, h: typeof ctx.handle) =>
          Context.get(h, ProcessRegistry).claimRunnable({ ownerId: `sweeper-${i}`, ttlMs: day, limit: 2 })
        const first = yield* ctx.race(4, sweep)
        const second = yield* ctx.race(4, sweep)
        const exits = [...first, ...second]
        const leased = values(exits).flatMap((ls) => ls.map((l) => String(l.processId))).sort()
        yield* ctx.invariant(
          "every sweep succeeds, and the six processes are leased exactly once across all of them",
          exits.every(Exit.isSuccess) && leased.join() === [...ids].sort().join(),
          ids,
          { outcomes: outcomes(exits), leased }
        )
      })
  }
]
