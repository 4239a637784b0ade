/**
 * Backend-wide self-checks (packages/testing/README.md, "Backend"): one tier across every port (X-TIER-1), a test
 * configuration that matches the tier (X-TIER-2) and a durability report that matches both (X-TIER-3).
 *
 * @since 0.1.0
 */
import {
  ArtifactStore,
  EffectJournal,
  ProcessEnvStore,
  ProcessRegistry,
  SessionStore,
  StorageInfo,
  TriggerStore
} from "@lash/core"
import { Context, Effect } from "effect"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import type { Scenario } from "./Harness.js"

/**
 * What is wrong with a backend's test configuration for its tier (empty when nothing is).
 *
 * @since 0.1.0
 */
export const tierConfigurationProblems = (backend: StorageUnderTest): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (backend.tier === "inline" && backend.expectCrashSafety !== undefined) {
    problems.push(
      `expectCrashSafety "${backend.expectCrashSafety}" is set on an inline tier (inline means no crash safety)`
    )
  }
  if (backend.timeoutScale !== undefined && !(backend.timeoutScale > 0)) {
    problems.push(`timeoutScale must be a positive number, got ${backend.timeoutScale}`)
  }
  for (const [id, reason] of Object.entries(backend.skip ?? {})) {
    if (typeof reason !== "string" || reason.trim() === "") problems.push(`skip of ${id} has no reason`)
  }
  for (const [id, ms] of Object.entries(backend.timeouts ?? {})) {
    if (!(ms > 0)) problems.push(`timeouts.${id} must be a positive number of milliseconds, got ${ms}`)
  }
  return problems
}

/** The backend-wide scenarios. @since 0.1.0 */
export const backendScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-TIER-1",
    suite: "Backend",
    title: "one tier for the whole backend: every port reports the declared tier",
    clock: "test",
    run: (ctx) => {
      const tiers = {
        SessionStore: Context.get(ctx.handle, SessionStore).tier,
        ProcessRegistry: Context.get(ctx.handle, ProcessRegistry).tier,
        TriggerStore: Context.get(ctx.handle, TriggerStore).tier,
        ProcessEnvStore: Context.get(ctx.handle, ProcessEnvStore).tier,
        ArtifactStore: Context.get(ctx.handle, ArtifactStore).tier,
        EffectJournal: Context.get(ctx.handle, EffectJournal).tier,
        StorageInfo: Context.get(ctx.handle, StorageInfo).tier
      }
      return ctx.invariant(
        "every port in LashStorage reports the declared tier",
        Object.values(tiers).every((t) => t === ctx.tier),
        ctx.tier,
        tiers
      )
    }
  },
  {
    id: "X-TIER-2",
    suite: "Backend",
    title: "the test configuration matches the tier (and `fresh` passed the isolation and reopen precheck)",
    clock: "test",
    run: (ctx) => {
      const problems = tierConfigurationProblems(ctx.backend)
      return ctx.invariant(
        "the StorageUnderTest configuration is consistent with its tier",
        problems.length === 0,
        "no problems",
        problems
      )
    }
  },
  {
    id: "X-TIER-3",
    suite: "Backend",
    title: "the durability report matches the tier and the expected crash safety",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const info = Context.get(ctx.handle, StorageInfo)
        const report = yield* info.durabilityReport
        yield* Effect.sync(() =>
          console.log(
            `[${ctx.backend.name}] durability report: ${report.mechanism}, crash safety ${report.crashSafety}, ${
              JSON.stringify(report.details)
            }`
          )
        )
        if (ctx.tier === "inline") {
          yield* ctx.invariant(
            "an inline tier reports crash safety \"none\"",
            report.crashSafety === "none",
            "none",
            report.crashSafety
          )
        } else {
          yield* ctx.invariant(
            "a durable tier reports a crash safety other than \"none\"",
            report.crashSafety !== "none",
            "power-loss | process-crash",
            report.crashSafety
          )
          const expected = ctx.backend.expectCrashSafety
          if (expected !== undefined) {
            yield* ctx.invariant(
              "the reported crash safety is the one the backend is configured for (expectCrashSafety)",
              report.crashSafety === expected,
              expected,
              report
            )
          }
        }
      })
  }
]
