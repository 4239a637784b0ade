/**
 * Decodes `LashCoreConfig` (docs/configuration.md; docs/architecture.md, "Building a core" step 1). Every option is
 * described once, by a Schema per section; the decoded value has its defaults applied and durations in milliseconds.
 * A bad value (NaN, negative, infinite, an unknown literal, a missing required option, a zero that would make a loop
 * spin, an unknown key) fails the layer build with `LashConfigError` naming the option and the value.
 *
 * To add an option: add it to `LashCoreConfig` (LashCore.ts), to its section's Struct here, and its defaulted value
 * to `NormalizedConfig` in {@link normalize}; packages/core/test/config.test.ts fuzzes every option of its table.
 *
 * @internal
 */
import { ExecLimitsOptions, LashlangAbilities, LashlangLanguageFeatures } from "@lash/lashlang"
import { Effect, Either, Schema } from "effect"
import { decodeOptions, DurationMillis, IntBetween, invalidOption, showValue } from "../ConfigOptions.js"
import { LashConfigError } from "../Errors.js"
import type { LashCoreConfig } from "../LashCore.js"
import { ModelSpec } from "../Model.js"

/** A config with defaults applied and durations decoded to milliseconds. */
export interface NormalizedConfig {
  readonly raw: LashCoreConfig<any>
  readonly mode: "rlm" | "standard"
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
  /** Process limits (docs/architecture.md, "Processes and leases"). */
  readonly processes: {
    readonly maxLivePerSession: number
    readonly maxTreeDepth: number
  }
}

/** The defaults of `LashCoreConfig.processes`. */
export const DEFAULT_PROCESS_LIMITS = { maxLivePerSession: 200, maxTreeDepth: 5 } as const

/** The default of `LashCoreConfig.toolTimeout`: 2 minutes. */
export const DEFAULT_TOOL_TIMEOUT_MS = 120_000
/** The default of `LashCoreConfig.rlm.maxOutputChars`. */
export const DEFAULT_MAX_OUTPUT_CHARS = 20_000

// ---------------------------------------------------------------------------------------------------------------
// Option schemas
// ---------------------------------------------------------------------------------------------------------------

const opt = Schema.optional

/** A value the layer only checks the shape of (plugins, tools: functions and Effects). */
const Shaped = (what: string, is: (u: unknown) => boolean) =>
  Schema.declare((u: unknown): u is unknown => is(u), { identifier: what, message: () => `not ${what}` })

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const Plugin = Shaped(
  "a LashPlugin (an object with a string id and a build function)",
  (u) => isObject(u) && typeof u["id"] === "string" && u["id"].length > 0 && typeof u["build"] === "function"
)

const ToolInput = Shaped(
  "a tool (a ToolProvider, a typed tool, or an @effect/ai toolkit)",
  (u) =>
    Effect.isEffect(u) ||
    (isObject(u) &&
      ((Array.isArray(u["manifests"]) && typeof u["execute"] === "function" &&
        typeof u["resolveContract"] === "function") ||
        (isObject(u["tools"]) && typeof u["handle"] === "function")))
)

/** `worker`: the in-process worker that runs processes under leases. */
export const WorkerOptions = Schema.Struct({
  enabled: opt(Schema.Boolean),
  leaseTtl: opt(DurationMillis(30)),
  renewEvery: opt(DurationMillis(10)),
  driveOnOpen: opt(Schema.Boolean),
  startupSweep: opt(Schema.Boolean),
  /** Zero would make the sweep loop spin: at least 10 ms. */
  sweepEvery: opt(DurationMillis(10)),
  maxConcurrent: opt(IntBetween(1))
})

/** `queuedWork`: durable ingress claims. */
export const QueuedWorkOptions = Schema.Struct({
  /** Renewed every third of itself while a turn runs: at least 30 ms. */
  claimTtl: opt(DurationMillis(30)),
  drainOnOpen: opt(Schema.Boolean)
})

/** `providerRetry`: retries of retryable provider failures. */
export const ProviderRetryOptions = Schema.Struct({
  maxAttempts: IntBetween(1, 100),
  baseDelay: DurationMillis(0),
  maxDelay: DurationMillis(0)
})

/** `rlm`: the Lashlang side of RLM mode. */
export const RlmOptions = Schema.Struct({
  abilities: opt(LashlangAbilities),
  languageFeatures: opt(LashlangLanguageFeatures),
  termination: opt(Schema.Literal("submit_required", "prose_or_submit")),
  maxOutputChars: opt(IntBetween(100)),
  limits: opt(ExecLimitsOptions)
})

/** `processes`: limits on the processes Lashlang code starts. */
export const ProcessOptions = Schema.Struct({
  maxLivePerSession: opt(IntBetween(1)),
  maxTreeDepth: opt(IntBetween(1))
})

/** Every option of `LashCoreConfig`. */
export const CoreConfigOptions = Schema.Struct({
  mode: Schema.Literal("rlm", "standard"),
  model: ModelSpec,
  plugins: opt(Schema.Array(Plugin)),
  tools: opt(Schema.Array(ToolInput)),
  toolTimeout: opt(DurationMillis(1)),
  systemPrompt: opt(Schema.String),
  rlm: opt(RlmOptions),
  maxIterations: opt(IntBetween(1, 10_000)),
  worker: opt(WorkerOptions),
  processes: opt(ProcessOptions),
  queuedWork: opt(QueuedWorkOptions),
  providerRetry: opt(ProviderRetryOptions)
})

/** The sections whose keys are checked for typos (a misspelt option would otherwise be silently ignored). */
const sections: ReadonlyArray<readonly [string | undefined, Schema.Struct<any>]> = [
  [undefined, CoreConfigOptions],
  ["worker", WorkerOptions],
  ["queuedWork", QueuedWorkOptions],
  ["providerRetry", ProviderRetryOptions],
  ["rlm", RlmOptions],
  ["processes", ProcessOptions]
]

const unknownKey = (input: unknown): LashConfigError | undefined => {
  for (const [name, schema] of sections) {
    const value = name === undefined ? input : isObject(input) ? input[name] : undefined
    if (!isObject(value)) continue
    for (const key of Object.keys(value)) {
      if (!(key in schema.fields)) {
        const field = name === undefined ? key : `${name}.${key}`
        return new LashConfigError({
          reason: "invalid_option",
          field,
          value: showValue(value[key]),
          detail: `${field} is not an option of LashCoreConfig${name === undefined ? "" : `.${name}`}, got ${
            showValue(value[key])
          } (options: ${Object.keys(schema.fields).join(", ")})`
        })
      }
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// normalize
// ---------------------------------------------------------------------------------------------------------------

/** Decodes the config, applies the defaults and checks the relations between options (lease timings). */
export const normalize = (config: LashCoreConfig<any>): Effect.Effect<NormalizedConfig, LashConfigError> =>
  Effect.suspend(() => {
    if (!isObject(config)) return Effect.fail(invalidOption("config", config, "must be an object"))
    const typo = unknownKey(config)
    if (typo !== undefined) return Effect.fail(typo)
    const decoded = decodeOptions(CoreConfigOptions, "", config)
    if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
    const c = decoded.right
    const leaseTtlMs = c.worker?.leaseTtl ?? 30_000
    const renewEveryMs = c.worker?.renewEvery ?? 10_000
    if (leaseTtlMs < 3 * renewEveryMs) {
      return Effect.fail(
        new LashConfigError({
          reason: "invalid_lease_timings",
          field: "worker.leaseTtl",
          value: showValue(config.worker?.leaseTtl ?? "30 seconds"),
          detail: `worker.leaseTtl (${leaseTtlMs} ms) must be at least 3 × worker.renewEvery (${renewEveryMs} ms)`
        })
      )
    }
    return Effect.succeed<NormalizedConfig>({
      raw: config,
      mode: c.mode,
      maxIterations: c.maxIterations ?? 16,
      worker: {
        enabled: c.worker?.enabled ?? true,
        leaseTtlMs,
        renewEveryMs,
        driveOnOpen: c.worker?.driveOnOpen ?? true,
        startupSweep: c.worker?.startupSweep ?? true,
        sweepEveryMs: c.worker?.sweepEvery,
        maxConcurrent: c.worker?.maxConcurrent
      },
      queuedWork: {
        claimTtlMs: c.queuedWork?.claimTtl ?? 30_000,
        drainOnOpen: c.queuedWork?.drainOnOpen ?? true
      },
      providerRetry: {
        maxAttempts: c.providerRetry?.maxAttempts ?? 4,
        baseDelayMs: c.providerRetry?.baseDelay ?? 2_000,
        maxDelayMs: c.providerRetry?.maxDelay ?? 10_000
      },
      tools: { defaultTimeoutMs: Math.ceil(c.toolTimeout ?? DEFAULT_TOOL_TIMEOUT_MS) },
      rlm: { maxOutputChars: c.rlm?.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS },
      processes: {
        maxLivePerSession: c.processes?.maxLivePerSession ?? DEFAULT_PROCESS_LIMITS.maxLivePerSession,
        maxTreeDepth: c.processes?.maxTreeDepth ?? DEFAULT_PROCESS_LIMITS.maxTreeDepth
      }
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// Run-time arguments
// ---------------------------------------------------------------------------------------------------------------

/** The longest session id `openSession` accepts. */
export const MAX_SESSION_ID_LENGTH = 1_024

/** With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u

const SessionIdArgument = Schema.String.pipe(
  Schema.filter((s) =>
    s.length >= 1 && s.length <= MAX_SESSION_ID_LENGTH && !LONE_SURROGATE.test(s)
      ? undefined
      : `a non-empty, well-formed string of at most ${MAX_SESSION_ID_LENGTH} characters`
  )
)

const OpenSessionArguments = Schema.Struct({
  create: opt(Schema.Boolean),
  pluginOptions: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/** Checks `openSession`'s arguments: a bad one is a `LashConfigError` naming it (`sessionId`, `options.create`). */
export const decodeOpenSessionArguments = (
  sessionId: unknown,
  options: unknown
): Effect.Effect<void, LashConfigError> => {
  const asArgument = (e: LashConfigError) =>
    Effect.fail(
      new LashConfigError({
        reason: "invalid_argument",
        detail: e.detail,
        ...(e.field === undefined ? {} : { field: e.field }),
        ...(e.value === undefined ? {} : { value: e.value })
      })
    )
  const id = decodeOptions(SessionIdArgument, "sessionId", sessionId)
  if (Either.isLeft(id)) return asArgument(id.left)
  if (options === undefined) return Effect.void
  const decoded = decodeOptions(OpenSessionArguments, "options", options)
  return Either.isLeft(decoded) ? asArgument(decoded.left) : Effect.void
}
