/**
 * A run's cancel watch (src/internal/cancelWatch.ts) over the engine's waits (src/storage/Signals.ts, `SignalWait`):
 * no fiber waits for a cancel request; a signal concerning the process starts one confirming read, which hands the
 * cancelled outcome over when the request exists. A request made before the watch starts is still seen; a transient
 * store error while confirming is retried and hands nothing over; nothing stays registered once the watch stops.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Option, PubSub, Scope } from "effect"
import { LeaseLost, ProcessNotFound, StoreUnavailable } from "../src/Errors.js"
import type { ProcessId } from "../src/Identifiers.js"
import { makeCancelWatch } from "../src/internal/cancelWatch.js"
import { CANCEL_REQUESTED } from "../src/internal/workerSlots.js"
import { type ProcessAwaitOutput, type ProcessEvent, ProcessRegistration } from "../src/Process.js"
import { ProcessRegistry } from "../src/ProcessRegistry.js"
import type { LashStorage } from "../src/Storage.js"
import { isSignalWait, makeWaiters, SignalWait, type Waiters } from "../src/storage/Signals.js"
import type { StorageSignal, StorageSignals } from "../src/StorageInfo.js"
import { eventually } from "./containment/corruptBackends.js"
import { processCore, toolCallRegistration } from "./fixtures.js"

const P = "p" as ProcessId
const key = { kind: "process_event", processId: P } as const

/** A process's event log as a store would hold it, and the watch's read of it (counted; failing on demand). */
const fakeStore = () => {
  const events: Array<ProcessEvent> = []
  const state = { reads: 0, failures: 0 }
  const append = (eventType: string, payload: ProcessEvent["payload"]) =>
    events.push({ processId: P, sequence: events.length + 1, eventType, payload, occurredAtMs: 0 })
  /** The read, failing with `error()` while `failures` are left. */
  const checkFailing = <E>(error: () => E) =>
    Effect.suspend(() => {
      state.reads++
      if (state.failures > 0) {
        state.failures--
        return Effect.fail(error())
      }
      return Effect.succeed(Option.fromNullable(events.find((e) => e.eventType === CANCEL_REQUESTED)))
    })
  return { events, state, append, check: checkFailing(() => outage), checkFailing }
}
const outage = new StoreUnavailable({ port: "ProcessRegistry", cause: "failpoint: cancel watch read" })

/** A hub, its waiters, and a watch whose outcome lands in `outcome`; `waitFor`: the wait a claimed run takes. */
/** The watch handed the run the cancelled outcome with `message` (within 5 s). */
const expectCancelled = (outcome: Deferred.Deferred<ProcessAwaitOutput>, message: string) =>
  Effect.map(
    Deferred.await(outcome).pipe(Effect.timeout("5 seconds")),
    (got) => expect(got).toEqual({ type: "cancelled", message })
  )

const setup = Effect.gen(function*() {
  const hub = yield* PubSub.unbounded<StorageSignal>()
  const waiters: Waiters = yield* makeWaiters(hub)
  const store = fakeStore()
  const outcome = yield* Deferred.make<ProcessAwaitOutput>()
  const watchCancel = makeCancelWatch({ waitEventAfter: () => waiters.waitFor(key, store.check) }, 50)
  const onCancel = (out: ProcessAwaitOutput) => Deferred.succeed(outcome, out)
  const signal = PubSub.publish(hub, { kind: "process_event", processId: P, sequence: store.events.length })
  /** Lets the dispatcher and any confirming fiber run. */
  const settle = Effect.sleep("30 millis")
  return { hub, waiters, store, outcome, watchCancel, onCancel, signal, settle }
})

describe("the cancel watch of a run", () => {
  it.scopedLive("a cancel during the run: no read until a signal; each signal one read; the reason is handed over", () =>
    Effect.gen(function*() {
      const { onCancel, outcome, settle, signal, store, waiters, watchCancel } = yield* setup
      const registered = yield* waiters.watch(key, store.check)
      const watching = yield* watchCancel(P, registered, onCancel)
      yield* settle
      expect(store.state.reads, "a registered watcher has nothing to read before a signal").toBe(0)
      store.append("tool.progress", null)
      yield* signal
      yield* settle
      expect(store.state.reads).toBe(1)
      expect(yield* Deferred.isDone(outcome), "another event of the process cancels nothing").toBe(false)
      store.append(CANCEL_REQUESTED, { reason: "stop" })
      yield* signal
      yield* expectCancelled(outcome, "stop")
      expect(store.state.reads).toBe(2)
      yield* watching.stop
      yield* signal
      yield* settle
      expect(store.state.reads, "a stopped watch reads no more").toBe(2)
    }))

  it.scopedLive("a cancel requested before the run starts is seen, with a registered watcher or a wait taken now", () =>
    Effect.gen(function*() {
      // Registered before the request, listened to after it: the signal it got meanwhile is pending.
      const first = yield* setup
      const registered = yield* first.waiters.watch(key, first.store.check)
      first.store.append(CANCEL_REQUESTED, { reason: "early" })
      yield* first.signal
      yield* first.settle
      expect(first.store.state.reads).toBe(0)
      yield* first.watchCancel(P, registered, first.onCancel)
      expect(yield* Deferred.await(first.outcome).pipe(Effect.timeout("5 seconds"))).toEqual({
        type: "cancelled",
        message: "early"
      })
      expect(first.store.state.reads).toBe(1)

      // No watcher registered (a claimed run): the wait taken now reads once first, with no signal at all.
      const second = yield* setup
      second.store.append(CANCEL_REQUESTED, null)
      yield* second.watchCancel(P, undefined, second.onCancel)
      expect(yield* Deferred.await(second.outcome).pipe(Effect.timeout("5 seconds"))).toEqual({
        type: "cancelled",
        message: "cancel requested"
      })
      expect(second.store.state.reads).toBe(1)
      expect(second.waiters.registered(), "a confirmed cancel unregisters the wait").toBe(0)
    }))

  it.scopedLive("a signal that comes while a confirming read is on its way makes it read again once done", () =>
    Effect.gen(function*() {
      const { onCancel, outcome, signal, store, waiters } = yield* setup
      // Each read takes 100 ms, and sees the log as it was when it started.
      const slowCheck = Effect.flatMap(store.check, (found) => Effect.as(Effect.sleep("100 millis"), found))
      const registered = yield* waiters.watch(key, slowCheck)
      const watchCancel = makeCancelWatch({ waitEventAfter: () => waiters.waitFor(key, slowCheck) }, 50)
      yield* watchCancel(P, registered, onCancel)
      store.append("tool.progress", null)
      yield* signal
      yield* Effect.sleep("30 millis")
      expect(store.state.reads).toBe(1)
      store.append(CANCEL_REQUESTED, { reason: "while reading" })
      yield* signal
      yield* signal
      yield* expectCancelled(outcome, "while reading")
      expect(store.state.reads, "one more read for the two signals that came during the first").toBe(2)
    }))

  it.scopedLive("a transient store error while confirming is retried until the read answers; it hands nothing over", () =>
    Effect.gen(function*() {
      const { onCancel, outcome, settle, signal, store, waiters, watchCancel } = yield* setup
      const registered = yield* waiters.watch(key, store.check)
      yield* watchCancel(P, registered, onCancel)
      // An event that is not a cancel, read through two outages: the run goes on.
      store.state.failures = 2
      store.append("tool.progress", null)
      yield* signal
      yield* Effect.sleep("300 millis")
      expect(store.state.reads, "two failed reads, then the answer").toBe(3)
      expect(yield* Deferred.isDone(outcome)).toBe(false)
      // The cancel's one signal, its reads failing twice: retried, not left until another signal comes.
      store.state.failures = 2
      store.append(CANCEL_REQUESTED, { reason: "through an outage" })
      yield* signal
      yield* expectCancelled(outcome, "through an outage")
      expect(store.state.reads).toBe(6)
      yield* settle
      expect(store.state.reads).toBe(6)
    }))

  it.scopedLive("any other store error stops the watch, not the run: nothing is handed over, nothing stays registered", () =>
    Effect.gen(function*() {
      const { onCancel, outcome, settle, signal, store, waiters } = yield* setup
      const notFound = store.checkFailing(() => new ProcessNotFound({ processId: P }))
      const watchCancel = makeCancelWatch({ waitEventAfter: () => waiters.waitFor(key, notFound) }, 50)
      store.state.failures = 1
      const watching = yield* watchCancel(P, undefined, onCancel)
      yield* settle
      expect(store.state.reads).toBe(1)
      expect(waiters.registered()).toBe(0)
      store.append(CANCEL_REQUESTED, null)
      yield* signal
      yield* settle
      expect(store.state.reads).toBe(1)
      expect(yield* Deferred.isDone(outcome)).toBe(false)
      yield* watching.stop
    }))

  it.scopedLive("nothing stays registered: a wait taken now, stopped idle or mid-read; a registered watcher", () =>
    Effect.gen(function*() {
      const { hub, onCancel, settle, signal, store, waiters, watchCancel } = yield* setup
      // Idle, then stopped.
      store.state.failures = 0
      const idle = yield* watchCancel(P, undefined, onCancel)
      yield* settle
      expect(waiters.registered()).toBe(1)
      yield* idle.stop
      expect(waiters.registered()).toBe(0)

      // Stopped while its confirming read hangs: the read is interrupted and waited for.
      let interrupted = false
      const hanging = makeCancelWatch({
        waitEventAfter: () =>
          waiters.waitFor(
            key,
            Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => void (interrupted = true))))
          )
      }, 50)
      const midRead = yield* hanging(P, undefined, onCancel)
      yield* settle
      yield* midRead.stop
      expect(interrupted).toBe(true)
      expect(waiters.registered()).toBe(0)

      // A registered watcher: stopping the watch removes its callback (a signal reads nothing); its scope, owned by
      // whoever registered it, unregisters it.
      const scope = yield* Scope.make()
      const registered = yield* Scope.extend(waiters.watch(key, store.check), scope)
      const watching = yield* watchCancel(P, registered, onCancel)
      yield* watching.stop
      const reads = store.state.reads
      yield* signal
      yield* PubSub.publish(hub, { kind: "poll" })
      yield* settle
      expect(store.state.reads).toBe(reads)
      yield* Scope.close(scope, Exit.void)
      expect(waiters.registered()).toBe(0)
    }))

  it.scopedLive("a wait without a callback form (a registry that wraps its waits) is run in a fiber, as before", () =>
    Effect.gen(function*() {
      const { onCancel, outcome, signal, store, waiters } = yield* setup
      const wrapped = makeCancelWatch({
        waitEventAfter: () => Effect.map(waiters.waitFor(key, store.check), (event) => event)
      }, 50)
      const watching = yield* wrapped(P, undefined, onCancel)
      store.append(CANCEL_REQUESTED, { reason: "wrapped" })
      yield* signal
      yield* expectCancelled(outcome, "wrapped")
      yield* watching.stop
      expect(waiters.registered()).toBe(0)
    }))
})

/**
 * A store whose registry hands out its cancel waits through a counting wrapper: how many are listened to now, how
 * many were, and how many were run as a blocking wait (a fiber waiting on them).
 */
const countingWaits = () => {
  const count = { listening: 0, listens: 0, runs: 0, registered: 0 }
  const track = <A, E>(wait: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    !isSignalWait(wait) ? wait : new SignalWait(
      Effect.suspend(() => {
        count.runs++
        return wait
      }),
      (onSignal) =>
        Effect.map(wait.listen(onSignal), (listening) => {
          count.listens++
          count.listening++
          let open = true
          return {
            ...listening,
            stop: Effect.zipRight(
              listening.stop,
              Effect.sync(() => {
                if (open) count.listening--
                open = false
              })
            )
          }
        })
    )
  const wrap = (storage: Context.Context<LashStorage | StorageSignals>) => {
    const real = Context.get(storage, ProcessRegistry)
    return Context.add(storage, ProcessRegistry, {
      ...real,
      waitEventAfter: (id, eventType, sequence) => track(real.waitEventAfter(id, eventType, sequence)),
      // Counted while registered: the watcher a start takes is released when its run ends (`workerSlots.ts`).
      watchEventAfter: (id, eventType, sequence) =>
        Effect.map(
          Effect.zipLeft(
            real.watchEventAfter!(id, eventType, sequence),
            Effect.acquireRelease(Effect.sync(() => count.registered++), () => Effect.sync(() => count.registered--))
          ),
          track
        ),
      // The first renewal of "lost" is refused: its run ends with its lease lost.
      renewLease: (lease, ttlMs) =>
        lease.processId === "lost" && !lost.done
          ? Effect.suspend(() => {
            lost.done = true
            return Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
          })
          : real.renewLease(lease, ttlMs)
    })
  }
  const lost = { done: false }
  return { count, wrap, lost }
}

describe("the cancel watch of a worker's runs", () => {
  it.scopedLive("runs listen to their cancel waits (none is a fiber's wait) and none is listened to once they end", () =>
    Effect.gen(function*() {
      const { count, lost, wrap } = countingWaits()
      const { anotherCore, core, envRef, storage } = yield* processCore({ delayMs: 400, wrap })
      const none = () =>
        Effect.zipRight(
          eventually(Effect.sync(() => count.listening), (n) => n === 0),
          eventually(Effect.sync(() => count.registered), (n) => n === 0)
        )

      // Succeeded (started with a free slot: the watcher registered with its start).
      yield* core.processes().start(toolCallRegistration("ok", envRef))
      expect(yield* core.processes().await("ok").pipe(Effect.timeout("5 seconds"))).toMatchObject({ type: "success" })
      yield* none()
      expect(count.listens).toBe(1)
      expect(count.registered, "the start's watcher was released with its run").toBe(0)

      // Cancelled during the run, with the reason given.
      yield* core.processes().start(toolCallRegistration("cancelled", envRef))
      yield* Effect.sleep("100 millis")
      expect(count.listening).toBe(1)
      expect(count.registered, "the running process's watcher stays registered").toBe(1)
      yield* core.processes().cancel("cancelled", "no longer needed")
      expect(yield* core.processes().await("cancelled").pipe(Effect.timeout("5 seconds"))).toEqual({
        type: "cancelled",
        message: "no longer needed"
      })
      yield* none()

      // Failed (no such tool).
      yield* core.processes().start(
        ProcessRegistration.toolCall({ id: "failed", toolName: "missing", args: {}, envRef })
      )
      expect(yield* core.processes().await("failed").pipe(Effect.timeout("5 seconds"))).toMatchObject({
        code: "tool_unavailable"
      })
      yield* none()

      // Claimed (registered without a lease): its run takes a wait of its own, listened to the same way.
      const registry = Context.get(storage, ProcessRegistry)
      yield* registry.register(toolCallRegistration("claimed", envRef))
      yield* core.drivePending("test")
      expect(yield* core.processes().await("claimed").pipe(Effect.timeout("5 seconds"))).toMatchObject({
        type: "success"
      })
      yield* none()

      // Lease lost while running (its first renewal is refused).
      yield* core.processes().start(toolCallRegistration("lost", envRef))
      yield* eventually(Effect.sync(() => lost.done), (done) => done)
      yield* none()

      // Interrupted: the worker's core is closed while the run is on its way.
      const scope = yield* Scope.make()
      const other = yield* Scope.extend(anotherCore, scope)
      yield* other.processes().start(toolCallRegistration("interrupted", envRef))
      yield* Effect.sleep("100 millis")
      expect(count.listening).toBeGreaterThanOrEqual(1)
      yield* Scope.close(scope, Exit.void)
      yield* none()

      expect(count.listens).toBeGreaterThanOrEqual(6)
      expect(count.runs, "no cancel wait was run as a fiber's blocking wait").toBe(0)
    }))
})
