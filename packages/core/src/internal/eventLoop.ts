/**
 * Fairness between the host and the runtime's own fibers (docs/architecture.md, "The worker"). Effect runs fibers on
 * microtasks and lets the event loop go on only now and then, so a host running turns back to back, or a worker
 * running many processes, could hold timers and I/O back for seconds. Two tools keep everyone moving:
 * - `yieldToEventLoop`: one full turn of the event loop (timers, I/O, immediates) before going on; a turn takes one
 *   before it starts;
 * - `workerScheduler`: whenever the worker's fibers yield, they resume in an immediate, after the event loop ran its
 *   timers and I/O, while the host's fibers keep Effect's default (microtask) scheduling: under a flood of process
 *   runs the host goes first, and a timer waits for one batch of worker slices, not for the whole flood. Its yield
 *   check reads the fiber's limits only every {@link YIELD_CHECK_EVERY} steps (`workerShouldYield`).
 *
 * @internal
 */
import { Effect, Scheduler } from "effect"

/** Resumes after one turn of the event loop. */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** How many steps of a fiber pass between two reads of its yield limits (a power of two, see `workerShouldYield`). */
export const YIELD_CHECK_EVERY = 64

/**
 * The worker's yield check. Effect asks the scheduler at every step of a fiber whether it yields now; its default
 * answer reads two fiber refs each time (`Scheduler.defaultShouldYield`: the fiber's max ops before yield, 2048 unless
 * set, and its scheduling priority), hundreds of reads for one process run (B2, docs/performance.md). This one reads
 * them only at every {@link YIELD_CHECK_EVERY}th step of a slice: a busy fiber still yields, at the first such step past
 * its limit (2112 steps under the default 2048), with the priority it has, and a fiber's own limit is still obeyed
 * within {@link YIELD_CHECK_EVERY} steps.
 */
export const workerShouldYield: Scheduler.Scheduler["shouldYield"] = (fiber) =>
  (fiber.currentOpCount & (YIELD_CHECK_EVERY - 1)) === 0 ? Scheduler.defaultShouldYield(fiber) : false

/** The scheduler of the worker's fibers (see above): each batch of their work runs as an immediate. */
export const workerScheduler: Scheduler.Scheduler = Scheduler.makeBatched(
  (runBatch) => void setImmediate(runBatch),
  workerShouldYield
)
