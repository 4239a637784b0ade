/**
 * Durable sleep and signals, as scenarios over any storage (the SQLite backend's tests run them too): a process
 * parks without a lease or a worker slot, survives restarts of the runtime, and resumes exactly once per event.
 */
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Ref, type Scope, TestClock } from "effect"
import { expect } from "vitest"
import {
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  type LashStorage,
  type ProcessId,
  ProcessRegistry,
  type StorageSignals,
  TurnInput
} from "../src/index.js"
import { counterTool, testModel } from "./fixtures.js"

type Storage = Context.Context<LashStorage | StorageSignals>

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** Lets real time pass (storage I/O) while the test clock stands still, until `done` holds. */
export const settle = <E>(done: Effect.Effect<boolean, E>, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (yield* done) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    throw new Error(`timed out waiting for ${what}`)
  })

/** An rlm core with the journaled effect controller (effects run once across re-runs) over `storage`. */
export const journaledCore = (
  storage: Storage,
  program: string | (() => string),
  counter: Ref.Ref<number>,
  maxConcurrent?: number
) =>
  Layer.build(
    LashCore.layer({
      mode: "rlm",
      model: testModel,
      rlm: { abilities: LashlangAbilities.all },
      tools: [counterTool(counter)],
      worker: {
        leaseTtl: "1 second",
        renewEvery: "250 millis",
        ...(maxConcurrent === undefined ? {} : { maxConcurrent })
      }
    }).pipe(
      Layer.provide(
        Layer.mergeAll(
          LanguageModelProvider.single(
            TestProvider.builder().complete(() => fence(typeof program === "string" ? program : program())).build()
          ),
          JournaledEffectController.layer.pipe(Layer.provide(Layer.succeedContext(storage))),
          Layer.succeedContext(storage)
        )
      )
    )
  ).pipe(Effect.map(Context.get(LashCore)))

const parkedOf = (storage: Storage, id: string) =>
  Effect.map(Context.get(storage, ProcessRegistry).listParked(), (all) => all.find((p) => p.processId === id))

/** The one process the session started. */
const startedProcess = (storage: Storage) =>
  Effect.map(
    Context.get(storage, ProcessRegistry).list({ kind: "lashlang" }),
    (records) => records.filter((r) => r.identity.label !== "filler")
  )

const WAIT_THEN_SLEEP = `process errand(label: str) signals { go: { who: str } } {
  a = await tools.count({ label: label })?
  s = wait_signal("go")
  b = await tools.count({ label: s.who })?
  sleep until "2026-12-07T08:00:00Z"
  c = await tools.count({ label: "end" })?
  finish [a.n, b.n, c.n]
}
h = start errand(label: "start")
submit "started"`

/**
 * A process waits for a signal, then sleeps until tomorrow; the runtime restarts while it waits and while it sleeps.
 * Each tool call runs exactly once, nothing holds a lease while parked, and a bad signal is refused and not kept.
 * `reopen` builds a fresh storage context over the same store (a real restart for a durable backend).
 */
export const waitSignalThenSleepAcrossRestarts = (reopen: Effect.Effect<Storage, unknown, Scope.Scope>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-12-06T08:00:00Z"))
    const counter = yield* Ref.make(0)
    // 1. The first runtime: the turn starts the process; it counts once and parks waiting for `go`.
    const storage1 = yield* reopen
    const id = yield* Effect.scoped(
      Effect.gen(function*() {
        const core = yield* journaledCore(storage1, WAIT_THEN_SLEEP, counter)
        const session = yield* core.openSession("errands")
        const turn = yield* session.turn(TurnInput.text("run the errand"), { turnId: "errand-1" }).run
        expect(turn.submittedValue._tag === "Some" && turn.submittedValue.value).toBe("started")
        yield* settle(Effect.map(startedProcess(storage1), (ps) => ps.length === 1), "the process to start")
        const id = (yield* startedProcess(storage1))[0]!.id
        yield* settle(Effect.map(parkedOf(storage1, id), (p) => p !== undefined), "the process to park")
        return id
      })
    )
    expect(yield* Ref.get(counter)).toBe(1)
    // 2. A restart; parked, the process holds no lease: a claim would take it only at its (absent) deadline.
    const storage2 = yield* reopen
    const registry2 = Context.get(storage2, ProcessRegistry)
    expect(yield* parkedOf(storage2, id)).toEqual({ processId: id, reason: "signal", untilMs: null })
    expect(yield* registry2.claimRunnable({ ownerId: "probe", ttlMs: 1000, limit: 10 })).toEqual([])
    yield* Effect.scoped(
      Effect.gen(function*() {
        const core = yield* journaledCore(storage2, WAIT_THEN_SLEEP, counter)
        // Bad signals: an undeclared name, a payload of the wrong type. Neither is kept.
        const events = (yield* registry2.eventsAfter(id as ProcessId, 0)).length
        const unknown = yield* Effect.flip(core.processes().signal(id, "stop", { who: "x" }))
        expect(unknown).toMatchObject({ _tag: "ProcessSignalRejected", reason: "unknown_signal" })
        expect(unknown.message).toContain("declares no signal `stop`")
        const invalid = yield* Effect.flip(core.processes().signal(id, "go", { who: 7 }))
        expect(invalid).toMatchObject({ _tag: "ProcessSignalRejected", reason: "invalid_payload" })
        expect(invalid.message).toContain("$.who")
        expect((yield* registry2.eventsAfter(id as ProcessId, 0)).length).toBe(events)
        // The real one, twice under one key: delivered once.
        yield* core.processes().signal(id, "go", { who: "alice" }, { idempotencyKey: "go-1" })
        yield* core.processes().signal(id, "go", { who: "alice" }, { idempotencyKey: "go-1" })
        yield* settle(
          Effect.map(parkedOf(storage2, id), (p) => p?.reason === "sleep"),
          "the process to sleep"
        )
      })
    )
    expect(yield* Ref.get(counter)).toBe(2)
    const signals = (yield* registry2.eventsAfter(id as ProcessId, 0)).filter((e) => e.eventType === "process.signal")
    expect(signals).toHaveLength(1)
    // 3. Another restart, an hour before the deadline: still asleep, nothing runs.
    yield* TestClock.setTime(Date.parse("2026-12-07T07:00:00Z"))
    const storage3 = yield* reopen
    expect(yield* parkedOf(storage3, id)).toEqual({
      processId: id,
      reason: "sleep",
      untilMs: Date.parse("2026-12-07T08:00:00Z")
    })
    const output = yield* Effect.scoped(
      Effect.gen(function*() {
        const core = yield* journaledCore(storage3, WAIT_THEN_SLEEP, counter)
        yield* core.drivePending("test")
        yield* settle(Effect.succeed(true), "a sweep")
        expect(yield* Ref.get(counter)).toBe(2)
        // The deadline comes: the alarm armed at start-up resumes it once.
        yield* TestClock.adjust("1 hour")
        yield* settle(
          Effect.map(core.processes().get(id), (r) => r.status.state !== "running"),
          "the process to finish"
        )
        return yield* core.processes().await(id)
      })
    )
    expect(output).toEqual({ type: "success", value: [1, 2, 3] })
    expect(yield* Ref.get(counter)).toBe(3)
  })

const NAP = `process nap(label: str) {
  a = await tools.count({ label: label })?
  sleep for "1h"
  b = await tools.count({ label: "after" })?
  finish b.n
}
h = start nap(label: "before")
submit "started"`

/**
 * A sleeping process gives its worker slot up (with `maxConcurrent: 1` another process runs meanwhile), is not run
 * before its deadline, and runs once after it without sleeping again.
 */
export const sleepReleasesTheSlot = (storage: Storage) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-12-06T08:00:00Z"))
    const counter = yield* Ref.make(0)
    let program = NAP
    const core = yield* journaledCore(storage, () => program, counter, 1)
    const session = yield* core.openSession("naps")
    yield* session.turn(TurnInput.text("nap"), { turnId: "nap-1" }).run
    yield* settle(Effect.map(startedProcess(storage), (ps) => ps.length === 1), "the process to start")
    const id = (yield* startedProcess(storage))[0]!.id
    yield* settle(Effect.map(parkedOf(storage, id), (p) => p !== undefined), "the process to park")
    expect(yield* parkedOf(storage, id)).toEqual({
      processId: id,
      reason: "sleep",
      untilMs: Date.parse("2026-12-06T09:00:00Z")
    })
    // The only slot is free: another process runs to its end while the first sleeps.
    program = "process filler(n: int) { finish n }\nh = start filler(n: 5)\nsubmit (await h)?"
    const other = yield* session.turn(TurnInput.text("fill"), { turnId: "fill-1" }).run
    expect(other.submittedValue._tag === "Some" && other.submittedValue.value).toBe(5)
    yield* TestClock.adjust("59 minutes")
    yield* settle(Effect.succeed(true), "nothing")
    expect(yield* Ref.get(counter)).toBe(1)
    expect((yield* core.processes().get(id)).status.state).toBe("running")
    yield* TestClock.adjust("1 minute")
    yield* settle(Effect.map(core.processes().get(id), (r) => r.status.state !== "running"), "the nap to end")
    expect(yield* core.processes().await(id)).toEqual({ type: "success", value: 2 })
    expect(yield* Ref.get(counter)).toBe(2)
    const sleeps = (yield* Context.get(storage, ProcessRegistry).eventsAfter(id as ProcessId, 0)).filter((e) =>
      e.eventType === "process.sleep"
    )
    expect(sleeps).toHaveLength(1)
  })
