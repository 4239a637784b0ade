/**
 * The kit must be able to fail on a durable backend too (packages/testing/README.md, "The kit can fail"): every
 * mutant of the kit wraps the SQLite backend, breaks one rule, and must be rejected by its scenario; so must this
 * backend's own SQL-level mutants (sqlMutants.ts), by the kit's scenarios or this backend's own (sqlScenarios.ts).
 */
import { mutants, mutationSuite, type StorageUnderTest, tempDirectory } from "@lash/testing"
import { Effect } from "effect"
import * as path from "node:path"
import { SqliteBackend } from "../src/index.js"
import { sqliteMutants } from "./sqlMutants.js"
import { sqliteScenarios } from "./sqlScenarios.js"

const sqlite: StorageUnderTest = {
  name: "sqlite",
  tier: "durable",
  expectCrashSafety: "power-loss",
  fresh: Effect.map(
    tempDirectory,
    (dir) => SqliteBackend.layerWithInternals({ filename: path.join(dir, "lash.db"), busyTimeoutMs: 500 })
  ),
  scenarios: sqliteScenarios
}

mutationSuite(sqlite, { mutants: [...mutants, ...sqliteMutants] })
