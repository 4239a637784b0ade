import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // Each package is its own project; the grouping folders (backends, plugins) are not.
    projects: [
      "packages/*/package.json",
      "packages/backends/*/package.json",
      "packages/plugins/*/package.json",
      "examples/*/package.json"
    ],
    env: { LASH_CONFORMANCE_STRICT: "1" }
  }
})
