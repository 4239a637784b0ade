/**
 * Effect's live clock, recognized: its `sleep` is a `setTimeout` of the duration, and never wakes from a sleep longer
 * than the longest delay a timer takes (effect's `internal/clock.ts`). Where a sleep on the caller's clock would only
 * cost a forked fiber, a caller under the live clock may arm that timer itself (toolTimeout.ts, leaseKeeper.ts); under
 * any other clock (a test clock) it sleeps on the clock.
 *
 * @internal
 */
import { Clock, Context, DefaultServices } from "effect"

const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** The longest delay a `setTimeout` takes; the live clock never wakes from a longer sleep. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** True for the clock of Effect's default services. */
export const isLiveClock = (clock: Clock.Clock): boolean => clock === liveClock

/** Calls `fire` when the live clock's sleep of `ms` would wake (never past `MAX_TIMER_MS`); answers the disarm. */
export const armLiveTimer = (ms: number, fire: () => void): () => void => {
  if (ms > MAX_TIMER_MS) return () => {}
  const handle = setTimeout(fire, ms)
  return () => clearTimeout(handle)
}
