/**
 * B0a, the physical floor: raw better-sqlite3 `BEGIN IMMEDIATE; INSERT 512 B; COMMIT` on a WAL file.
 */
import Database from "better-sqlite3"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Result, summarize, timeSync } from "./Stats.js"

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
