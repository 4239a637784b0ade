/**
 * Keeping the lease of one run (docs/architecture.md, "The worker"): the latest lease, the renewals due `renewEvery`
 * after the claim or the last renewal, retried promptly on a transient store error while the lease is still valid,
 * and the check a tool effect passes before it starts: a run never starts an effect once it cannot be sure it still
 * holds its lease.
 *
 * @internal
 */
import { Clock, Duration, Effect, Either, type Exit, Fiber, Option, Ref, Runtime } from "effect"
import { StoreUnavailable } from "../Errors.js"
import type { ProcessLease } from "../Process.js"
import { armLiveTimer, isLiveClock } from "./liveClock.js"
import type { CoreRuntime } from "./runtime.js"

/** The first pause before a failed renewal is tried again; it doubles up to a fifth of the renewal interval. */
const RENEW_RETRY_FIRST_MS = 20

/** True for the store errors that say nothing about the lease (a busy or unreachable database). */
export const isTransientStoreError = (e: unknown): boolean => {
  const tag = (e as { readonly _tag?: unknown } | null)?._tag
  return tag === "StoreUnavailable" || tag === "StoreConflict"
}

/**
 * The lease is no longer known to be ours: `lost` (the store answered `LeaseLost`, or another error than a transient
 * one) or `expired` (renewals kept failing until its expiry passed).
 */
export class LeaseNotKept {
  readonly _tag = "LeaseNotKept"
  constructor(readonly processId: string, readonly reason: "lost" | "expired", readonly cause: unknown) {}
  get message(): string {
    return `the lease of process ${this.processId} was ${
      this.reason === "lost" ? "lost" : "not renewed before it expired"
    }`
  }
}

/** The lease of one run. */
export interface LeaseKeeper {
  /** The latest lease (the claim's, then each renewal's). */
  readonly latest: Ref.Ref<ProcessLease>
  /** Renews when due, forever; fails once the lease is not kept. */
  readonly renewLoop: Effect.Effect<never, LeaseNotKept>
  /**
   * Succeeds while at least half the lease's lifetime is left (by this host's clock), else renews first (retried
   * promptly while valid). Fails with a `StoreUnavailable` whose cause is the {@link LeaseNotKept} when the lease
   * cannot be confirmed: a store error, so an effect controller never records it as the effect's outcome.
   */
  readonly ensureHeld: Effect.Effect<void, StoreUnavailable>
  /**
   * Runs `renewals` (the run's wrapping of {@link renewLoop}) in a fiber of its own, as `Effect.fork` would. Under
   * Effect's live clock that fiber is forked only when the first renewal is due (a timer until then, `liveClock.ts`):
   * most runs end long before, and never fork it.
   */
  readonly startRenewals: (renewals: Effect.Effect<unknown>) => Effect.Effect<Renewing>
}

/** The renewals of one run, started by `LeaseKeeper.startRenewals`. */
export interface Renewing {
  /** How the renewals' fiber ended, once it did (`Fiber.poll`). */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<unknown>>>
  /** Stops the renewals (the timer, or the fiber: interrupted and waited for, `Fiber.interrupt`). */
  readonly interrupt: Effect.Effect<void>
}

const forked = (fiber: Fiber.Fiber<unknown>): Renewing => ({
  poll: Fiber.poll(fiber),
  interrupt: Effect.asVoid(Fiber.interrupt(fiber))
})

/** Builds the keeper of `lease`. */
export const makeLeaseKeeper = (core: CoreRuntime, lease: ProcessLease): Effect.Effect<LeaseKeeper> =>
  Effect.map(Ref.make(lease), (latest) => {
    const { leaseTtlMs, renewEveryMs } = core.cfg.worker
    const maxPause = Math.max(10, Math.floor(renewEveryMs / 5))

    /**
     * One renewal: a transient store error is tried again after a short, growing pause (20 ms doubling up to a fifth
     * of `renewEvery`) for as long as the lease is valid; `LeaseLost` or the expiry passing ends it.
     */
    const renewNow: Effect.Effect<ProcessLease, LeaseNotKept> = Effect.gen(function*() {
      let pause = RENEW_RETRY_FIRST_MS
      while (true) {
        const current = yield* Ref.get(latest)
        const renewed = yield* Effect.either(core.registry.renewLease(current, leaseTtlMs))
        if (Either.isRight(renewed)) {
          yield* Ref.set(latest, renewed.right)
          return renewed.right
        }
        if (!isTransientStoreError(renewed.left)) {
          return yield* Effect.fail(new LeaseNotKept(current.processId, "lost", renewed.left))
        }
        const now = yield* Clock.currentTimeMillis
        const left = current.expiresAtMs - now
        if (left <= 0) return yield* Effect.fail(new LeaseNotKept(current.processId, "expired", renewed.left))
        yield* Effect.sleep(Duration.millis(Math.min(pause, left)))
        pause = Math.min(maxPause, pause * 2)
      }
    })

    // Renewals are due `renewEvery` after the claim or the last renewal, not after the run got going (a busy worker
    // may start a run a while after its claim).
    const renewLoop: Effect.Effect<never, LeaseNotKept> = Effect.gen(function*() {
      while (true) {
        const current = yield* Ref.get(latest)
        const due = current.expiresAtMs - leaseTtlMs + renewEveryMs
        yield* Effect.sleep(Duration.millis(Math.max(0, due - (yield* Clock.currentTimeMillis))))
        yield* renewNow
      }
    })

    const ensureHeld: Effect.Effect<void, StoreUnavailable> = Effect.gen(function*() {
      const current = yield* Ref.get(latest)
      if (current.expiresAtMs - (yield* Clock.currentTimeMillis) >= leaseTtlMs / 2) return
      yield* Effect.mapError(renewNow, (notKept) => new StoreUnavailable({ port: "ProcessRegistry", cause: notKept }))
    })

    const startRenewals = (renewals: Effect.Effect<unknown>): Effect.Effect<Renewing> =>
      Effect.flatMap(Effect.clock, (clock) => {
        if (!isLiveClock(clock)) return Effect.map(Effect.fork(renewals), forked)
        return Effect.gen(function*() {
          // The run's fiber refs (its span, log annotations, scheduler), as a fork from here would inherit them.
          const runtime = yield* Effect.runtime<never>()
          const current = yield* Ref.get(latest)
          const due = current.expiresAtMs - leaseTtlMs + renewEveryMs
          let fiber: Fiber.RuntimeFiber<unknown> | undefined
          let stopped = false
          const disarm = armLiveTimer(Math.max(0, due - clock.unsafeCurrentTimeMillis()), () => {
            if (!stopped) fiber = Runtime.runFork(runtime)(renewals)
          })
          return {
            poll: Effect.suspend(() => (fiber === undefined ? Effect.succeed(Option.none()) : Fiber.poll(fiber))),
            interrupt: Effect.suspend(() => {
              stopped = true
              disarm()
              return fiber === undefined ? Effect.void : Effect.asVoid(Fiber.interrupt(fiber))
            })
          }
        })
      })

    return { latest, renewLoop, ensureHeld, startRenewals }
  })
