/**
 * The conformance kit: suites, scenarios and the runner.
 *
 * @since 0.1.0
 */
export * from "./EffectControllerScenarios.js"
export * from "./Harness.js"
export * from "./ProcessRegistryScenarios.js"
export * from "./SessionStoreScenarios.js"
export * from "./StoreScenarios.js"
export * from "./Suites.js"
