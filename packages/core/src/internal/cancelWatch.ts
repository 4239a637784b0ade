/**
 * The cancel watch of one run (docs/architecture.md, "The worker"): it tells the run when a
 * `process.cancel_requested` event exists. A wait of the engine (`storage/Signals.ts`, `SignalWait`) is watched in
 * its callback form: no fiber waits for the request; a signal concerning the process forks one that reads (confirms)
 * and ends, so a run nobody cancels forks none. A wait without that form (a registry that wraps its waits) is run in a
 * fiber of its own, as before.
 *
 * A transient store error while confirming is retried (it must never end the run as if its lease were lost: the run
 * would stop after its tool ran, and run again under the next lease); any other error stops the watch, not the run.
 *
 * @internal
 */
import { Duration, Effect, Fiber, Option, Runtime, Schedule } from "effect"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { ProcessAwaitOutput, ProcessEvent } from "../Process.js"
import type { ProcessRegistryService } from "../ProcessRegistry.js"
import { isSignalWait, type Listening, type SignalWait } from "../storage/Signals.js"
import { isTransientStoreError } from "./leaseKeeper.js"
import { CANCEL_REQUESTED, type CancelWait } from "./workerSlots.js"

/** A watch started by {@link CancelWatch}. */
export interface CancelWatching {
  /** Stops the watch (idempotent): its callback is unregistered, a confirming read interrupted and waited for. */
  readonly stop: Effect.Effect<void>
}

/**
 * Watches `processId`'s cancel requests (`registered`: the watcher its start registered, `workerSlots.ts`, else a wait
 * taken now) and runs `onCancel` once with the cancelled outcome when one exists. Stop it before the run's terminal
 * write (that write's own event would wake it for one more read) and when the run ends in any way.
 */
export type CancelWatch = (
  processId: ProcessId,
  registered: CancelWait | undefined,
  onCancel: (outcome: ProcessAwaitOutput) => Effect.Effect<unknown>
) => Effect.Effect<CancelWatching>

/** The outcome a cancel request gives: its reason, or "cancel requested". */
const cancelled = (event: ProcessEvent): ProcessAwaitOutput => {
  const reason = (event.payload as { readonly reason?: Json } | null)?.reason
  return { type: "cancelled", message: typeof reason === "string" ? reason : "cancel requested" }
}

/**
 * Builds a worker's cancel watch over `registry` (its `waitEventAfter` for a run without a registered watcher);
 * `retryPauseMs` caps the pause between retries of a transient store error.
 */
export const makeCancelWatch = (
  registry: Pick<ProcessRegistryService, "waitEventAfter">,
  retryPauseMs: number
): CancelWatch => {
  /** How a transient store error is retried (built once per worker). */
  const retry = {
    while: isTransientStoreError,
    schedule: Schedule.exponential(Duration.millis(20)).pipe(
      Schedule.union(Schedule.spaced(Duration.millis(retryPauseMs)))
    )
  }
  const unwatchable = (processId: ProcessId, e: unknown) =>
    Effect.logWarning(`process ${processId}: its cancel requests cannot be watched`, e)

  /** A wait without a callback form, run in a fiber of its own until it answers. */
  const forked = <E>(
    processId: ProcessId,
    wait: Effect.Effect<ProcessEvent, E>,
    onCancel: (outcome: ProcessAwaitOutput) => Effect.Effect<unknown>
  ): Effect.Effect<CancelWatching> =>
    Effect.map(
      Effect.fork(
        wait.pipe(
          Effect.retry(retry),
          Effect.matchEffect({
            onFailure: (e) => unwatchable(processId, e),
            onSuccess: (event) => onCancel(cancelled(event))
          })
        )
      ),
      (fiber) => ({ stop: Effect.asVoid(Fiber.interrupt(fiber)) })
    )

  /**
   * The callback form: each signal concerning the process (or one since the watcher registered, or a wait's first
   * check) starts one confirming fiber, or, while one reads, makes it read again once done, so no signal is lost.
   */
  const listened = <E>(
    processId: ProcessId,
    wait: SignalWait<ProcessEvent, E>,
    onCancel: (outcome: ProcessAwaitOutput) => Effect.Effect<unknown>
  ): Effect.Effect<CancelWatching> =>
    Effect.gen(function*() {
      // The run's fiber refs (its span, log annotations, scheduler), as a fork from here would inherit them.
      const runtime = yield* Effect.runtime<never>()
      /** Set once `listen` answered; a signal before that is remembered in `again`. */
      let listening: Listening<ProcessEvent, E> | undefined = undefined
      let stopped = false
      /** A confirming fiber is on its way; `again`: a signal came meanwhile. */
      let busy = false
      let again = false
      let confirming: Fiber.RuntimeFiber<void> | undefined
      const unlisten = Effect.suspend(() => (listening === undefined ? Effect.void : listening.stop))
      /** In one step: read again if a signal came meanwhile, else the confirming is over. */
      const readAgain = Effect.sync(() => {
        if (again && !stopped) {
          again = false
          return true
        }
        busy = false
        return false
      })
      const confirm = (check: Effect.Effect<Option.Option<ProcessEvent>, E>): Effect.Effect<void> =>
        Effect.gen(function*() {
          do {
            const found = yield* Effect.retry(check, retry)
            if (Option.isSome(found)) {
              yield* unlisten
              yield* onCancel(cancelled(found.value))
              return
            }
          } while (yield* readAgain)
        }).pipe(Effect.catchAll((e) => Effect.zipRight(unwatchable(processId, e), unlisten)))
      const onSignal = () => {
        if (stopped) return
        if (busy || listening === undefined) {
          again = true
          return
        }
        busy = true
        // Scheduled, not run inside the dispatcher that called this.
        confirming = Runtime.runFork(runtime)(confirm(listening.check), { immediate: false })
      }
      listening = yield* wait.listen(onSignal)
      if (listening.pending || again) {
        again = false
        onSignal()
      }
      return {
        stop: Effect.suspend(() => {
          if (stopped) return Effect.void
          stopped = true
          const fiber = confirming
          return Effect.zipRight(unlisten, fiber === undefined ? Effect.void : Effect.asVoid(Fiber.interrupt(fiber)))
        })
      }
    })

  return (processId, registered, onCancel) => {
    const wait = registered ?? registry.waitEventAfter(processId, CANCEL_REQUESTED, 0)
    return isSignalWait(wait) ? listened(processId, wait, onCancel) : forked(processId, wait, onCancel)
  }
}
