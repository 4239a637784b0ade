/**
 * Suite entry points (packages/testing/README.md, "What each suite checks"): each registers one `describe` block with
 * the isolation and reopen precheck, one test per scenario named by its id and title, and a `<Suite>-VERDICT` test.
 * Scenarios that do not apply to the backend's tier are shown as `[n/a: ...]`, skipped ones as `[skipped: <reason>]`;
 * nothing is dropped from the output.
 *
 * @since 0.1.0
 */
import { describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import { catalog, ownScenarioProblems, scenariosOf } from "./Catalog.js"
import { runScenario, type Scenario, type SuiteName, timeoutOf } from "./Harness.js"
import { isolationAndReopen } from "./Precheck.js"
import {
  configurationProblems,
  isStrict,
  reportPath,
  type ScenarioResult,
  type Verdict,
  verdictOf,
  writeReport
} from "./Verdict.js"
import { ConformanceViolation } from "./Violation.js"

interface BackendState {
  readonly results: Array<ScenarioResult>
  readonly verdicts: Array<Verdict>
}

const states = new WeakMap<StorageUnderTest, BackendState>()
const stateOf = (backend: StorageUnderTest): BackendState => {
  let state = states.get(backend)
  if (state === undefined) {
    state = { results: [], verdicts: [] }
    states.set(backend, state)
  }
  return state
}

const knownIdsOf = (backend: StorageUnderTest): ReadonlySet<string> =>
  new Set([...catalog.keys(), ...(backend.scenarios ?? []).map((s) => s.id), "PRECHECK"])

/** Runs `effect` and records its outcome under `scenario`. */
const recorded = <E>(
  state: BackendState,
  scenario: string,
  suite: string,
  effect: Effect.Effect<void, E, any>
) =>
  Effect.suspend(() => {
    const started = performance.now()
    return Effect.onExit(effect, (exit) =>
      Effect.sync(() => {
        const durationMs = Math.round(performance.now() - started)
        if (Exit.isSuccess(exit)) {
          state.results.push({ scenario, suite, outcome: "passed", durationMs })
          return
        }
        const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
        const reason = Cause.isInterruptedOnly(exit.cause)
          ? "interrupted (timed out)"
          : failure instanceof Error
          ? failure.message.split("\n")[0]!
          : Cause.pretty(exit.cause).split("\n")[0]!
        state.results.push({
          scenario,
          suite,
          outcome: "failed",
          reason,
          ...(failure instanceof ConformanceViolation ? { invariant: failure.invariant } : {}),
          durationMs
        })
      }))
  })

/**
 * Registers one suite block for `backend`: the precheck, every scenario of `scenarios` (default: the kit's scenarios
 * of the suite, then the backend's own scenarios of that suite) and the VERDICT test.
 *
 * @since 0.1.0
 */
export const registerSuite = (
  suite: SuiteName,
  backend: StorageUnderTest,
  scenarios: ReadonlyArray<Scenario> = [
    ...scenariosOf(suite),
    ...(backend.scenarios ?? []).filter((s) => s.suite === suite)
  ]
): void =>
  void describe.sequential(`${backend.name} › ${suite}`, () => {
    const state = stateOf(backend)
    const expected: Array<string> = []
    it.scoped(
      "PRECHECK isolation and reopen of `fresh`",
      () => recorded(state, `PRECHECK:${suite}`, suite, isolationAndReopen(backend, "PRECHECK")),
      timeoutOf({ id: "PRECHECK", suite, title: "", clock: "test", timeoutMs: 30_000, run: () => Effect.void }, backend)
    )
    expected.push(`PRECHECK:${suite}`)
    for (const s of scenarios) {
      const title = `${s.id} ${s.title}`
      const reason = backend.skip?.[s.id]
      if (reason !== undefined) {
        state.results.push({ scenario: s.id, suite, outcome: "skipped", reason, durationMs: 0 })
        it.skip(`${title} [skipped: ${reason}]`, () => {})
      } else if (s.needs?.includes("tampering") === true && backend.tampering === undefined) {
        const why = "needs the backend's row-tampering hook (StorageUnderTest.tampering)"
        state.results.push({ scenario: s.id, suite, outcome: "n/a", reason: why, durationMs: 0 })
        it.skip(`${title} [n/a: ${why}]`, () => {})
      } else if (s.tiers !== undefined && !s.tiers.includes(backend.tier)) {
        const why = `${s.tiers.join("/")} tier only`
        state.results.push({ scenario: s.id, suite, outcome: "n/a", reason: why, durationMs: 0 })
        it.skip(`${title} [n/a: ${why}]`, () => {})
      } else {
        expected.push(s.id)
        const run = () => recorded(state, s.id, suite, runScenario(s, backend))
        if (s.clock === "test") it.scoped(title, run, timeoutOf(s, backend))
        else it.scopedLive(title, run, timeoutOf(s, backend))
      }
    }
    it(`${suite}-VERDICT`, () => {
      const verdict = verdictOf({
        suite,
        expected,
        results: state.results.filter((r) => r.suite === suite),
        strict: isStrict(backend),
        problems: [...configurationProblems(backend, knownIdsOf(backend)), ...ownScenarioProblems(backend)]
      })
      state.verdicts.push(verdict)
      console.log(`[${backend.name}] ${suite}-VERDICT: ${verdict.text}`)
      const file = reportPath(backend)
      if (file !== undefined) {
        writeReport(file, {
          kit: "@lash/testing",
          backend: backend.name,
          tier: backend.tier,
          strict: isStrict(backend),
          verdicts: state.verdicts,
          scenarios: state.results
        })
      }
      if (!verdict.ok) throw new Error(`${backend.name} › ${suite}: ${verdict.text}`)
    })
  })

/** ProcessRegistry: registration, events and wakes, leases, races, handles. @since 0.1.0 */
export const processRegistrySuite = (backend: StorageUnderTest): void => registerSuite("ProcessRegistry", backend)

/** RuntimePersistence: the session store's commit, CAS, check order, queue and handles. @since 0.1.0 */
export const sessionStoreSuite = (backend: StorageUnderTest): void => registerSuite("RuntimePersistence", backend)

/** SessionLifecycle: create, exists and load. @since 0.1.0 */
export const sessionLifecycleSuite = (backend: StorageUnderTest): void => registerSuite("SessionLifecycle", backend)

/** TriggerStore. @since 0.1.0 */
export const triggerStoreSuite = (backend: StorageUnderTest): void => registerSuite("TriggerStore", backend)

/** ProcessEnvStore and ArtifactStore. @since 0.1.0 */
export const envAndArtifactSuite = (backend: StorageUnderTest): void => registerSuite("EnvAndArtifact", backend)

/** EffectJournal. @since 0.1.0 */
export const effectJournalSuite = (backend: StorageUnderTest): void => registerSuite("EffectJournal", backend)

/** EffectController, inline and journaled over the backend's journal. @since 0.1.0 */
export const effectControllerSuite = (backend: StorageUnderTest): void => registerSuite("EffectController", backend)

/** Runtime rebuild and worker recovery: RB-01..05 under both controllers, and X-RT-2. @since 0.1.0 */
export const runtimeRebuildAndWorkerRecovery = (backend: StorageUnderTest): void =>
  registerSuite("RuntimeRebuild", backend)

/**
 * Model-based conformance: MB-PR, MB-SS and MB-TS check the ports against reference models under generated call
 * sequences (budget and seed: `LASH_CONFORMANCE_RUNS`, `LASH_CONFORMANCE_SEED`).
 *
 * @since 0.1.0
 */
export const modelBasedConformance = (backend: StorageUnderTest): void => registerSuite("ModelBased", backend)

/** Every storage suite, the model-based suite and the backend-wide checks (X-TIER-1..4). @since 0.1.0 */
export const backendConformance = (backend: StorageUnderTest): void => {
  processRegistrySuite(backend)
  sessionStoreSuite(backend)
  sessionLifecycleSuite(backend)
  triggerStoreSuite(backend)
  envAndArtifactSuite(backend)
  effectJournalSuite(backend)
  effectControllerSuite(backend)
  modelBasedConformance(backend)
  registerSuite("Backend", backend)
}
