/**
 * Model-based conformance: the runner and the three models (process registry, session store, trigger store).
 *
 * @since 0.1.0
 */
import type { Scenario } from "../conformance/Harness.js"
import { registryModelScenario } from "./RegistryModel.js"
import { sessionModelScenario } from "./SessionModel.js"
import { triggerModelScenario } from "./TriggerModel.js"

export * from "./ModelRun.js"
export { registryModelScenario } from "./RegistryModel.js"
export { sessionModelScenario } from "./SessionModel.js"
export { triggerModelScenario } from "./TriggerModel.js"

/** The model-based scenarios, in catalog order. @since 0.1.0 */
export const modelScenarios: ReadonlyArray<Scenario> = [
  registryModelScenario,
  sessionModelScenario,
  triggerModelScenario
]
