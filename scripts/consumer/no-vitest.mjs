// Loaded with `node --import ./no-vitest.mjs app.js`: any attempt to resolve vitest or @effect/vitest fails, so the
// app proves that `@lash/testing/provider` (and every other package it imports) runs without a test runner.
import { register } from "node:module"

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === "vitest" || specifier.startsWith("vitest/") || specifier === "@effect/vitest" || specifier.startsWith("@effect/vitest/")) {
    throw new Error("the app imported " + specifier + " (from " + context.parentURL + "); it must run without vitest")
  }
  return next(specifier, context)
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
