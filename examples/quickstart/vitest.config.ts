import { defineConfig } from "vitest/config"

// This package's own test configuration (so `vitest run` in this folder runs only its tests).
export default defineConfig({ test: { include: ["test/**/*.test.ts"] } })
