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
  readonly raw: LashCoreConfig<any>
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
  /** Tools: the timeout of one attempt of a tool that sets none. */
  readonly tools: { readonly defaultTimeoutMs: number }
  /** RLM: the most characters of one step's output (prints and error) the model is shown. */
  readonly rlm: { readonly maxOutputChars: number }
}

/** The default of `LashCoreConfig.toolTimeout`. */
export const DEFAULT_TOOL_TIMEOUT = "2 minutes"
/** The default of `LashCoreConfig.rlm.maxOutputChars`. */
export const DEFAULT_MAX_OUTPUT_CHARS = 20_000

const ms = (d: Duration.DurationInput): number => {
  try {
    return Duration.toMillis(Duration.decode(d))
  } catch {
    return Number.NaN
  }
}

/** Applies defaults and checks the lease timings. */
export const normalize = (config: LashCoreConfig<any>): Effect.Effect<NormalizedConfig, LashConfigError> => {
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
  const toolTimeoutMs = ms(config.toolTimeout ?? DEFAULT_TOOL_TIMEOUT)
  if (!Number.isFinite(toolTimeoutMs) || toolTimeoutMs <= 0) {
    return Effect.fail(
      new LashConfigError({
        reason: "invalid_limits",
        detail: `toolTimeout must be a positive finite duration, got ${String(config.toolTimeout)}`
      })
    )
  }
  const maxOutputChars = config.rlm?.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS
  if (!Number.isInteger(maxOutputChars) || maxOutputChars < 100) {
    return Effect.fail(
      new LashConfigError({
        reason: "invalid_limits",
        detail: `rlm.maxOutputChars must be an integer of at least 100, got ${String(config.rlm?.maxOutputChars)}`
      })
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
    },
    tools: { defaultTimeoutMs: Math.ceil(toolTimeoutMs) },
    rlm: { maxOutputChars }
  })
}
