/**
 * B0, the physical floor. B0a: raw better-sqlite3 `BEGIN IMMEDIATE; INSERT 512 B; COMMIT` on a WAL file; B0b: the same
 * row through `@effect/sql` and the SQLite backend's write helper.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { SqliteBackend } from "@lash/backend-sqlite"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
// The backend's write helper is not exported from the package entry: import the module itself (same workspace).
import { acquireFileLock, makeTransactions } from "../../backends/sqlite/src/Transaction.js"
import { tempDir } from "./Fixtures.js"
import type { Floor } from "./Paired.js"
import { type Result, summarize, timeEffect, timeSync } from "./Stats.js"

/** A B0a database kept open: `commits(k)` runs `k` timed single-row commits (ms each); as a Floor, `block`. */
export interface B0aFloor extends Floor {
  readonly commits: (k: number) => ReadonlyArray<number>
  readonly sqliteVersion: string
}

/**
 * A new raw better-sqlite3 database (`name`) in a temp directory of its own, in WAL mode at one synchronous level, for
 * the floors; `dispose` closes it and removes the directory.
 */
export const openRawDatabase = (
  prefix: string,
  name: string,
  synchronous: "full" | "normal"
): { readonly db: Database.Database; readonly file: string; readonly dispose: () => void } => {
  const tmp = tempDir(prefix)
  const file = tmp.file(name)
  let db: Database.Database
  try {
    db = new Database(file)
  } catch (e) {
    tmp.dispose()
    throw e
  }
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
  return {
    db,
    file,
    dispose: () => {
      db.close()
      tmp.dispose()
    }
  }
}

/** Opens a B0a floor at one synchronous level, warmed by `warmup` commits, in a temp directory of its own. */
export const openFloor = (synchronous: "full" | "normal", warmup: number): B0aFloor => {
  const { db, dispose } = openRawDatabase("b0", "floor.db", synchronous)
  db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
  const insert = db.prepare("INSERT INTO rows (body) VALUES (?)")
  const begin = db.prepare("BEGIN IMMEDIATE")
  const commit = db.prepare("COMMIT")
  const body = "x".repeat(512)
  const one = () => {
    begin.run()
    insert.run(body)
    commit.run()
  }
  timeSync(0, warmup, one)
  const commits = (k: number) => timeSync(k, 0, one)
  return {
    commits,
    block: (k) => Effect.sync(() => commits(k)),
    sqliteVersion: (db.prepare("select sqlite_version() as v").get() as { v: string }).v,
    close: dispose
  }
}

/** Measures B0a at one synchronous level. */
export const b0a = (synchronous: "full" | "normal", n: number): Result & { readonly sqliteVersion: string } => {
  const floor = openFloor(synchronous, Math.min(200, n))
  try {
    const samples = floor.commits(n)
    return {
      id: "B0a",
      variant: `sqlite/${synchronous}`,
      unit: "ms",
      summary: summarize(samples),
      sqliteVersion: floor.sqliteVersion
    }
  } finally {
    floor.close()
  }
}

/**
 * B0b: the same single 512 B row through `@effect/sql` (`@effect/sql-sqlite-node`, the client `@lash/backend-sqlite`
 * uses) and the backend's own `write` helper (`BEGIN IMMEDIATE` unit + per-file semaphore + error mapping, imported
 * from the backend's `Transaction.ts`), same pragmas as B0a. Timed inside one Effect (no `runPromise` per call).
 */
export const b0b = (synchronous: "full" | "normal", n: number): Promise<Result> => {
  const tmp = tempDir("b0b")
  const filename = tmp.file("floor.db")
  const program = Effect.gen(function*() {
    const sql = yield* SqliteClient.make({ filename })
    yield* sql.unsafe(`PRAGMA synchronous = ${synchronous.toUpperCase()}`)
    yield* sql.unsafe("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    const lock = yield* acquireFileLock(filename)
    const tx = makeTransactions(sql, lock)
    const body = "x".repeat(512)
    const samples = yield* timeEffect(
      n,
      Math.min(200, n),
      () => tx.write("bench", "b0b", sql`INSERT INTO rows (body) VALUES (${body})`)
    )
    return { id: "B0b", variant: `effect-sql/${synchronous}`, unit: "ms", summary: summarize(samples) } satisfies Result
  })
  return Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(Reactivity.layer))).finally(tmp.dispose)
}

/**
 * A fresh lash database (the schema `SqliteBackend` migrates) opened with raw better-sqlite3 and lash's pragmas, for
 * the floors that write lash's rows without lash (B0c, B0d).
 */
export const rawLashDatabase = async (file: string, synchronous: "full" | "normal"): Promise<Database.Database> => {
  await Effect.runPromise(Effect.scoped(Effect.asVoid(Layer.build(SqliteBackend.layer({ filename: file })))))
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
  db.pragma("foreign_keys = ON")
  return db
}
