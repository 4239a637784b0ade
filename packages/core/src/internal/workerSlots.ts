/**
 * The worker's slots and claims (docs/architecture.md, "The worker": Slots). `maxConcurrent` bounds every way a
 * process reaches this worker (a sweep, a poke after `start`, `emit` or a Lashlang `start`, the register-and-lease
 * unit, a parked process's alarm): a slot is taken before a claim is sent, and given back when the run ends or when no
 * lease came back. Work turned away while every slot was taken is claimed as soon as one frees.
 *
 * @internal
 */
import { Clock, Deferred, Duration, Effect, Exit, type Fiber, FiberId, Scope } from "effect"
import type { StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { ProcessAwaitOutput, ProcessEvent, ProcessLease, ProcessRecord, ProcessRegistration } from "../Process.js"
import type { CoreRuntime } from "./runtime.js"

/** How often a parked process's alarm tries its claim before leaving it to the next sweep. */
const ALARM_ATTEMPTS = 20

/** At most this many runs at once when `maxConcurrent` is not set. */
const DEFAULT_SLOTS = 64

/**
 * Runs a leased process to its end (`known`: its record, when the unit that leased it read it); `settle` is told the
 * outcome its terminal write stored, once that write committed. `watcher`: the cancel watcher its registration took,
 * which the run releases when it ends.
 */
export type RunLeased = (
  lease: ProcessLease,
  known?: ProcessRecord,
  settle?: (outcome: ProcessAwaitOutput) => void,
  watcher?: RegisteredWatcher
) => Effect.Effect<void>

/** The event type a cancel request appends. */
export const CANCEL_REQUESTED = "process.cancel_requested"

/** A cancel watcher registered before its process's row existed (`ProcessRegistry.watchEventAfter`). */
export type CancelWait = Effect.Effect<ProcessEvent, StoreError>

/** A {@link CancelWait} handed to a run, with its release (idempotent: it unregisters the watcher). */
export interface RegisteredWatcher {
  readonly wait: CancelWait
  readonly release: Effect.Effect<void>
}

/**
 * The outcome of a run started by this worker's `launch`, once it ends: what its terminal write stored, or
 * `undefined` when it ended without one (lease lost, parked, store failure, interrupted): ask the registry then.
 */
export type LocalOutcome = Deferred.Deferred<ProcessAwaitOutput | undefined>

/** The slots and claims of one worker. */
export interface WorkerSlots {
  /** The ids of the processes holding a slot. */
  readonly running: Set<string>
  /** Gives `processId`'s slot back; if work was turned away meanwhile, claims it now. */
  readonly slotFreed: (processId: string) => Effect.Effect<void>
  /** Notes that runnable work is waiting for a slot (a lease lost or ran out): the next freed slot claims it. */
  readonly turnAway: () => void
  /** Runs `effect` (a wait on another process) without holding `processId`'s slot; takes it back after. */
  readonly waiting: <A, E>(processId: string, effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Targeted recovery of one known process; a live lease (anyone's) stops quietly; no free slot defers it. */
  readonly recover: (processId: ProcessId) => Effect.Effect<void>
  /** A parked process's deadline: claim and run it then. */
  readonly alarm: (processId: ProcessId, untilMs: number) => Effect.Effect<void>
  /** Arms the alarm of every parked process with a deadline (once, at this worker's first sweep). */
  readonly armParked: Effect.Effect<void, StoreError>
  /** Registers a process, leasing it in the same unit when a slot is free (see `Drivers.registerForRun`). */
  readonly registerForRun: (reg: ProcessRegistration) => ReturnType<CoreRuntime["registry"]["register"]>
  /** Runs a lease {@link registerForRun} answered, with the record its unit read. */
  readonly launch: (lease: ProcessLease, record: ProcessRecord) => Effect.Effect<void>
  /**
   * The outcome of a run `launch` started and that has not ended yet: an await in this process takes it from there
   * instead of reading the registry (the terminal write already read and wrote the row).
   */
  readonly localOutcome: (processId: ProcessId) => LocalOutcome | undefined
  /** Gives back the slot and the lease of a registration that will not run here (its start failed after the unit). */
  readonly abandon: (lease: ProcessLease) => Effect.Effect<void>
  /** Claims runnable processes while slots are free and pages come back full; answers how many it claimed. */
  readonly claimLoop: Effect.Effect<number, StoreError>
}

/**
 * Builds the slots of a worker. `fork` runs a worker fiber; `run` (late-bound: runs and slots refer to each other)
 * runs a leased process and must give its slot back when it ends.
 */
export const makeWorkerSlots = (
  core: CoreRuntime,
  fork: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<void>,
  forkFiber: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<Fiber.RuntimeFiber<A, E>>,
  run: () => RunLeased
): WorkerSlots => {
  const running = new Set<string>()
  /** Slots held by claims on their way (`claimLoop`): a claim sent meanwhile counts them as taken. */
  let claiming = 0
  let turnedAway = false
  const freeSlots = (): number =>
    core.cfg.worker.maxConcurrent === undefined
      ? DEFAULT_SLOTS - claiming
      : Math.min(DEFAULT_SLOTS, core.cfg.worker.maxConcurrent - running.size) - claiming

  const ownerId = () => Effect.map(core.nextId("attempt"), (id) => `worker:${core.instanceId}:${id}`)

  function slotFreed(processId: string): Effect.Effect<void> {
    running.delete(processId)
    if (!turnedAway) return Effect.void
    turnedAway = false
    // Often called from a run's finalizer, which is uninterruptible: the claim (and the runs it forks) must not be.
    return fork(Effect.interruptible(claimMore))
  }

  const waiting = <A, E>(processId: string, effect: Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Effect.suspend(() => slotFreed(processId)),
      () => effect,
      () => Effect.sync(() => void running.add(processId))
    )

  const recover = (processId: ProcessId): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (running.has(processId)) return Effect.void
      if (freeSlots() <= 0) {
        turnedAway = true
        return Effect.void
      }
      running.add(processId)
      return Effect.gen(function*() {
        const lease = yield* core.registry.claimLease(processId, yield* ownerId(), core.cfg.worker.leaseTtlMs)
        yield* fork(run()(lease))
      }).pipe(Effect.catchAll(() => slotFreed(processId)))
    })

  /**
   * The store's deadline may be behind this clock (a database clock): the row then still looks held, so the claim is
   * tried again a few times, half a second apart. Like every other claim, it takes its slot before it is sent.
   */
  const alarm = (processId: ProcessId, untilMs: number): Effect.Effect<void> =>
    fork(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (untilMs > now) yield* Effect.sleep(Duration.millis(untilMs - now))
        for (let attempt = 0; attempt < ALARM_ATTEMPTS; attempt++) {
          if (running.has(processId)) return
          if (freeSlots() <= 0) {
            // Its deadline has passed, so the process is runnable: the next freed slot's claim (or a sweep) takes it.
            turnedAway = true
            return
          }
          running.add(processId)
          const claimed = yield* Effect.either(
            core.registry.claimLease(processId, yield* ownerId(), core.cfg.worker.leaseTtlMs)
          )
          if (claimed._tag === "Right") return yield* fork(run()(claimed.right))
          yield* slotFreed(processId)
          if (claimed.left._tag !== "LeaseHeld") return
          yield* Effect.sleep(Duration.millis(500))
        }
      })
    )

  let armed = false
  const armParked = Effect.gen(function*() {
    if (armed) return
    armed = true
    for (const p of yield* core.registry.listParked()) if (p.untilMs !== null) yield* alarm(p.processId, p.untilMs)
  })

  const registerForRun = (reg: ProcessRegistration) =>
    Effect.suspend(() => {
      if (running.has(reg.id) || freeSlots() <= 0) {
        // Registered without a lease: a poke or the next free slot claims it.
        if (freeSlots() <= 0) turnedAway = true
        return core.registry.register(reg)
      }
      running.add(reg.id)
      const watchRegistry = core.registry.watchEventAfter
      const free = Effect.suspend(() => slotFreed(reg.id))
      // The run's cancel watcher, registered before the unit: a new row had no event before it, so the watcher needs
      // no first read. Closed unless a lease for a new row came back (then `launch` hands it to the run).
      return Effect.flatMap(Scope.make(), (scope) => {
        const closeWatch = Scope.close(scope, Exit.void)
        const release = Effect.zipRight(closeWatch, free)
        return Effect.gen(function*() {
          const cancelWait = watchRegistry === undefined
            ? undefined
            : yield* Scope.extend(watchRegistry(reg.id, CANCEL_REQUESTED, 0), scope)
          const owner = yield* ownerId()
          const out = yield* core.registry.register(reg, {
            claim: { ownerId: owner, ttlMs: core.cfg.worker.leaseTtlMs }
          })
          if (out.lease === undefined) yield* release
          else if (!out.created || cancelWait === undefined) yield* closeWatch
          else watches.set(reg.id, { wait: cancelWait, scope })
          return out
        }).pipe(Effect.onError(() => release))
      })
    })

  const outcomes = new Map<string, LocalOutcome>()
  /** The cancel watchers `registerForRun` took for new rows it leased, until `launch` or `abandon` takes them. */
  const watches = new Map<string, { readonly wait: CancelWait; readonly scope: Scope.CloseableScope }>()

  /** The cancel watcher `registerForRun` took for `processId`, handed over once (to `launch` or `abandon`). */
  const takeWatch = (processId: string) => {
    const watch = watches.get(processId)
    watches.delete(processId)
    return watch
  }

  const launch = (lease: ProcessLease, record: ProcessRecord) =>
    Effect.suspend(() => {
      const id = lease.processId
      const watch = takeWatch(id)
      const outcome: LocalOutcome = Deferred.unsafeMake(FiberId.none)
      outcomes.set(id, outcome)
      const settle = (out: ProcessAwaitOutput | undefined) => {
        if (outcomes.get(id) === outcome) outcomes.delete(id)
        Deferred.unsafeDone(outcome, Exit.succeed(out))
      }
      // The run releases the watcher when it ends, in its own fiber; the observer releases it only after a run
      // interrupted before its first step (the release only unregisters it: synchronous, but `Effect.runSync` starts
      // a fiber of its own, which most runs save).
      let released = false
      const watcher: RegisteredWatcher | undefined = watch === undefined ? undefined : {
        wait: watch.wait,
        release: Effect.suspend(() => {
          if (released) return Effect.void
          released = true
          return Scope.close(watch.scope, Exit.void)
        })
      }
      // Observed on the fiber, not by a finalizer inside it: a run interrupted before its first step still settles.
      return Effect.map(
        forkFiber(run()(lease, record, settle, watcher)),
        (fiber) =>
          fiber.addObserver(() => {
            settle(undefined)
            if (watcher !== undefined && !released) Effect.runSync(watcher.release)
          })
      )
    })

  const abandon = (lease: ProcessLease) =>
    Effect.zipRight(
      Effect.suspend(() => {
        const watch = takeWatch(lease.processId)
        return watch === undefined ? Effect.void : Scope.close(watch.scope, Exit.void)
      }),
      Effect.zipRight(
        Effect.suspend(() => slotFreed(lease.processId)),
        Effect.ignore(core.registry.releaseLease(lease))
      )
    )

  const claimLoop: Effect.Effect<number, StoreError> = Effect.gen(function*() {
    let claimed = 0
    while (true) {
      const limit = freeSlots()
      if (limit <= 0) {
        turnedAway = true
        return claimed
      }
      const owner = yield* ownerId()
      // `limit` slots are held while the claim is on its way, so a claim sent meanwhile (a sweep's, a freed slot's)
      // never counts them free; the leases that came back take theirs in the same step as the hold ends.
      claiming += limit
      const leases = yield* core.registry.claimRunnable({ ownerId: owner, ttlMs: core.cfg.worker.leaseTtlMs, limit })
        .pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              claiming -= limit
              if (Exit.isFailure(exit)) return
              for (const lease of exit.value) running.add(lease.processId)
            })
          )
        )
      claimed += leases.length
      for (const lease of leases) yield* fork(run()(lease))
      if (leases.length < limit) {
        // Work turned away while this claim held slots it did not fill: claim it now, into the slots given back.
        if (!turnedAway) return claimed
        turnedAway = false
      }
    }
  })

  const claimMore: Effect.Effect<void> = Effect.asVoid(claimLoop).pipe(
    Effect.catchAll((e) => Effect.logWarning("worker claim failed; the next poke or sweep retries", e))
  )

  return {
    running,
    slotFreed,
    turnAway: () => void (turnedAway = true),
    waiting,
    recover,
    alarm,
    armParked,
    registerForRun,
    launch,
    localOutcome: (processId) => outcomes.get(processId),
    abandon,
    claimLoop
  }
}
