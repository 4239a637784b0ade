/**
 * One run of a leased process (docs/architecture.md, "The worker"): read the record (quarantining a row that does not
 * decode), race the work against a cancel request and the lease renewals (`leaseKeeper.ts`), then park or write the
 * terminal result fenced by the lease, keeping that write through a transient store outage while the lease is ours.
 * A transient store error during the run (loading its env, a check before a tool effect) is not the process's outcome:
 * the run gives its lease back and the process runs again.
 *
 * @internal
 */
import { Cause, Deferred, Duration, Effect, Either, Exit, Option, Ref } from "effect"
import type { CorruptRecord, StoreError } from "../Errors.js"
import type { ProcessAwaitOutput, ProcessLease, ProcessRecord } from "../Process.js"
import { type CancelWatching, makeCancelWatch } from "./cancelWatch.js"
import {
  isTransientStoreError as transient,
  type LeaseKeeper,
  LeaseNotKept,
  makeLeaseKeeper,
  type Renewing
} from "./leaseKeeper.js"
import { ProcessFailure, ProcessParked } from "./processEngine.js"
import type { CoreRuntime } from "./runtime.js"
import * as Telemetry from "./telemetry.js"
import type { RegisteredWatcher, RunLeased, WorkerSlots } from "./workerSlots.js"

/** The first pause before a terminal write is tried again; it doubles up to half the renewal interval. */
const TERMINAL_RETRY_FIRST_MS = 20
/** How many times a terminal write is tried in all before the run gives up (the lease then runs out). */
const TERMINAL_WRITE_ATTEMPTS = 30

/** What a run needs from its worker. */
export interface RunContext {
  readonly core: CoreRuntime
  readonly slots: WorkerSlots
  /**
   * Runs the record's work (engine, tool call or child turn); `ensureHeld` must succeed before each effect starts
   * (see `leaseKeeper.ts`).
   */
  readonly runProcess: (
    record: ProcessRecord,
    ensureHeld: Effect.Effect<void, StoreError>
  ) => Effect.Effect<ProcessAwaitOutput, unknown>
}

/** The run stopped on a transient store error, not on an outcome of the process: it runs again. */
class StoreFailedRun {
  readonly _tag = "StoreFailedRun"
  constructor(readonly error: unknown) {}
}

/** Builds `runLeased`: runs a leased process; a parked run then arms its alarm (or re-runs) after its slot is free. */
export const makeRunLeased = (ctx: RunContext): RunLeased => {
  const { core, slots } = ctx
  const { renewEveryMs } = core.cfg.worker
  /** The pause before a run stopped by a transient store error claims its process again. */
  const rerunPauseMs = Math.min(1_000, Math.max(50, Math.floor(renewEveryMs / 5)))
  /** Watches a run's cancel requests, retrying a transient store error (`cancelWatch.ts`). */
  const cancelWatch = makeCancelWatch(core.registry, rerunPauseMs)

  /**
   * Quarantines a leased row that does not decode (docs/architecture.md, "Poison rows"): it is never claimed again.
   * A store error leaves it leased: the lease runs out and the next claim tries again.
   */
  const quarantine = (lease: ProcessLease, corrupt: CorruptRecord) =>
    core.registry.quarantine(lease).pipe(
      Effect.flatMap(Option.match({
        onSome: (named) =>
          Effect.logWarning(`process ${lease.processId} quarantined: its row does not decode`).pipe(
            Effect.annotateLogs({ key: named.key, issue: named.issue })
          ),
        // Repaired since the read: give the lease back, the next poke or sweep runs it.
        onNone: () => Effect.ignore(core.registry.releaseLease(lease))
      })),
      Effect.catchAll((e) =>
        Effect.logWarning(
          `process ${lease.processId} could not be quarantined (${corrupt.key}); the lease will expire`,
          e
        )
      )
    )

  /**
   * The terminal write. A transient store error (`StoreUnavailable`, `StoreConflict`) does not drop the result: the
   * write is tried again with a growing pause while the lease is ours, so an outage shorter than the lease never makes
   * a finished run run again. The lease is renewed meanwhile, in the background, as during the run: one attempt can
   * take seconds on a database that loses connections (two reconnects, an in-doubt `COMMIT` asked about), and a lease
   * left alone for that long lapsed before its write. It gives up when the lease is lost or not kept.
   */
  const completeKept = (
    keeper: LeaseKeeper,
    renewals: Renewing,
    recordId: string,
    outcome: ProcessAwaitOutput,
    settle: ((stored: ProcessAwaitOutput) => void) | undefined
  ) =>
    Effect.gen(function*() {
      let pause = TERMINAL_RETRY_FIRST_MS
      const maxPause = Math.max(TERMINAL_RETRY_FIRST_MS, Math.floor(renewEveryMs / 2))
      for (let attempt = 1;; attempt++) {
        const written = yield* Effect.either(core.registry.completeWithLease(yield* Ref.get(keeper.latest), outcome))
        if (Either.isRight(written)) {
          const status = written.right.status
          if (settle !== undefined && status.state !== "running") settle(status.awaitOutput)
          return yield* Telemetry.workerRunFinished(outcome)
        }
        const error = written.left
        if (error._tag === "LeaseLost") {
          yield* Telemetry.leaseLost
          return yield* Effect.logWarning(
            `process ${recordId}: lease lost before the terminal write; this result is dropped, the next lease runs it (or did)`
          )
        }
        if (!transient(error) || attempt >= TERMINAL_WRITE_ATTEMPTS) {
          return yield* Effect.logWarning(`process ${recordId}: terminal write failed; its lease will expire`, error)
        }
        yield* Effect.logWarning(`process ${recordId}: terminal write failed (attempt ${attempt}); trying again`, error)
        yield* Effect.sleep(Duration.millis(pause))
        pause = Math.min(maxPause, pause * 2)
        const notKept = yield* renewals.poll
        if (Option.isSome(notKept)) {
          yield* Telemetry.leaseLost
          return yield* Effect.logWarning(
            `process ${recordId}: lease lost while its terminal write was retried`,
            notKept.value
          )
        }
      }
    })

  /**
   * A run that stopped on a transient store error gives its lease back (a stale release is a no-op; a release that
   * fails leaves the lease to run out) and claims the process again after a short pause, once its slot is free.
   */
  const rerunAfterStoreFailure = (
    lease: ProcessLease,
    setAfter: (next: Effect.Effect<void>) => void,
    error: unknown,
    why = "the store failed during its run"
  ) =>
    Effect.gen(function*() {
      yield* Effect.logWarning(`process ${lease.processId}: ${why}; the lease is given back and it runs again`, error)
      yield* Effect.ignore(core.registry.releaseLease(lease))
      setAfter(Effect.zipRight(Effect.sleep(Duration.millis(rerunPauseMs)), slots.recover(lease.processId)))
    })

  const runOnce = (
    lease: ProcessLease,
    setAfter: (next: Effect.Effect<void>) => void,
    known: ProcessRecord | undefined,
    settle: ((stored: ProcessAwaitOutput) => void) | undefined,
    watcher: RegisteredWatcher | undefined
  ): Effect.Effect<void> => {
    /** The renewals (`LeaseKeeper.startRenewals`): they go on through the terminal write and stop when the run ends. */
    let renewing: Renewing | undefined
    /** The cancel watch (`cancelWatch.ts`): stopped once the run is decided, or when it ends otherwise. */
    let watching: CancelWatching | undefined
    return Effect.gen(function*() {
      const found = known === undefined ? yield* Effect.either(core.registry.get(lease.processId)) : Either.right(known)
      if (found._tag === "Left") {
        if (found.left._tag === "CorruptRecord") return yield* quarantine(lease, found.left)
        if (transient(found.left)) return yield* rerunAfterStoreFailure(lease, setAfter, found.left)
        yield* Effect.logWarning(`process ${lease.processId} could not be read; its lease will expire`, found.left)
        return
      }
      const record = found.right
      if (record.status.state !== "running" || record.input.type === "external") {
        yield* core.registry.releaseLease(lease).pipe(Effect.ignore)
        return
      }
      slots.running.add(record.id)
      yield* Telemetry.workerRunStarted(record)
      const keeper = yield* makeLeaseKeeper(core, lease)
      const latest = keeper.latest
      const work = ctx.runProcess(record, keeper.ensureHeld).pipe(
        Effect.catchAll((e) =>
          Effect.succeed(
            e instanceof ProcessParked
              ? e
              : e instanceof ProcessFailure
              ? e.toOutput()
              // A transient store error (the env could not be loaded, the lease could not be confirmed before an
              // effect) says nothing about the process: it runs again. A corrupt record stays a failure.
              : transient(e)
              ? new StoreFailedRun(e)
              : ({
                type: "failure",
                code: "process_recovery_failed",
                message: String((e as { message?: unknown })?.message ?? e)
              } as ProcessAwaitOutput)
          )
        ),
        Effect.catchAllDefect((defect) =>
          Effect.succeed<ProcessAwaitOutput | ProcessParked | StoreFailedRun>({
            type: "failure",
            code: "process_recovery_failed",
            message: Cause.pretty(Cause.die(defect))
          })
        )
      )
      // One race of the three: the first to end (success or failure) decides. Only the renewals can fail (the lease is
      // not kept); the cancel watch retries its store errors, and decides only with a cancel request. The cancel watch
      // is stopped before the terminal write (else that write's own event would wake it for one more read); the
      // renewals go on through the terminal write's retries (`completeKept`) and end with the run.
      type Decided = Exit.Exit<ProcessAwaitOutput | ProcessParked | StoreFailedRun, LeaseNotKept>
      const decided = yield* Deferred.make<Decided>()
      const decide = <A extends Decided>(self: Effect.Effect<A>) =>
        Effect.flatMap(self, (exit) => Deferred.succeed(decided, exit))
      const renewals = yield* keeper.startRenewals(decide(Effect.exit(keeper.renewLoop)))
      renewing = renewals
      const working = yield* Effect.fork(decide(Effect.exit(work)))
      const watch = yield* cancelWatch(
        record.id,
        watcher?.wait,
        (cancelled) => Deferred.succeed(decided, Exit.succeed(cancelled))
      )
      watching = watch
      const exit = yield* Deferred.await(decided)
      yield* watch.stop
      // Not awaited: a cancelled or lease-less run's work is interrupted as it was in a race, never waited for. The
      // signal is sent from here (`Fiber.interruptFork` forks a fiber to send it), and not to work that already ended.
      if (working.unsafePoll() === null) working.unsafeInterruptAsFork(yield* Effect.fiberId)
      const stopRenewals = renewals.interrupt
      if (Exit.isFailure(exit)) {
        if (Cause.isInterruptedOnly(exit.cause)) return
        yield* Telemetry.leaseLost
        yield* Effect.logWarning(
          `process ${record.id}: lease lost while running; the new owner finishes it`,
          exit.cause
        )
        // If nobody took it over (the lease only ran out), the claim after this run's slot frees takes it again.
        slots.turnAway()
        return
      }
      if (!(exit.value instanceof StoreFailedRun || exit.value instanceof ProcessParked)) {
        return yield* completeKept(keeper, renewals, record.id, exit.value, settle)
      }
      yield* stopRenewals
      if (exit.value instanceof StoreFailedRun) {
        const notKept = (exit.value.error as { readonly cause?: unknown }).cause instanceof LeaseNotKept
        if (notKept) yield* Telemetry.leaseLost
        return yield* rerunAfterStoreFailure(
          yield* Ref.get(latest),
          setAfter,
          exit.value.error,
          notKept ? "its lease could not be confirmed before a tool started (not renewed in time)" : undefined
        )
      }
      const outcome = exit.value
      if (outcome instanceof ProcessParked) {
        const { parked } = yield* core.registry.park(yield* Ref.get(latest), {
          reason: outcome.reason,
          untilMs: outcome.untilMs,
          seenSequence: outcome.seenSequence
        }).pipe(
          Effect.catchAll((e) =>
            Effect.as(Effect.logWarning(`process ${record.id}: parking failed; its lease will expire`, e), {
              parked: true
            })
          )
        )
        // Not parked: something arrived meanwhile; run again once this run has given its slot up.
        setAfter(
          parked
            ? (outcome.untilMs === null ? Effect.void : slots.alarm(record.id, outcome.untilMs))
            : slots.recover(record.id)
        )
        return
      }
    }).pipe(
      // The watch, the watcher its registration took (`workerSlots.ts`, `launch`) and the renewals stopped.
      Effect.ensuring(Effect.suspend(() =>
        Effect.zipRight(
          Effect.zipRight(
            watching === undefined ? Effect.void : watching.stop,
            watcher === undefined ? Effect.void : watcher.release
          ),
          renewing === undefined ? Effect.void : renewing.interrupt
        )
      )),
      Effect.ensuring(Effect.suspend(() => slots.slotFreed(lease.processId))),
      Effect.annotateLogs({ processId: lease.processId }),
      Telemetry.workerRunSpan(lease)
    )
  }

  return (lease, known, settle, watcher) => {
    let after: Effect.Effect<void> = Effect.void
    return runOnce(
      lease,
      (next) => {
        after = next
      },
      known,
      settle,
      watcher
    ).pipe(Effect.zipRight(Effect.suspend(() => after)))
  }
}
