/**
 * Durable sleep and signals on SQLite: each restart is a new runtime over a new connection to the same file (the
 * core's scenarios in packages/core/test/durableWaits.ts). The runtimes run on the TestClock; each store's change
 * poller is built on the live clock (it polls every 10-200 ms, so a test clock moved by a day would run it a million
 * times).
 */
const open = (filename: string) => Layer.build(SqliteBackend.layer({ filename })).pipe(Effect.withClock(Clock.make()))
import { describe, it } from "@effect/vitest"
import { Clock, Effect, Layer } from "effect"
import { sleepReleasesTheSlot, waitSignalThenSleepAcrossRestarts } from "../../../core/test/durableWaits.js"
import { SqliteBackend } from "../src/index.js"
import { tempDbFile } from "./helpers.js"

describe("durable sleep and signals (SQLite)", () => {
  it.scoped("a sleeping process gives its slot up and resumes once at its deadline, without sleeping again", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      yield* sleepReleasesTheSlot(yield* open(filename))
    }))

  it.scoped("a process that waits for a signal and sleeps until tomorrow survives two restarts, resuming once per event", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      yield* waitSignalThenSleepAcrossRestarts(open(filename))
    }))
})
