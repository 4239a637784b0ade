/**
 * The Postgres backend as the conformance kit sees it: a new schema per `fresh` (dropped with the scenario); every
 * build of the layer is a new pool on that schema, so a reopen is a real second handle. The kit moves time with
 * `TestClock`, so its handles read lease time from Effect's clock (`clock: "host"`); the database clock has its own
 * tests (databaseClock.test.ts).
 */
import type { StorageUnderTest } from "@lash/testing"
import { Context, Effect } from "effect"
import { PostgresBackend, PostgresBackendInternals } from "../src/index.js"

export const postgres: StorageUnderTest = {
  name: "postgres",
  tier: "durable",
  expectCrashSafety: "power-loss",
  // A server round trip per statement and a migrated schema per scenario: RP-21's 200 commits and the rebuild
  // scenarios' 10 s awaits ran out of time on a loaded 2-core machine. The kit's remedy for a remote store.
  timeoutScale: 3,
  fresh: Effect.map(
    PostgresBackend.testing.schema(),
    (schema) =>
      PostgresBackend.layerWithInternals(
        { url: PostgresBackend.testing.url(), schema, poolSize: 4, pollIntervalMs: 100 },
        { clock: "host" }
      )
  ),
  tampering: (handle) => {
    const internals = Context.unsafeGet(handle, PostgresBackendInternals)
    return { corrupt: internals.corrupt, setRecordVersion: internals.setRecordVersion }
  }
}
