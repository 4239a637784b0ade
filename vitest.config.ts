import { defineConfig } from "vitest/config"
import { workspacePackages } from "./scripts/lib/workspace.js"

// Tests run against the workspace packages' sources: the "@lash/source" export condition (in every package's
// `exports`, stripped from the published manifest by `publishConfig.exports`) points at `src/*.ts`, so no build is
// needed. The other conditions are Vite's defaults, which an explicit list replaces.
const conditions = ["@lash/source", "module", "node", "development|production"]
// Child processes that tests spawn (`node --import tsx worker.ts`) resolve the same way.
const nodeOptions = [process.env.NODE_OPTIONS, "--conditions=@lash/source"].filter(Boolean).join(" ")

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // One project per workspace package, named after the package (`vitest run --project @lash/core`);
    // each inherits this file's options (`extends: true`).
    // The workspace tooling (scripts/) is one more project.
    projects: [
      ...workspacePackages().map((pkg) => ({
        extends: true as const,
        root: pkg.dir,
        test: { name: pkg.manifest.name }
      })),
      { extends: true as const, test: { name: "scripts", include: ["scripts/test/**/*.test.ts"] } }
    ],
    env: { LASH_CONFORMANCE_STRICT: "1", NODE_OPTIONS: nodeOptions },
    // Several tests do real work (big strings, child processes, many processes). CI may run on a busy 2-core
    // machine, so the default 5 s per test is too tight a guard; speed goals live in `pnpm bench`, not here.
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
