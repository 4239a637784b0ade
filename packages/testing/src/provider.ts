/**
 * `@lash/testing/provider`: the scripted model only (no vitest import), usable with any test runner.
 *
 * @since 0.1.0
 */
export * from "./TestProvider.js"
