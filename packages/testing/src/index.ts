/**
 * @lash/testing: `TestProvider` and the conformance suites.
 *
 * @since 0.1.0
 */
export * from "./conformance/index.js"
export * from "./RebuildFixture.js"
export * from "./RuntimeRebuild.js"
export * from "./StorageUnderTest.js"
export * from "./TestProvider.js"
