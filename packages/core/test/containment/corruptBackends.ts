/**
 * The backends the core's corrupt-row tests run on (memory and SQLite), each with its row-tampering hook
 * (`RowTampering`): a fresh store per test, closed with the test's scope.
 */
import { MemoryBackend, MemoryBackendInternals } from "@lash/backend-memory"
import { SqliteBackend, SqliteBackendInternals } from "@lash/backend-sqlite"
import { Context, Effect, Layer, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { LashStorage, RowTampering, StorageSignals } from "../../src/index.js"

/** A built store and its tampering hook. */
export interface TamperedStore {
  readonly storage: Context.Context<LashStorage | StorageSignals>
  readonly corrupt: RowTampering["corrupt"]
}

/** `[name, open]` of every backend the corrupt-row tests run on. */
export const corruptibleBackends: ReadonlyArray<readonly [string, Effect.Effect<TamperedStore, unknown, Scope.Scope>]> =
  [
    [
      "memory",
      Effect.map(Layer.build(MemoryBackend.layerWithInternals()), (ctx) => ({
        storage: ctx,
        corrupt: Context.get(ctx, MemoryBackendInternals).corrupt
      }))
    ],
    [
      "sqlite",
      Effect.flatMap(
        Effect.acquireRelease(
          Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-poison-rows-"))),
          (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
        ),
        (dir) =>
          Effect.map(
            Layer.build(SqliteBackend.layerWithInternals({ filename: path.join(dir, "lash.db") })),
            (ctx) => ({ storage: ctx, corrupt: Context.get(ctx, SqliteBackendInternals).corrupt })
          )
      )
    ]
  ]

/** Polls `read` every 50 ms until `done` holds (dies after `timeoutMs`): no timing bound, only a deadline. */
export const eventually = <A, E>(
  read: Effect.Effect<A, E>,
  done: (a: A) => boolean,
  timeoutMs = 20_000
): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    for (let waited = 0;; waited += 50) {
      const value = yield* read
      if (done(value)) return value
      if (waited >= timeoutMs) return yield* Effect.dieMessage(`condition not reached in ${timeoutMs} ms`)
      yield* Effect.sleep("50 millis")
    }
  })
