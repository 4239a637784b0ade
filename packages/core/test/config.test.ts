/**
 * Configuration is decoded by Schema when the layer is built (docs/configuration.md): every bad value is a
 * `LashConfigError` naming the option and the value, never a defect, a hang or a silently changed setting; a fuzz over
 * every option shows that any value either decodes into bounded settings or fails with `LashConfigError`.
 */
import { describe, expect, it } from "@effect/vitest"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Cause, Effect, Exit, FastCheck as fc, Layer, Option } from "effect"
import { type LashConfigError, LashCore, type LashCoreConfig, ToolDefinition, ToolProvider } from "../src/index.js"
import { normalize } from "../src/internal/config.js"
import { standardCore, testModel } from "./fixtures.js"

/** The typed failure of building a core with `config` (over the fixture's defaults), or what else happened. */
const buildFailure = (config: Record<string, unknown>) =>
  Effect.gen(function*() {
    const layer = standardCore(TestProvider.script([]).layer, config as Partial<LashCoreConfig>)
    const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)))
    if (Exit.isSuccess(exit)) return "built" as const
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return `not a typed failure: ${Cause.pretty(exit.cause)}`
    return failure.value as LashConfigError
  })

const expectConfigError = (
  result: LashConfigError | string,
  field: string,
  value: string
) => {
  expect(result).toMatchObject({ _tag: "LashConfigError", field, value })
  const error = result as LashConfigError
  expect(error.message).toContain(field)
  expect(error.message).toContain(value)
}

const rawTool = (name: string, definition: Record<string, unknown>) =>
  ToolProvider.fromDefinitions([{
    definition: ToolDefinition.raw({ name, description: name, inputSchema: { type: "object" }, ...definition }),
    execute: () => Effect.die("never called")
  }])

describe("every bad value the issue lists is a LashConfigError naming the field and the value", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string, string]> = [
    [
      "worker.maxConcurrent: NaN (spun the CPU)",
      { worker: { maxConcurrent: Number.NaN } },
      "worker.maxConcurrent",
      "NaN"
    ],
    ["worker.maxConcurrent: -5 (never ran a process)", { worker: { maxConcurrent: -5 } }, "worker.maxConcurrent", "-5"],
    ["worker.maxConcurrent: 0", { worker: { maxConcurrent: 0 } }, "worker.maxConcurrent", "0"],
    ["worker.maxConcurrent: Infinity", { worker: { maxConcurrent: Infinity } }, "worker.maxConcurrent", "Infinity"],
    ["worker.maxConcurrent: 2.5", { worker: { maxConcurrent: 2.5 } }, "worker.maxConcurrent", "2.5"],
    [
      "rlm.limits.maxSteps: NaN (removed the step budget)",
      { rlm: { limits: { maxSteps: Number.NaN } } },
      "rlm.limits.maxSteps",
      "NaN"
    ],
    ["rlm.limits.maxSteps: -1", { rlm: { limits: { maxSteps: -1 } } }, "rlm.limits.maxSteps", "-1"],
    [
      "rlm.limits.maxBlockMillis: \"10s\"",
      { rlm: { limits: { maxBlockMillis: "10s" } } },
      "rlm.limits.maxBlockMillis",
      "\"10s\""
    ],
    ["mode: \"bogus\" (ran as standard)", { mode: "bogus" }, "mode", "\"bogus\""],
    ["mode missing", { mode: undefined }, "mode", "undefined"],
    ["model missing", { model: undefined }, "model", "undefined"],
    [
      "model.limits.contextWindowTokens: -1",
      { model: { id: "m", limits: { contextWindowTokens: -1 } } },
      "model.limits.contextWindowTokens",
      "-1"
    ],
    ["worker.leaseTtl: \"banana\" (a defect)", { worker: { leaseTtl: "banana" } }, "worker.leaseTtl", "\"banana\""],
    ["worker.leaseTtl: NaN", { worker: { leaseTtl: Number.NaN } }, "worker.leaseTtl", "NaN"],
    ["worker.leaseTtl: Infinity", { worker: { leaseTtl: Infinity } }, "worker.leaseTtl", "Infinity"],
    ["worker.leaseTtl: \"-3 seconds\"", { worker: { leaseTtl: "-3 seconds" } }, "worker.leaseTtl", "\"-3 seconds\""],
    ["worker.renewEvery: 0", { worker: { renewEvery: 0 } }, "worker.renewEvery", "0"],
    ["worker.sweepEvery: 0 (burned 7 s of CPU per 5 s idle)", { worker: { sweepEvery: 0 } }, "worker.sweepEvery", "0"],
    ["worker.sweepEvery: \"0 millis\"", { worker: { sweepEvery: "0 millis" } }, "worker.sweepEvery", "\"0 millis\""],
    ["worker.enabled: \"yes\"", { worker: { enabled: "yes" } }, "worker.enabled", "\"yes\""],
    ["queuedWork.claimTtl: -1", { queuedWork: { claimTtl: -1 } }, "queuedWork.claimTtl", "-1"],
    ["rlm.maxOutputChars: NaN (never read)", { rlm: { maxOutputChars: Number.NaN } }, "rlm.maxOutputChars", "NaN"],
    ["rlm.maxOutputChars: 10", { rlm: { maxOutputChars: 10 } }, "rlm.maxOutputChars", "10"],
    ["rlm.termination: \"never\"", { rlm: { termination: "never" } }, "rlm.termination", "\"never\""],
    ["maxIterations: 0", { maxIterations: 0 }, "maxIterations", "0"],
    ["maxIterations: NaN", { maxIterations: Number.NaN }, "maxIterations", "NaN"],
    ["toolTimeout: Infinity", { toolTimeout: Infinity }, "toolTimeout", "Infinity"],
    ["toolTimeout: 0", { toolTimeout: 0 }, "toolTimeout", "0"],
    [
      "providerRetry.maxAttempts: NaN",
      { providerRetry: { maxAttempts: Number.NaN, baseDelay: 1, maxDelay: 1 } },
      "providerRetry.maxAttempts",
      "NaN"
    ],
    [
      "providerRetry.baseDelay missing",
      { providerRetry: { maxAttempts: 2, maxDelay: 1 } },
      "providerRetry.baseDelay",
      "undefined"
    ],
    ["plugins: [null]", { plugins: [null] }, "plugins[0]", "null"],
    ["tools: [42]", { tools: [42] }, "tools[0]", "42"],
    ["systemPrompt: 7", { systemPrompt: 7 }, "systemPrompt", "7"],
    ["an unknown top-level key (a typo)", { maxIteration: 3 }, "maxIteration", "3"],
    ["an unknown worker key (a typo)", { worker: { maxConcurent: 2 } }, "worker.maxConcurent", "2"],
    [
      "tool definition inputSchema: null (a defect)",
      { tools: [rawTool("t", { inputSchema: null })] },
      "tools[t].inputSchema",
      "null"
    ],
    [
      "tool definition timeout: \"banana\"",
      { tools: [rawTool("t", { timeout: "banana" })] },
      "tools[t].timeout",
      "\"banana\""
    ],
    ["tool definition timeout: NaN", { tools: [rawTool("t", { timeout: Number.NaN })] }, "tools[t].timeout", "NaN"],
    [
      "tool definition retry.maxAttempts: -1",
      { tools: [rawTool("t", { retry: { maxAttempts: -1 } })] },
      "tools[t].retry.maxAttempts",
      "-1"
    ],
    [
      "tool definition scheduling: \"sometimes\"",
      { tools: [rawTool("t", { scheduling: "sometimes" })] },
      "tools[t].scheduling",
      "\"sometimes\""
    ]
  ]
  for (const [name, config, field, value] of cases) {
    it.effect(name, () => Effect.map(buildFailure(config), (result) => expectConfigError(result, field, value)))
  }

  it.effect("leaseTtl below 3 × renewEvery names worker.leaseTtl", () =>
    Effect.map(
      buildFailure({ worker: { leaseTtl: "1 second", renewEvery: "500 millis" } }),
      (result) => expect(result).toMatchObject({ reason: "invalid_lease_timings", field: "worker.leaseTtl" })
    ))

  it.effect("openSession(\"\") and other bad arguments are LashConfigError naming the argument", () =>
    Effect.gen(function*() {
      const core = yield* LashCore
      for (
        const [id, options, field, value] of [
          ["", undefined, "sessionId", "\"\""],
          [undefined, undefined, "sessionId", "undefined"],
          ["a\udc00b", undefined, "sessionId", JSON.stringify("a\udc00b")],
          ["x".repeat(2000), undefined, "sessionId", JSON.stringify(`${"x".repeat(80)}…`)],
          ["ok", { create: "yes" }, "options.create", "\"yes\""]
        ] as const
      ) {
        const exit = yield* Effect.exit(core.openSession(id as never, options as never))
        const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
        expect(Option.getOrNull(error), String(id)).toMatchObject({
          _tag: "LashConfigError",
          reason: "invalid_argument",
          field,
          value
        })
      }
      // A good id still opens.
      const session = yield* core.openSession("ok")
      expect(session.sessionId).toBe("ok")
    }).pipe(Effect.provide(standardCore(TestProvider.script([]).layer))))

  it.effect("good values decode: durations in every form, and the defaults", () =>
    Effect.gen(function*() {
      const cfg = yield* normalize({
        mode: "rlm",
        model: testModel,
        worker: { leaseTtl: [3, 0], renewEvery: 1000, sweepEvery: "20 millis", maxConcurrent: 4 },
        queuedWork: { claimTtl: "1 minute" },
        rlm: { abilities: LashlangAbilities.all, limits: { maxSleepMillis: Infinity } }
      })
      expect(cfg.worker).toMatchObject({ leaseTtlMs: 3000, renewEveryMs: 1000, sweepEveryMs: 20, maxConcurrent: 4 })
      expect(cfg.queuedWork.claimTtlMs).toBe(60_000)
      expect(cfg.tools.defaultTimeoutMs).toBe(120_000)
      expect(cfg.providerRetry).toEqual({ maxAttempts: 4, baseDelayMs: 2000, maxDelayMs: 10_000 })
      expect(cfg.maxIterations).toBe(16)
      expect(cfg.rlm.maxOutputChars).toBe(20_000)
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// The fuzz
// ---------------------------------------------------------------------------------------------------------------

/** Values no option accepts everywhere: the hostile ones of the issue, and fast-check's anything. */
const hostile = fc.oneof(
  fc.constantFrom<unknown>(
    Number.NaN,
    Infinity,
    -Infinity,
    -5,
    0,
    -0,
    0.5,
    1e300,
    "banana",
    "",
    "0 millis",
    "-1 seconds",
    "Infinity millis",
    null,
    undefined,
    true,
    [],
    {},
    [Number.NaN, 0],
    () => 1
  ),
  fc.anything()
)
const duration = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.constantFrom("millis", "seconds", "minutes")).map(([n, u]) =>
    `${n} ${u}`
  ),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 999_999_999 }))
)
const positiveInt = fc.integer({ min: 1, max: 1_000_000 })

/** Every option of LashCoreConfig (a dotted path) with values it accepts. */
const options: ReadonlyArray<readonly [string, fc.Arbitrary<unknown>]> = [
  ["mode", fc.constantFrom("rlm", "standard")],
  ["model", fc.constant(testModel)],
  ["toolTimeout", duration],
  ["systemPrompt", fc.string()],
  ["maxIterations", fc.integer({ min: 1, max: 10_000 })],
  ["rlm.abilities", fc.constantFrom(LashlangAbilities.all, LashlangAbilities.none)],
  ["rlm.languageFeatures", fc.constantFrom({ labels: true }, { labels: false })],
  ["rlm.termination", fc.constantFrom("submit_required", "prose_or_submit")],
  ["rlm.maxOutputChars", fc.integer({ min: 100, max: 1_000_000 })],
  ["rlm.limits.maxSteps", positiveInt],
  ["rlm.limits.maxStringLength", positiveInt],
  ["rlm.limits.maxListLength", positiveInt],
  ["rlm.limits.maxRecordEntries", positiveInt],
  ["rlm.limits.maxValueDepth", positiveInt],
  ["rlm.limits.maxValueSize", positiveInt],
  ["rlm.limits.maxGlobalsSize", positiveInt],
  ["rlm.limits.maxHostOperations", positiveInt],
  ["rlm.limits.maxProcessStarts", positiveInt],
  ["rlm.limits.maxPrints", positiveInt],
  ["rlm.limits.maxPrintedChars", positiveInt],
  ["rlm.limits.aggregateConcurrency", positiveInt],
  ["rlm.limits.maxAggregateLeaves", positiveInt],
  ["rlm.limits.maxSleepMillis", positiveInt],
  ["rlm.limits.maxBlockMillis", positiveInt],
  ["worker.enabled", fc.boolean()],
  ["worker.leaseTtl", duration],
  ["worker.renewEvery", duration],
  ["worker.driveOnOpen", fc.boolean()],
  ["worker.startupSweep", fc.boolean()],
  ["worker.sweepEvery", duration],
  ["worker.maxConcurrent", fc.integer({ min: 1, max: 64 })],
  ["processes.maxLivePerSession", positiveInt],
  ["processes.maxTreeDepth", positiveInt],
  ["queuedWork.claimTtl", duration],
  ["queuedWork.drainOnOpen", fc.boolean()],
  ["providerRetry.maxAttempts", fc.integer({ min: 1, max: 100 })],
  ["providerRetry.baseDelay", duration],
  ["providerRetry.maxDelay", duration]
]

/** Each option absent, valid or hostile; the config assembled from the chosen paths. */
const configs = fc.tuple(
  ...options.map(([path, valid]) =>
    fc.oneof(
      { arbitrary: fc.constant<unknown>(undefined), weight: 3 },
      { arbitrary: valid, weight: 3 },
      { arbitrary: hostile, weight: 1 }
    ).map((value) => [path, value] as const)
  )
).map((entries) => {
  const config: Record<string, any> = { mode: "standard", model: testModel }
  for (const [path, value] of entries) {
    if (value === undefined && (path === "mode" || path === "model")) continue
    const keys = path.split(".")
    let at = config
    for (const key of keys.slice(0, -1)) at = at[key] ??= {}
    at[keys[keys.length - 1]!] = value
  }
  // providerRetry's three fields are required together: complete it half of the time.
  if (config["providerRetry"] !== undefined && Object.keys(config["providerRetry"]).length < 3) {
    config["providerRetry"] = { maxAttempts: 2, baseDelay: 10, maxDelay: 100, ...config["providerRetry"] }
  }
  return config
})

describe("a config fuzz over every option", () => {
  it("the option table covers every option of the config schema", async () => {
    const { CoreConfigOptions, ProcessOptions, ProviderRetryOptions, QueuedWorkOptions, RlmOptions, WorkerOptions } =
      await import(
        "../src/internal/config.js"
      )
    const { ExecLimitsOptions } = await import("@lash/lashlang")
    const expected = [
      ...Object.keys(CoreConfigOptions.fields).filter((k) =>
        !["worker", "queuedWork", "providerRetry", "rlm", "plugins", "tools", "processes"].includes(k)
      ),
      ...Object.keys(ProcessOptions.fields).map((k) => `processes.${k}`),
      ...Object.keys(WorkerOptions.fields).map((k) => `worker.${k}`),
      ...Object.keys(QueuedWorkOptions.fields).map((k) => `queuedWork.${k}`),
      ...Object.keys(ProviderRetryOptions.fields).map((k) => `providerRetry.${k}`),
      ...Object.keys(RlmOptions.fields).filter((k) => k !== "limits").map((k) => `rlm.${k}`),
      ...Object.keys(ExecLimitsOptions.fields).map((k) => `rlm.limits.${k}`)
    ]
    expect(options.map(([path]) => path).sort()).toEqual(expected.sort())
  })

  it("every config decodes into bounded settings or fails with LashConfigError (no defect, no hang)", () => {
    fc.assert(
      fc.property(configs, (config) => {
        const exit = Effect.runSyncExit(normalize(config as LashCoreConfig))
        if (Exit.isFailure(exit)) {
          const failure = Cause.failureOption(exit.cause)
          expect(Option.isSome(failure), Cause.pretty(exit.cause)).toBe(true)
          const error = Option.getOrThrow(failure)
          expect(error._tag).toBe("LashConfigError")
          expect(error.field).toBeTypeOf("string")
          return
        }
        const cfg = exit.value
        const { worker, queuedWork, providerRetry, tools } = cfg
        const finitePositive = [worker.leaseTtlMs, worker.renewEveryMs, queuedWork.claimTtlMs, tools.defaultTimeoutMs]
        for (const ms of finitePositive) expect(Number.isFinite(ms) && ms > 0).toBe(true)
        expect(worker.leaseTtlMs).toBeGreaterThanOrEqual(3 * worker.renewEveryMs)
        if (worker.sweepEveryMs !== undefined) expect(worker.sweepEveryMs).toBeGreaterThanOrEqual(10)
        if (worker.maxConcurrent !== undefined) expect(Number.isSafeInteger(worker.maxConcurrent)).toBe(true)
        expect(worker.maxConcurrent === undefined || worker.maxConcurrent >= 1).toBe(true)
        expect(Number.isSafeInteger(providerRetry.maxAttempts) && providerRetry.maxAttempts >= 1).toBe(true)
        expect(Number.isFinite(providerRetry.baseDelayMs) && Number.isFinite(providerRetry.maxDelayMs)).toBe(true)
        expect(["rlm", "standard"]).toContain(cfg.mode)
        const limits = config["rlm"]?.limits ?? {}
        for (const value of Object.values(limits).filter((v) => v !== undefined)) {
          expect(value === Infinity || (Number.isSafeInteger(value) && (value as number) > 0)).toBe(true)
        }
      }),
      { numRuns: 2_000 }
    )
  })

  it.live(
    "whole layer builds over fuzzed configs end as a core or a LashConfigError, never a defect",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(configs, async (config) => {
            const result = await Effect.runPromise(
              buildFailure({ ...config, worker: { ...config["worker"], startupSweep: false } }).pipe(
                Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "hung" })
              )
            )
            if (typeof result === "string") expect(result).toBe("built")
            else expect(result._tag).toBe("LashConfigError")
          }),
          { numRuns: 60 }
        )
      ),
    { timeout: 120_000 }
  )
})
