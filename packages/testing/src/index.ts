/**
 * @lash/testing: `TestProvider` and the conformance suites.
 *
 * @since 0.1.0
 */
export * from "./TestProvider.js"
