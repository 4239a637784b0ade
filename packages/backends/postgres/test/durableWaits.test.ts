/**
 * Durable sleep and signals on Postgres: each restart is a new runtime over a new pool on the same schema (the core's
 * scenarios in packages/core/test/durableWaits.ts). The scenarios move time with `TestClock`, so the handles read lease
 * time from Effect's clock (`clock: "host"`, as the conformance kit does); each handle's background fibers (the
 * change listener and its backstop poll) are built on the live clock.
 */
import { describe, it } from "@effect/vitest"
import { Clock, Effect, Layer } from "effect"
import { sleepReleasesTheSlot, waitSignalThenSleepAcrossRestarts } from "../../../core/test/durableWaits.js"
import { PostgresBackend } from "../src/index.js"

const open = (schema: string) =>
  Layer.build(
    PostgresBackend.layerWithInternals(
      { url: PostgresBackend.testing.url(), schema, poolSize: 4, pollIntervalMs: 100 },
      { clock: "host" }
    )
  ).pipe(Effect.withClock(Clock.make()))

describe("durable sleep and signals (Postgres)", () => {
  it.scoped(
    "a sleeping process gives its slot up and resumes once at its deadline, without sleeping again",
    () =>
      Effect.gen(function*() {
        const schema = yield* PostgresBackend.testing.schema()
        yield* sleepReleasesTheSlot(yield* open(schema))
      }),
    120_000
  )

  it.scoped(
    "a process that waits for a signal and sleeps until tomorrow survives two restarts, resuming once per event",
    () =>
      Effect.gen(function*() {
        const schema = yield* PostgresBackend.testing.schema()
        yield* waitSignalThenSleepAcrossRestarts(open(schema))
      }),
    120_000
  )
})
