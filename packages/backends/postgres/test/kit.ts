/**
 * The Postgres backend as the conformance kit sees it: a new schema per `fresh` (dropped with the scenario); every
 * build of the layer is a new pool on that schema, so a reopen is a real second handle. The kit moves time with
 * `TestClock`, so its handles read lease time from Effect's clock (`clock: "host"`); the database clock has its own
 * tests (databaseClock.test.ts).
 */
import type { StorageUnderTest } from "@lash/testing"
import { Effect } from "effect"
import { PostgresBackend } from "../src/index.js"

export const postgres: StorageUnderTest = {
  name: "postgres",
  tier: "durable",
  expectCrashSafety: "power-loss",
  fresh: Effect.map(
    PostgresBackend.testing.schema(),
    (schema) =>
      PostgresBackend.layerWithInternals(
        { url: PostgresBackend.testing.url(), schema, poolSize: 4, pollIntervalMs: 100 },
        { clock: "host" }
      )
  )
}
