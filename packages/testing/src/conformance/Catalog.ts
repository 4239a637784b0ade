/**
 * The catalog: every scenario of the kit, in registration order, by id (packages/testing/README.md, "Scenario
 * catalog"). Ids are stable: a scenario whose meaning changes gets a new id.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { modelScenarios } from "../model/index.js"
import { runtimeRebuildScenarios } from "../RuntimeRebuild.js"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import { backendScenarios } from "./BackendScenarios.js"
import { commitOrderScenarios } from "./CommitOrderScenarios.js"
import { effectControllerScenarios } from "./EffectControllerScenarios.js"
import { eventScenarios } from "./EventScenarios.js"
import { runScenario, type Scenario, type SuiteName } from "./Harness.js"
import { leaseScenarios } from "./LeaseScenarios.js"
import { processRegistryScenarios } from "./ProcessRegistryScenarios.js"
import { queueScenarios } from "./QueueScenarios.js"
import { raceScenarios } from "./RaceScenarios.js"
import { reopenScenarios } from "./ReopenScenarios.js"
import { sessionListScenarios } from "./SessionListScenarios.js"
import { sessionStoreScenarios } from "./SessionStoreScenarios.js"
import { storeScenarios } from "./StoreScenarios.js"
import { triggerScenarios } from "./TriggerScenarios.js"

const all: ReadonlyArray<Scenario> = [
  ...processRegistryScenarios,
  ...eventScenarios,
  ...leaseScenarios,
  ...raceScenarios,
  ...sessionStoreScenarios,
  ...sessionListScenarios,
  ...commitOrderScenarios,
  ...queueScenarios,
  ...triggerScenarios,
  ...storeScenarios,
  ...reopenScenarios,
  ...backendScenarios,
  ...effectControllerScenarios,
  ...runtimeRebuildScenarios,
  ...modelScenarios
]

/** Every scenario of the kit, by id. @since 0.1.0 */
export const catalog: ReadonlyMap<string, Scenario> = new Map(all.map((s) => [s.id, s]))
if (catalog.size !== all.length) {
  const seen = new Set<string>()
  const twice = all.filter((s) => (seen.has(s.id) ? true : (seen.add(s.id), false))).map((s) => s.id)
  throw new Error(`@lash/testing: duplicate scenario ids ${twice.join(", ")}`)
}

/** The scenarios of one suite, in registration order. @since 0.1.0 */
export const scenariosOf = (suite: SuiteName): ReadonlyArray<Scenario> => all.filter((s) => s.suite === suite)

/** Runs one scenario by id (used by mutation tests and other runners); an unknown id is a defect. @since 0.1.0 */
export const runScenarioById = (id: string, backend: StorageUnderTest) => {
  const scenario = catalog.get(id)
  if (scenario === undefined) return Effect.dieMessage(`@lash/testing: unknown scenario ${id}`)
  return runScenario(scenario, backend)
}
