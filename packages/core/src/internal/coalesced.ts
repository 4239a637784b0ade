/**
 * Background runs that coalesce (docs/architecture.md, "The worker"): the worker's sweep and the queued sweep are
 * requested by every scheduled tick and by every storage signal (each commit of every process sharing the store).
 * Forking one run per request let the runs pile up whenever the store was slower than the requests (a busy database
 * host): hundreds of sweeps queued for connections ahead of the lease renewals and terminal writes of running
 * processes, whose leases then expired. A coalesced run has at most one run in flight and one more asked for: a request
 * while a run is in flight asks for one run after it (any number of requests meanwhile are that one run), so a burst
 * of requests costs two runs, and every request is followed by a run that starts after it.
 *
 * @internal
 */
import { Effect, Exit } from "effect"

/**
 * `effect` behind a coalescing gate; the answer is the request (it returns at once). `fork` runs a run in the
 * background (the core's fibers).
 */
export const coalesced = (
  effect: Effect.Effect<void>,
  fork: (run: Effect.Effect<void>) => Effect.Effect<void>
): Effect.Effect<void> => {
  let state: "idle" | "requested" | "running" | "again" = "idle"
  const loop: Effect.Effect<void> = Effect.suspend(() => {
    // From here on, a request needs a run after this one.
    state = "running"
    return Effect.zipRight(
      effect,
      Effect.suspend(() =>
        state === "again" ? loop : Effect.sync(() => {
          state = "idle"
        })
      )
    )
  })
  // A run that dies or is interrupted leaves the gate idle: the next request runs.
  const run = Effect.onExit(loop, (exit) =>
    Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => {
      state = "idle"
    }))
  return Effect.suspend(() => {
    if (state === "idle") {
      state = "requested"
      return fork(run)
    }
    // Requested but not started yet: that run starts after this request. Running: one more after it.
    if (state === "running") state = "again"
    return Effect.void
  })
}
