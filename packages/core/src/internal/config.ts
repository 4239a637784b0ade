/**
 * Normalises and validates `LashCoreConfig` (docs/architecture.md, "Building a core" step 1).
 *
 * @internal
 */
import { Duration, Effect } from "effect"
import { LashConfigError } from "../Errors.js"
import type { LashCoreConfig } from "../LashCore.js"

/** A config with defaults applied and durations decoded to milliseconds. */
export interface NormalizedConfig {
  readonly raw: LashCoreConfig
  readonly maxIterations: number
  readonly worker: {
    readonly enabled: boolean
    readonly leaseTtlMs: number
    readonly renewEveryMs: number
    readonly driveOnOpen: boolean
    readonly startupSweep: boolean
    readonly sweepEveryMs: number | undefined
    readonly maxConcurrent: number | undefined
  }
  readonly queuedWork: { readonly claimTtlMs: number; readonly drainOnOpen: boolean }
  readonly providerRetry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number }
}

const ms = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d))

/** Applies defaults and checks the lease timings. */
export const normalize = (config: LashCoreConfig): Effect.Effect<NormalizedConfig, LashConfigError> => {
  const leaseTtlMs = ms(config.worker?.leaseTtl ?? "30 seconds")
  const renewEveryMs = ms(config.worker?.renewEvery ?? "10 seconds")
  if (!(leaseTtlMs >= 3 * renewEveryMs) || renewEveryMs <= 0) {
    return Effect.fail(
      new LashConfigError({
        reason: "invalid_lease_timings",
        detail: `leaseTtl (${leaseTtlMs} ms) must be at least 3 × renewEvery (${renewEveryMs} ms), and renewEvery > 0`
      })
    )
  }
  const maxIterations = config.maxIterations ?? 16
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    return Effect.fail(
      new LashConfigError({ reason: "invalid_limits", detail: "maxIterations must be a positive integer" })
    )
  }
  return Effect.succeed({
    raw: config,
    maxIterations,
    worker: {
      enabled: config.worker?.enabled ?? true,
      leaseTtlMs,
      renewEveryMs,
      driveOnOpen: config.worker?.driveOnOpen ?? true,
      startupSweep: config.worker?.startupSweep ?? true,
      sweepEveryMs: config.worker?.sweepEvery === undefined ? undefined : ms(config.worker.sweepEvery),
      maxConcurrent: config.worker?.maxConcurrent
    },
    queuedWork: {
      claimTtlMs: ms(config.queuedWork?.claimTtl ?? "30 seconds"),
      drainOnOpen: config.queuedWork?.drainOnOpen ?? true
    },
    providerRetry: {
      maxAttempts: config.providerRetry?.maxAttempts ?? 4,
      baseDelayMs: ms(config.providerRetry?.baseDelay ?? "2 seconds"),
      maxDelayMs: ms(config.providerRetry?.maxDelay ?? "10 seconds")
    }
  })
}
