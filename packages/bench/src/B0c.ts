/**
 * B0c, the physical floor of B1's own workload: raw better-sqlite3 with prepared statements on a lash database (the
 * schema `SqliteBackend` migrates), running the statements `SessionStore.commit` runs for the B1 turn — head read,
 * stamp lookup, the claimed batch's row, one 2-row node insert (insert-if-absent: the SQL driver's `insertAll` text),
 * guarded head update, claim completion, stamp insert — inside `BEGIN IMMEDIATE … COMMIT`, with the same rows
 * (`JSON.stringify` of the same values, the cheapest serialisation). No Effect, no Schema, no canonical JSON.
 * B1 / B0c is what lash adds over writing exactly these rows; B0c / B0a is what the rows themselves cost over one
 * 512 B row (more pages in the WAL, more b-trees touched).
 *
 * Kept open as a {@link Floor}, so B1's rounds can be paired with it (Paired.ts). Before each timed commit, as in B1,
 * an untimed autocommit enqueue gives it a claimed batch to complete (at FULL that write syncs, like B1's claim).
 * The statement list mirrors the storage engine's commit unit over the SQL driver
 * (packages/core/src/storage/SessionStoreEngine.ts) and must follow it when that changes.
 */
import { Effect } from "effect"
// The driver's multi-row insert text is not exported from the package entry: import the module itself.
import { insertNodes } from "../../backends/sql/src/SessionStatements.js"
import { rawLashDatabase } from "./B0.js"
import { benchPolicy, tempDir, turnCommit, userBatch } from "./Fixtures.js"
import type { Floor } from "./Paired.js"
import { type Result, summarize, timeSelf } from "./Stats.js"

/** An open B0c database: `commits(k)` runs `k` timed commits of B1's rows (ms each); as a Floor, `block`. */
export interface RowsFloor extends Floor {
  readonly commits: (k: number) => ReadonlyArray<number>
  /** The database file (removed by `close`). */
  readonly file: string
}

/** Opens a B0c floor at one synchronous level, warmed by `warmup` commits, in a temp directory of its own. */
export const openRowsFloor = async (synchronous: "full" | "normal", warmup: number): Promise<RowsFloor> => {
  const tmp = tempDir("b0c")
  const file = tmp.file("lash.db")
  const db = await rawLashDatabase(file, synchronous).catch((e) => {
    tmp.dispose()
    throw e
  })
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
  let i = 0
  /** One commit of the next turn; the enqueue before it and the turn's values are not timed. */
  const one = (): number => {
    // The same commit values B1 writes (a claim id/token stands in for the one B1's claim derives).
    const c = turnCommit(sessionId, i)
    const batchId = `b0c-batch-${i}`
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
  }
  timeSelf(0, warmup, one)
  const commits = (k: number) => timeSelf(k, 0, one)
  return {
    commits,
    file,
    block: (k) => Effect.sync(() => commits(k)),
    close: () => {
      db.close()
      tmp.dispose()
    }
  }
}

/** Measures B0c at one synchronous level. */
export const b0c = async (synchronous: "full" | "normal", n: number): Promise<Result> => {
  const floor = await openRowsFloor(synchronous, Math.min(200, n))
  try {
    return { id: "B0c", variant: `sqlite/${synchronous} B1 rows raw`, unit: "ms", summary: summarize(floor.commits(n)) }
  } finally {
    floor.close()
  }
}
