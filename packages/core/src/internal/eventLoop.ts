/**
 * Fairness between the host and the runtime's own fibers (docs/architecture.md, "The worker"). Effect runs fibers on
 * microtasks and lets the event loop go on only now and then, so a host running turns back to back, or a worker
 * running many processes, could hold timers and I/O back for seconds. Two tools keep everyone moving:
 * - `yieldToEventLoop`: one full turn of the event loop (timers, I/O, immediates) before going on; a turn takes one
 *   before it starts;
 * - `workerScheduler`: whenever the worker's fibers yield, they resume in an immediate, after the event loop ran its
 *   timers and I/O, while the host's fibers keep Effect's default (microtask) scheduling: under a flood of process
 *   runs the host goes first, and a timer waits for one batch of worker slices, not for the whole flood.
 *
 * @internal
 */
import { Effect, Scheduler } from "effect"

/** Resumes after one turn of the event loop. */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** The scheduler of the worker's fibers (see above): each batch of their work runs as an immediate. */
export const workerScheduler: Scheduler.Scheduler = Scheduler.makeBatched((runBatch) => void setImmediate(runBatch))
