import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*", "packages/backends/*", "packages/plugins/*", "examples/*"],
    env: { LASH_CONFORMANCE_STRICT: "1" }
  }
})
