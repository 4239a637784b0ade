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
import { parkScenarios } from "./ParkScenarios.js"
import { poisonRowScenarios } from "./PoisonRowScenarios.js"
import { processRegistryScenarios } from "./ProcessRegistryScenarios.js"
import { queueScenarios } from "./QueueScenarios.js"
import { raceScenarios } from "./RaceScenarios.js"
import { reopenScenarios } from "./ReopenScenarios.js"
import { replayRaceScenarios } from "./ReplayRaceScenarios.js"
import { sessionListScenarios } from "./SessionListScenarios.js"
import { sessionStoreScenarios } from "./SessionStoreScenarios.js"
import { storeScenarios } from "./StoreScenarios.js"
import { triggerScenarios } from "./TriggerScenarios.js"
import { waitScenarios } from "./WaitScenarios.js"

const all: ReadonlyArray<Scenario> = [
  ...processRegistryScenarios,
  ...eventScenarios,
  ...leaseScenarios,
  ...parkScenarios,
  ...raceScenarios,
  ...replayRaceScenarios,
  ...waitScenarios,
  ...sessionStoreScenarios,
  ...sessionListScenarios,
  ...commitOrderScenarios,
  ...queueScenarios,
  ...triggerScenarios,
  ...storeScenarios,
  ...reopenScenarios,
  ...backendScenarios,
  ...poisonRowScenarios,
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

/**
 * A scenario by id: the kit's, or one of the backend's own (`StorageUnderTest.scenarios`).
 *
 * @since 0.1.0
 */
export const scenarioById = (id: string, backend?: StorageUnderTest): Scenario | undefined =>
  catalog.get(id) ?? backend?.scenarios?.find((s) => s.id === id)

/**
 * Runs one scenario by id, the kit's or the backend's own (used by mutation tests and other runners); an unknown id
 * is a defect.
 *
 * @since 0.1.0
 */
export const runScenarioById = (id: string, backend: StorageUnderTest) => {
  const scenario = scenarioById(id, backend)
  if (scenario === undefined) return Effect.dieMessage(`@lash/testing: unknown scenario ${id}`)
  return runScenario(scenario, backend)
}

/**
 * Problems with a backend's own scenarios: an id the kit already uses, or used twice.
 *
 * @since 0.1.0
 */
export const ownScenarioProblems = (backend: StorageUnderTest): ReadonlyArray<string> => {
  const seen = new Set<string>()
  return (backend.scenarios ?? []).flatMap((s) => {
    const problem = catalog.has(s.id)
      ? [`the backend's own scenario ${s.id} reuses a kit scenario id`]
      : seen.has(s.id)
      ? [`the backend's own scenario id ${s.id} is used twice`]
      : []
    seen.add(s.id)
    return problem
  })
}
