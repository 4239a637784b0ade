/**
 * B0, the physical floor. B0a: raw better-sqlite3 `BEGIN IMMEDIATE; INSERT 512 B; COMMIT` on a WAL file; B0b: the same
 * row through `@effect/sql` and the SQLite backend's write helper.
 */
import Database from "better-sqlite3"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect } from "effect"
// The backend's write helper is not exported from the package entry: import the module itself (same workspace).
import { acquireFileLock, makeTransactions } from "../../backends/sqlite/src/Transaction.js"
import { tempDir } from "./Fixtures.js"
import { type Result, summarize, timeEffect, timeSync } from "./Stats.js"

/** Measures B0a at one synchronous level. */
export const b0a = (synchronous: "full" | "normal", n: number): Result & { readonly sqliteVersion: string } => {
  const dir = mkdtempSync(join(tmpdir(), "lash-bench-b0-"))
  try {
    const db = new Database(join(dir, "floor.db"))
    db.pragma("journal_mode = WAL")
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
    db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    const insert = db.prepare("INSERT INTO rows (body) VALUES (?)")
    const begin = db.prepare("BEGIN IMMEDIATE")
    const commit = db.prepare("COMMIT")
    const body = "x".repeat(512)
    const samples = timeSync(n, Math.min(200, n), () => {
      begin.run()
      insert.run(body)
      commit.run()
    })
    const sqliteVersion = (db.prepare("select sqlite_version() as v").get() as { v: string }).v
    db.close()
    return { id: "B0a", variant: `sqlite/${synchronous}`, unit: "ms", summary: summarize(samples), sqliteVersion }
  } finally {
    rmSync(dir, { recursive: true, force: true })
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
  const program = Effect.gen(function* () {
    const sql = yield* SqliteClient.make({ filename })
    yield* sql.unsafe(`PRAGMA synchronous = ${synchronous.toUpperCase()}`)
    yield* sql.unsafe("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    const lock = yield* acquireFileLock(filename)
    const tx = makeTransactions(sql, lock)
    const body = "x".repeat(512)
    const samples = yield* timeEffect(n, Math.min(200, n), () => tx.write("bench", "b0b", sql`INSERT INTO rows (body) VALUES (${body})`))
    return { id: "B0b", variant: `effect-sql/${synchronous}`, unit: "ms", summary: summarize(samples) } satisfies Result
  })
  return Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(Reactivity.layer))).finally(tmp.dispose)
}
