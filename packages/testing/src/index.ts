/**
 * @lash/testing: `TestProvider` and the conformance suites.
 *
 * @since 0.1.0
 */
export * from "./TestProvider.js"
export * from "./StorageUnderTest.js"
export * from "./RuntimeRebuild.js"
export * from "./RebuildFixture.js"
export * from "./conformance/index.js"
