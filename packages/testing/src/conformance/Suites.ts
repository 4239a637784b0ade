/**
 * Suite entry points: each registers one `describe` block with one test per scenario, named by its spec id and
 * title. Scenarios that do not apply to the backend's tier are reported as skipped (visible), never passed.
 *
 * @since 0.1.0
 */
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import { effectControllerScenarios } from "./EffectControllerScenarios.js"
import { runScenario, type Scenario } from "./Harness.js"
import { processRegistryScenarios } from "./ProcessRegistryScenarios.js"
import { sessionStoreScenarios } from "./SessionStoreScenarios.js"
import { storeScenarios } from "./StoreScenarios.js"

/** Every scenario of the kit, by id. @since 0.1.0 */
export const catalog: ReadonlyMap<string, Scenario> = new Map(
  [...processRegistryScenarios, ...sessionStoreScenarios, ...storeScenarios, ...effectControllerScenarios].map((
    s
  ) => [s.id, s])
)

/** Runs one scenario by id (used by mutation tests and other runners). @since 0.1.0 */
export const runScenarioById = (id: string, backend: StorageUnderTest) => {
  const scenario = catalog.get(id)
  if (scenario === undefined) return Effect.dieMessage(`unknown scenario ${id}`)
  return runScenario(scenario, backend)
}

const register = (suite: string, scenarios: ReadonlyArray<Scenario>, backend: StorageUnderTest): void =>
  void describe(`${backend.name} › ${suite}`, () => {
    for (const s of scenarios) {
      const title = `${s.id} ${s.title}`
      const skipped = backend.skip?.includes(s.id) === true
      if (skipped || (s.tiers !== undefined && !s.tiers.includes(backend.tier))) {
        it.skip(`${title} [n/a: ${skipped ? "skipped by the backend" : `${s.tiers?.join("/")} tier only`}]`, () => {})
      } else if (s.clock === "test") {
        it.scoped(title, () => runScenario(s, backend))
      } else {
        it.scopedLive(title, () => runScenario(s, backend), 30_000)
      }
    }
  })

/** ProcessRegistry (packages/testing/README.md, with its leases and races). @since 0.1.0 */
export const processRegistrySuite = (backend: StorageUnderTest): void =>
  register("ProcessRegistry", processRegistryScenarios.filter((s) => s.suite === "ProcessRegistry"), backend)

/** RuntimePersistence: the session store's commit, CAS, stamps and queue (packages/testing/README.md). @since 0.1.0 */
export const sessionStoreSuite = (backend: StorageUnderTest): void =>
  register("RuntimePersistence", sessionStoreScenarios, backend)

const bySuite = (suite: Scenario["suite"]) => storeScenarios.filter((s) => s.suite === suite)

/** SessionLifecycle: create, exists and load of the session store (packages/testing/README.md). @since 0.1.0 */
export const sessionLifecycleSuite = (backend: StorageUnderTest): void =>
  register("SessionLifecycle", bySuite("SessionLifecycle"), backend)

/** TriggerStore (packages/testing/README.md and X-RACE-7). @since 0.1.0 */
export const triggerStoreSuite = (backend: StorageUnderTest): void =>
  register("TriggerStore", bySuite("TriggerStore"), backend)

/** ProcessEnvStore and ArtifactStore (packages/testing/README.md). @since 0.1.0 */
export const envAndArtifactSuite = (backend: StorageUnderTest): void =>
  register("EnvAndArtifact", bySuite("EnvAndArtifact"), backend)

/** EffectJournal (packages/testing/README.md). @since 0.1.0 */
export const effectJournalSuite = (backend: StorageUnderTest): void =>
  register("EffectJournal", bySuite("EffectJournal"), backend)

/** EffectController, inline and journaled over the backend's journal (packages/testing/README.md). @since 0.1.0 */
export const effectControllerSuite = (backend: StorageUnderTest): void =>
  register("EffectController", effectControllerScenarios, backend)

/** Every storage suite plus the backend-wide checks (X-TIER-1). @since 0.1.0 */
export const backendConformance = (backend: StorageUnderTest): void => {
  processRegistrySuite(backend)
  sessionStoreSuite(backend)
  sessionLifecycleSuite(backend)
  triggerStoreSuite(backend)
  envAndArtifactSuite(backend)
  effectJournalSuite(backend)
  effectControllerSuite(backend)
  register("Backend", [...processRegistryScenarios, ...storeScenarios].filter((s) => s.suite === "Backend"), backend)
}
