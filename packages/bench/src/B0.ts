/**
 * B0, the physical floor. B0a: raw better-sqlite3 `BEGIN IMMEDIATE; INSERT 512 B; COMMIT` on a WAL file; B0b: the same
 * row through `@effect/sql` and the SQLite backend's write helper.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { SqliteBackend } from "@lash/backend-sqlite"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
// The backend's write helper is not exported from the package entry: import the module itself (same workspace).
import { insertNodes } from "../../backends/sql/src/SessionStatements.js"
import { acquireFileLock, makeTransactions } from "../../backends/sqlite/src/Transaction.js"
import { benchPolicy, tempDir, turnCommit, userBatch } from "./Fixtures.js"
import type { Floor } from "./Paired.js"
import { type Result, summarize, timeEffect, timeSelf, timeSync } from "./Stats.js"

/** A B0a database kept open: `commits(k)` runs `k` timed single-row commits (ms each); as a Floor, `block`. */
export interface B0aFloor extends Floor {
  readonly commits: (k: number) => ReadonlyArray<number>
  readonly sqliteVersion: string
}

/** Opens a B0a floor at one synchronous level, warmed by `warmup` commits, in a temp directory of its own. */
export const openFloor = (synchronous: "full" | "normal", warmup: number): B0aFloor => {
  const dir = mkdtempSync(join(tmpdir(), "lash-bench-b0-"))
  let db: Database.Database
  try {
    db = new Database(join(dir, "floor.db"))
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
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
    close: () => {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
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

/**
 * B0c, the physical floor of B1's own workload: raw better-sqlite3 with prepared statements on a lash database (the
 * schema `SqliteBackend` migrates), running the statements `SessionStore.commit` runs for the B1 turn — head read,
 * stamp lookup, the claimed batch's row, one 2-row node insert (insert-if-absent: the SQL driver's `insertAll` text),
 * guarded head update, claim completion, stamp insert — inside `BEGIN IMMEDIATE … COMMIT`, with the same rows (`JSON.stringify` of the same values, the cheapest
 * serialisation). No Effect, no Schema, no canonical JSON. B1 / B0c is what lash adds over writing exactly these rows;
 * B0c / B0a is what the rows themselves cost over one 512 B row (more pages in the WAL, more b-trees touched).
 * The statement list mirrors the storage engine's commit unit over the SQL driver (packages/core/src/storage/
 * SessionStoreEngine.ts) and must follow it when that changes.
 */
export const b0c = async (synchronous: "full" | "normal", n: number): Promise<Result> => {
  const tmp = tempDir("b0c")
  const file = tmp.file("lash.db")
  try {
    const db = await rawLashDatabase(file, synchronous)
    const sessionId = "bench-b0c"
    const head0 = {
      sessionId,
      headRevision: 0,
      relation: { type: "root" },
      config: benchPolicy,
      frames: [],
      checkpoint: { turnIndex: 0, usage: { input: 0, output: 0 } },
      nodeCount: 0
    }
    db.prepare(
      `INSERT INTO lash_sessions (session_id, head_json, head_revision, node_count, next_enqueue_seq, created_at_ms, updated_at_ms) VALUES (?, ?, 0, 0, 1, 0, 0)`
    ).run(sessionId, JSON.stringify(head0))
    const st = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      enqueue: db.prepare(
        `INSERT INTO lash_queued_batches (batch_id, session_id, enqueue_seq, source_key, available_at_ms, batch_json, claim_id, claim_token, claim_expires_at_ms) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`
      ),
      head: db.prepare(
        "SELECT head_json, record_version, head_revision, next_enqueue_seq FROM lash_sessions WHERE session_id = ?"
      ),
      stamp: db.prepare("SELECT hash, result_json FROM lash_turn_stamps WHERE session_id = ? AND turn_id = ?"),
      batch: db.prepare(
        "SELECT batch_id, session_id, enqueue_seq, source_key, available_at_ms, batch_json, record_version, completed, claim_id, claim_token, claim_expires_at_ms, claim_fencing FROM lash_queued_batches WHERE batch_id = ?"
      ),
      // The driver's own multi-row text (2 rows): the commit inserts its nodes in one statement.
      nodes: db.prepare(insertNodes(2)),
      update: db.prepare(
        `UPDATE lash_sessions SET head_json = ?, head_revision = ?, node_count = ?, record_version = 1, updated_at_ms = ? WHERE session_id = ? AND head_revision = ? RETURNING session_id`
      ),
      complete: db.prepare(
        "UPDATE lash_queued_batches SET completed = 1, completed_at_ms = ?, claim_id = NULL, claim_token = NULL, claim_expires_at_ms = 0 WHERE batch_id = ?"
      ),
      insertStamp: db.prepare(
        "INSERT INTO lash_turn_stamps (session_id, turn_id, hash, result_json, committed_at_ms) VALUES (?, ?, ?, ?, ?)"
      )
    }
    const warmup = Math.min(200, n)
    const total = warmup + n
    // The same commit values B1 writes (a claim id/token stands in for the one B1's claim derives).
    const commits = Array.from({ length: total }, (_, i) => turnCommit(sessionId, i))
    let i = 0
    const samples = timeSelf(n, warmup, () => {
      const c = commits[i]!
      const batchId = `b0c-batch-${i}`
      // Untimed in B1 too: the enqueue + claim that give the commit a claim to complete.
      st.enqueue.run(
        batchId,
        sessionId,
        i + 1,
        `bench:${i}`,
        JSON.stringify(userBatch(sessionId, i)),
        "claim",
        `token-${i}`,
        Number.MAX_SAFE_INTEGER
      )
      const t0 = process.hrtime.bigint()
      st.begin.run()
      const row = st.head.get(sessionId) as { readonly head_json: string; readonly head_revision: number }
      st.stamp.get(sessionId, c.turnStamp!.turnId)
      st.batch.get(batchId)
      const head = JSON.parse(row.head_json) as { readonly nodeCount: number }
      const nodes = c.graph.type === "append" ? c.graph.nodes : []
      st.nodes.all(
        ...nodes.flatMap((node, k) => [
          sessionId,
          head.nodeCount + k,
          node.nodeId,
          node.parentNodeId ?? null,
          JSON.stringify(node),
          1
        ])
      )
      const next = {
        ...head,
        headRevision: row.head_revision + 1,
        config: c.config,
        frames: c.frames,
        currentFrameId: c.currentFrameId,
        checkpoint: c.checkpoint,
        nodeCount: head.nodeCount + nodes.length,
        leafNodeId: c.graph.leafNodeId
      }
      st.update.get(JSON.stringify(next), next.headRevision, next.nodeCount, 0, sessionId, row.head_revision)
      st.complete.run(0, batchId)
      st.insertStamp.run(
        sessionId,
        c.turnStamp!.turnId,
        c.turnStamp!.hash,
        JSON.stringify({ headRevision: next.headRevision }),
        0
      )
      st.commit.run()
      i++
      return Number(process.hrtime.bigint() - t0) / 1e6
    })
    db.close()
    return { id: "B0c", variant: `sqlite/${synchronous} B1 rows raw`, unit: "ms", summary: summarize(samples) }
  } finally {
    tmp.dispose()
  }
}
