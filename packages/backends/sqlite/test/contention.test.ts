/**
 * Lock contention with a connection outside this backend (as another OS process would hold it): the write helper
 * waits (busy timeout), retries with backoff, and never lets a raw SQLITE_BUSY reach the caller.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { SessionStore, StoreConflict } from "@lash/core"
import { Context, Effect, Fiber, Layer } from "effect"
import { SqliteBackend } from "../src/index.js"
import { rootSession, tempDbFile } from "./helpers.js"

/** A foreign connection on the file, holding the write lock until `release` runs. */
const holdWriteLock = (filename: string) =>
  Effect.gen(function*() {
    const other = yield* SqliteClient.make({ filename }).pipe(Effect.provide(Reactivity.layer))
    yield* other.unsafe("BEGIN IMMEDIATE")
    return { release: Effect.orDie(other.unsafe("COMMIT")) }
  }).pipe(Effect.orDie)

describe("contention with another connection", () => {
  it.scopedLive("a write lock held past the retry budget is a typed StoreConflict; after release the unit succeeds", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const store = Context.get(yield* Layer.build(SqliteBackend.layer({ filename, busyTimeoutMs: 20 })), SessionStore)
      const lock = yield* holdWriteLock(filename)
      const error = yield* Effect.flip(store.create(rootSession("blocked")))
      expect(error).toBeInstanceOf(StoreConflict)
      expect(error).toMatchObject({ _tag: "StoreConflict", port: "SessionStore", operation: "create", attempts: 6 })
      expect((error as StoreConflict).code.startsWith("SQLITE_BUSY")).toBe(true)
      expect(yield* store.exists(rootSession("blocked").sessionId)).toBe(false)
      yield* lock.release
      yield* store.create(rootSession("blocked"))
      expect(yield* store.exists(rootSession("blocked").sessionId)).toBe(true)
    }))

  it.scopedLive("a lock released during the backoff is retried transparently", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const store = Context.get(yield* Layer.build(SqliteBackend.layer({ filename, busyTimeoutMs: 20 })), SessionStore)
      const lock = yield* holdWriteLock(filename)
      const releaser = yield* Effect.fork(Effect.zipRight(Effect.sleep("60 millis"), lock.release))
      yield* store.create(rootSession("eventually"))
      yield* Fiber.join(releaser)
      expect(yield* store.exists(rootSession("eventually").sessionId)).toBe(true)
    }))
})
