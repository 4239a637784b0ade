/**
 * One run of a leased process (docs/architecture.md, "The worker"): read the record (quarantining a row that does not
 * decode), race the work against a cancel request and the lease renewals, then park or write the terminal result
 * fenced by the lease, keeping that write through a transient store outage while the lease is ours.
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Either, Exit, Option, Ref, Schedule } from "effect"
import type { CorruptRecord, LeaseLost, StoreError } from "../Errors.js"
import type { Json } from "../Json.js"
import type { ProcessAwaitOutput, ProcessLease, ProcessRecord } from "../Process.js"
import { ProcessFailure, ProcessParked } from "./processEngine.js"
import type { CoreRuntime } from "./runtime.js"
import * as Telemetry from "./telemetry.js"
import type { RunLeased, WorkerSlots } from "./workerSlots.js"

/** The first pause before a terminal write is tried again; it doubles up to half the renewal interval. */
const TERMINAL_RETRY_FIRST_MS = 20
/** How many times a terminal write is tried in all before the run gives up (the lease then runs out). */
const TERMINAL_WRITE_ATTEMPTS = 30

/** What a run needs from its worker. */
export interface RunContext {
  readonly core: CoreRuntime
  readonly slots: WorkerSlots
  /** Runs the record's work (engine, tool call or child turn). */
  readonly runProcess: (record: ProcessRecord) => Effect.Effect<ProcessAwaitOutput, unknown>
}

const transient = (e: { readonly _tag: string }): boolean => e._tag === "StoreUnavailable" || e._tag === "StoreConflict"

/** Builds `runLeased`: runs a leased process; a parked run then arms its alarm (or re-runs) after its slot is free. */
export const makeRunLeased = (ctx: RunContext): RunLeased => {
  const { core, slots } = ctx
  const { leaseTtlMs, renewEveryMs } = core.cfg.worker

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
   * write is tried again with a growing pause while the lease is ours, renewing it when a renewal is due, so an outage
   * shorter than the lease never makes a finished run run again. It gives up when the lease is lost or runs out.
   */
  const completeKept = (latest: Ref.Ref<ProcessLease>, recordId: string, outcome: ProcessAwaitOutput) =>
    Effect.gen(function*() {
      let pause = TERMINAL_RETRY_FIRST_MS
      const maxPause = Math.max(TERMINAL_RETRY_FIRST_MS, Math.floor(renewEveryMs / 2))
      for (let attempt = 1;; attempt++) {
        const written = yield* Effect.either(core.registry.completeWithLease(yield* Ref.get(latest), outcome))
        if (Either.isRight(written)) return yield* Telemetry.workerRunFinished(outcome)
        const error = written.left
        if (error._tag === "LeaseLost") {
          yield* Telemetry.leaseLost
          return yield* Effect.logWarning(`process ${recordId}: lease lost before the terminal write`)
        }
        if (!transient(error) || attempt >= TERMINAL_WRITE_ATTEMPTS) {
          return yield* Effect.logWarning(`process ${recordId}: terminal write failed; its lease will expire`, error)
        }
        yield* Effect.logWarning(`process ${recordId}: terminal write failed (attempt ${attempt}); trying again`, error)
        yield* Effect.sleep(Duration.millis(pause))
        pause = Math.min(maxPause, pause * 2)
        const lease = yield* Ref.get(latest)
        const now = yield* Clock.currentTimeMillis
        if (now < lease.expiresAtMs - leaseTtlMs + renewEveryMs) continue
        const renewed = yield* Effect.either(core.registry.renewLease(lease, leaseTtlMs))
        if (Either.isRight(renewed)) {
          yield* Ref.set(latest, renewed.right)
        } else if (renewed.left._tag === "LeaseLost" || now >= lease.expiresAtMs) {
          yield* Telemetry.leaseLost
          return yield* Effect.logWarning(`process ${recordId}: lease lost while its terminal write was retried`)
        }
      }
    })

  const runOnce = (
    lease: ProcessLease,
    setAfter: (next: Effect.Effect<void>) => void,
    known: ProcessRecord | undefined
  ): Effect.Effect<void> =>
    Effect.gen(function*() {
      const found = known === undefined ? yield* Effect.either(core.registry.get(lease.processId)) : Either.right(known)
      if (found._tag === "Left") {
        if (found.left._tag === "CorruptRecord") return yield* quarantine(lease, found.left)
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
      const latest = yield* Ref.make(lease)
      // A transient store error (a busy database) must not give the lease up: retry until the lease is really lost.
      const renewOnce = Effect.gen(function*() {
        const current = yield* Ref.get(latest)
        const renewed = yield* core.registry.renewLease(current, leaseTtlMs)
        yield* Ref.set(latest, renewed)
      }).pipe(
        Effect.retry({
          while: (e) => e._tag !== "LeaseLost",
          schedule: Schedule.spaced(Duration.millis(Math.max(10, Math.floor(renewEveryMs / 5)))),
          times: 10
        })
      )
      // Renewals are due `renewEvery` after the claim or the last renewal, not after the run got going (a busy
      // worker may start a run a while after its claim).
      const renewLoop = Effect.gen(function*() {
        while (true) {
          const current = yield* Ref.get(latest)
          const due = current.expiresAtMs - leaseTtlMs + renewEveryMs
          yield* Effect.sleep(Duration.millis(Math.max(0, due - (yield* Clock.currentTimeMillis))))
          yield* renewOnce
        }
      })
      const cancelWatch = core.registry
        .waitEventAfter(record.id, "process.cancel_requested", 0)
        .pipe(
          Effect.map((event): ProcessAwaitOutput => {
            const reason = (event.payload as { readonly reason?: Json } | null)?.reason
            return { type: "cancelled", message: typeof reason === "string" ? reason : "cancel requested" }
          })
        )
      const work = ctx.runProcess(record).pipe(
        Effect.catchAll((e) =>
          Effect.succeed(
            e instanceof ProcessParked
              ? e
              : e instanceof ProcessFailure
              ? e.toOutput()
              : ({
                type: "failure",
                code: "process_recovery_failed",
                message: String((e as { message?: unknown })?.message ?? e)
              } as ProcessAwaitOutput)
          )
        ),
        Effect.catchAllDefect((defect) =>
          Effect.succeed<ProcessAwaitOutput | ProcessParked>({
            type: "failure",
            code: "process_recovery_failed",
            message: Cause.pretty(Cause.die(defect))
          })
        )
      )
      // One race of the three (the first to end, success or failure, decides; the others are interrupted).
      const exit = yield* Effect.raceAll<Effect.Effect<Exit.Exit<ProcessAwaitOutput | ProcessParked, unknown>>>([
        Effect.exit(work),
        Effect.exit(cancelWatch),
        Effect.exit(renewLoop as Effect.Effect<never, LeaseLost | StoreError>)
      ])
      if (Exit.isFailure(exit)) {
        if (Cause.isInterruptedOnly(exit.cause)) return
        yield* Telemetry.leaseLost
        yield* Effect.logWarning(`process ${record.id}: lease lost while running; the new owner finishes it`)
        // If nobody took it over (the lease only ran out), the claim after this run's slot frees takes it again.
        slots.turnAway()
        return
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
      yield* completeKept(latest, record.id, outcome)
    }).pipe(
      Effect.ensuring(Effect.suspend(() => slots.slotFreed(lease.processId))),
      Effect.annotateLogs({ processId: lease.processId }),
      Telemetry.workerRunSpan(lease)
    )

  return (lease, known) => {
    let after: Effect.Effect<void> = Effect.void
    return runOnce(lease, (next) => {
      after = next
    }, known).pipe(Effect.zipRight(Effect.suspend(() => after)))
  }
}
