/**
 * The kit must be able to fail on a durable backend too (packages/testing/README.md, "The kit can fail"): every
 * mutant of the kit wraps the SQLite backend, breaks one rule, and must be rejected by its scenario.
 */
import { mutationSuite, type StorageUnderTest, tempDirectory } from "@lash/testing"
import { Effect } from "effect"
import * as path from "node:path"
import { SqliteBackend } from "../src/index.js"

const sqlite: StorageUnderTest = {
  name: "sqlite",
  tier: "durable",
  expectCrashSafety: "power-loss",
  fresh: Effect.map(
    tempDirectory,
    (dir) => SqliteBackend.layer({ filename: path.join(dir, "lash.db"), busyTimeoutMs: 500 })
  )
}

mutationSuite(sqlite)
