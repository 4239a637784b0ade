/**
 * The conformance kit: suites, scenarios, the catalog, the runner and the model-based tests.
 *
 * @since 0.1.0
 */
export * from "./BackendScenarios.js"
export * from "./Catalog.js"
export * from "./CommitOrderScenarios.js"
export * from "./EffectControllerScenarios.js"
export * from "./EventScenarios.js"
export * from "./Fixtures.js"
export * from "./Harness.js"
export * from "./LeaseScenarios.js"
export * from "./ParkScenarios.js"
export * from "./PoisonRowScenarios.js"
export * from "./Precheck.js"
export * from "./ProcessRegistryScenarios.js"
export * from "./QueueScenarios.js"
export * from "./RaceScenarios.js"
export * from "./ReopenScenarios.js"
export * from "./ReplayRaceScenarios.js"
export * from "./SessionStoreScenarios.js"
export * from "./StoreScenarios.js"
export * from "./Suites.js"
export * from "./TriggerScenarios.js"
export * from "./Verdict.js"
export * from "./WaitScenarios.js"
