/**
 * One tool attempt bounded by its timeout, disconnected from its caller: what `Effect.disconnect` then
 * `Effect.timeoutFail` did (toolCatalog.ts, `attemptOnce`), with one fiber instead of three where it can. The attempt
 * runs in a daemon fiber; the caller waits for the first of the attempt's end and the timeout, without a race fiber.
 * - The attempt ends first: the timer is disarmed and the caller joins the attempt (its exit, and the fiber refs it
 *   changed, as the join of `disconnect` gave them).
 * - The timeout comes first: the attempt is interrupted and not waited for (a tool that ignores interruption cannot
 *   hold its caller past the timeout), and the caller fails with `onTimeout()`.
 * - The caller is interrupted while it waits: the timer is disarmed and the attempt interrupted; the caller gives it
 *   one turn of the scheduler to take that interruption, and does not wait for it longer.
 * The timeout is slept on the caller's `Clock`. Effect's live clock sleeps on a `setTimeout` of the duration (none
 * past the longest delay a timer takes: it never wakes), so under the live clock the timer is that `setTimeout` itself;
 * under any other clock (a test clock) a daemon fiber sleeps it. Measured on B2 (a one-tool `tool_call` process):
 * `timeoutFail` raced two forked fibers around the one of `disconnect`, and every fork, interruption and join of the
 * worker's fibers costs scheduled steps.
 *
 * @internal
 */
import { type Clock, Duration, Effect, Fiber, type FiberId } from "effect"
import { armLiveTimer, isLiveClock } from "./liveClock.js"

/** A timeout the caller's wait arms once; disarming it after it fired does nothing. */
interface Timer {
  readonly arm: (fire: () => void) => void
  readonly disarm: () => void
}

const liveTimer = (timeoutMs: number): Timer => {
  let disarm: (() => void) | undefined
  return {
    arm: (fire) => {
      disarm = armLiveTimer(timeoutMs, fire)
    },
    disarm: () => disarm?.()
  }
}

/** A daemon fiber sleeping on `clock`; disarming interrupts it (not waited for: it only sleeps). */
const fiberTimer = (clock: Clock.Clock, timeoutMs: number, callerId: FiberId.FiberId) =>
  Effect.map(
    Effect.forkDaemon(Effect.interruptible(clock.sleep(Duration.millis(timeoutMs)))),
    (sleeper): Timer => {
      let fired: (() => void) | undefined
      return {
        arm: (fire) => {
          fired = fire
          sleeper.addObserver(fire)
        },
        disarm: () => {
          if (fired !== undefined) sleeper.removeObserver(fired)
          sleeper.unsafeInterruptAsFork(callerId)
        }
      }
    }
  )

/** Answers `true` when `attempt` ends first, `false` when the timer fires first. */
const attemptEndsFirst = (attempt: Fiber.RuntimeFiber<unknown, unknown>, timer: Timer): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    let decided = false
    const onEnd = () => {
      if (decided) return
      decided = true
      timer.disarm()
      resume(Effect.succeed(true))
    }
    // An observer added to a fiber that already ended is called at once.
    attempt.addObserver(onEnd)
    if (!decided) {
      timer.arm(() => {
        if (decided) return
        decided = true
        attempt.removeObserver(onEnd)
        resume(Effect.succeed(false))
      })
    }
    return Effect.sync(() => {
      decided = true
      attempt.removeObserver(onEnd)
      timer.disarm()
    })
  })

/** Runs `self` disconnected, failing with `onTimeout()` when it has not ended within `timeoutMs` (see above). */
export const timeoutDisconnected = <A, E, E2>(
  self: Effect.Effect<A, E>,
  timeoutMs: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const callerId = yield* Effect.fiberId
      const clock = yield* Effect.clock
      const attempt = yield* Effect.forkDaemon(restore(self))
      const timer = isLiveClock(clock) ? liveTimer(timeoutMs) : yield* fiberTimer(clock, timeoutMs, callerId)
      const attemptFirst = yield* restore(attemptEndsFirst(attempt, timer)).pipe(
        // One turn of the scheduler for the attempt to take its interruption: an attempt that ends on interruption
        // has ended when the caller goes on (as after the race it replaces); one that ignores it is not waited for.
        Effect.onInterrupt(() =>
          Effect.zipRight(Effect.sync(() => attempt.unsafeInterruptAsFork(callerId)), Effect.yieldNow())
        )
      )
      if (attemptFirst) return yield* Fiber.join(attempt)
      attempt.unsafeInterruptAsFork(callerId)
      return yield* Effect.fail(onTimeout())
    })
  )
