/**
 * @lash/testing: `TestProvider`, the conformance suites and the mutants they must reject.
 *
 * @since 0.1.0
 */
export * from "./conformance/index.js"
export * from "./model/index.js"
export * from "./mutants/index.js"
export * from "./RebuildFixture.js"
export * from "./RuntimeRebuild.js"
export * from "./StorageUnderTest.js"
export * from "./TestProvider.js"
