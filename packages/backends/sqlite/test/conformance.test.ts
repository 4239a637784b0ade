import {
  backendConformance,
  registerSuite,
  runtimeRebuildAndWorkerRecovery,
  type StorageUnderTest,
  tempDirectory
} from "@lash/testing"
import { Context, Effect } from "effect"
import * as path from "node:path"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { reportMatchesPragmas, sqliteScenarios } from "./sqlScenarios.js"

/**
 * A new file per `fresh` (synchronous FULL); every build of the layer is a real second handle on that file. Built with
 * the internals so that this backend's own scenarios (SQ-01 two processes, SQ-02 the report against the pragmas) can
 * reach the file and the connection.
 */
const sqlite: StorageUnderTest = {
  name: "sqlite",
  tier: "durable",
  expectCrashSafety: "power-loss",
  fresh: Effect.map(
    tempDirectory,
    (dir) => SqliteBackend.layerWithInternals({ filename: path.join(dir, "lash.db"), busyTimeoutMs: 500 })
  ),
  tampering: (handle) => {
    const internals = Context.unsafeGet(handle, SqliteBackendInternals)
    return { corrupt: internals.corrupt, setRecordVersion: internals.setRecordVersion }
  },
  scenarios: sqliteScenarios
}

/** The same backend opened with `synchronous: "normal"`: it must report process-crash safety (X-TIER-3). */
const sqliteNormal: StorageUnderTest = {
  name: "sqlite (synchronous normal)",
  tier: "durable",
  expectCrashSafety: "process-crash",
  fresh: Effect.map(
    tempDirectory,
    (dir) =>
      SqliteBackend.layerWithInternals({
        filename: path.join(dir, "lash.db"),
        synchronous: "normal",
        busyTimeoutMs: 500
      })
  ),
  scenarios: [reportMatchesPragmas]
}

runtimeRebuildAndWorkerRecovery(sqlite)
backendConformance(sqlite)
registerSuite("Backend", sqliteNormal)
