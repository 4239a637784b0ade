/**
 * The units of `Transaction.ts` on this backend's synchronous connection (`Client.ts`): one masked step that takes the
 * file's in-process lock and begins, the body, and a continuation that commits or rolls back and releases the lock.
 * Units serialise on the lock; a unit waiting for it, or interrupted inside its body, leaves neither the lock held
 * nor the connection inside a transaction; failures are mapped to the storage tags and roll back.
 */
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { StoreUnavailable } from "@lash/core"
import { Deferred, Effect, Fiber } from "effect"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import * as Client from "../src/Client.js"
import { acquireFileLock, makeTransactions } from "../src/Transaction.js"
import { tempDbFile } from "./helpers.js"

const setup = Effect.gen(function*() {
  const filename = yield* tempDbFile
  mkdirSync(dirname(filename), { recursive: true })
  const client = yield* Client.make(filename)
  yield* client.unsafe("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
  const lock = yield* acquireFileLock(filename)
  const tx = makeTransactions(client, lock)
  const insert = (v: string) => tx.write("Test", "insert", client`INSERT INTO t (v) VALUES (${v})`)
  const values = tx.read(
    "Test",
    "values",
    Effect.map(client<{ v: string }>`SELECT v FROM t ORDER BY id`, (rows) => rows.map((r) => r.v))
  )
  return { client, lock, tx, insert, values }
})

describe("SQLite units", () => {
  it.scopedLive("units serialise on the file's lock: a second unit waits until the first ended", () =>
    Effect.gen(function*() {
      const { client, insert, tx, values } = yield* setup
      const inside = yield* Deferred.make<void>()
      const go = yield* Deferred.make<void>()
      const first = yield* Effect.fork(
        tx.write(
          "Test",
          "slow",
          Effect.zipRight(
            client`INSERT INTO t (v) VALUES ('first')`,
            Effect.zipRight(Deferred.succeed(inside, undefined), Deferred.await(go))
          )
        )
      )
      yield* Deferred.await(inside)
      const second = yield* Effect.fork(insert("second"))
      yield* Effect.sleep("20 millis")
      // The second unit is waiting for the lock, not running inside the first one's transaction.
      expect(second.unsafePoll()).toBeNull()
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(yield* values).toEqual(["first", "second"])
    }))

  it.scopedLive("a unit interrupted while waiting for the lock leaves it free once the holder ends", () =>
    Effect.gen(function*() {
      const { insert, lock, values } = yield* setup
      expect(lock.tryTake()).toBe(true)
      const waiting = yield* Effect.fork(insert("never"))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(waiting)
      lock.release()
      yield* insert("after")
      expect(yield* values).toEqual(["after"])
    }))

  it.scopedLive("a unit interrupted inside its body rolls back, releases the lock and leaves no transaction open", () =>
    Effect.gen(function*() {
      const { client, insert, tx, values } = yield* setup
      const inside = yield* Deferred.make<void>()
      const unit = yield* Effect.fork(
        tx.write(
          "Test",
          "stuck",
          Effect.zipRight(
            client`INSERT INTO t (v) VALUES ('rolled back')`,
            Effect.zipRight(Deferred.succeed(inside, undefined), Effect.never)
          )
        )
      )
      yield* Deferred.await(inside)
      yield* Fiber.interrupt(unit)
      // A BEGIN inside a dead transaction would fail: the next units run normally.
      yield* insert("next")
      expect(yield* values).toEqual(["next"])
    }))

  it.scopedLive("a failing body rolls back; a SqlError, failed or died with, is a StoreUnavailable naming the port", () =>
    Effect.gen(function*() {
      const { client, tx, values } = yield* setup
      const failed = yield* Effect.flip(
        tx.write(
          "Test",
          "fails",
          Effect.zipRight(client`INSERT INTO t (v) VALUES ('gone')`, Effect.fail(new SqlError({ cause: "boom" })))
        )
      )
      expect(failed).toBeInstanceOf(StoreUnavailable)
      expect(failed).toMatchObject({ port: "Test" })
      const died = yield* Effect.flip(
        tx.write(
          "Test",
          "dies",
          Effect.zipRight(client`INSERT INTO t (v) VALUES ('gone')`, Effect.die(new SqlError({ cause: "boom" })))
        )
      )
      expect(died).toBeInstanceOf(StoreUnavailable)
      const typed = yield* Effect.flip(
        tx.write("Test", "typed", Effect.zipRight(client`INSERT INTO t (v) VALUES ('gone')`, Effect.fail("domain")))
      )
      expect(typed).toBe("domain")
      expect(yield* values).toEqual([])
    }))

  it.scopedLive("a unit inside another unit is a defect, and the outer unit still ends cleanly", () =>
    Effect.gen(function*() {
      const { insert, tx, values } = yield* setup
      const exit = yield* Effect.exit(tx.write("Test", "outer", insert("inner")))
      expect(exit._tag).toBe("Failure")
      expect(JSON.stringify(exit)).toContain("must not run inside another transaction")
      yield* insert("after")
      expect(yield* values).toEqual(["after"])
    }))
})
