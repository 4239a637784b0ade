/**
 * The session tables in SQL: `lash_sessions`, `lash_graph_nodes` (with the `loadPath` fast path) and
 * `lash_turn_stamps`.
 *
 * @since 0.1.0
 */
import type { NodeRow, NodeWrites, SessionRow, SessionWrites, StampWrites } from "@lash/core"
import { Effect } from "effect"
import type { SqlDialect } from "./Dialect.js"
import { int, type Runner, type SqlParam, type SqlRow, textOrNull } from "./Statements.js"

const sessionOf = (r: SqlRow): SessionRow => ({
  sessionId: String(r.session_id),
  headJson: String(r.head_json),
  recordVersion: int(r.record_version),
  headRevision: int(r.head_revision),
  nodeCount: int(r.node_count),
  nextEnqueueSeq: int(r.next_enqueue_seq),
  createdAtMs: int(r.created_at_ms),
  updatedAtMs: int(r.updated_at_ms)
})

const nodeOf = (r: SqlRow): NodeRow => ({
  sessionId: String(r.session_id),
  seq: int(r.seq),
  nodeId: String(r.node_id),
  parentNodeId: textOrNull(r.parent_node_id),
  nodeJson: String(r.node_json),
  recordVersion: int(r.record_version)
})

const SESSION_COLUMNS =
  "session_id, head_json, record_version, head_revision, node_count, next_enqueue_seq, created_at_ms, updated_at_ms"
const NODE_COLUMNS = "session_id, seq, node_id, parent_node_id, node_json, record_version"

/**
 * The statements of `listSessions` (`?` placeholders): the first page (`[limit]`) and the page after a cursor
 * (`[updatedAtMs, updatedAtMs, sessionId, limit]`). Both read the index `lash_sessions_activity` (migration 0002) in
 * order; the next page starts `updated_at_ms <= ?` so Postgres seeks the index to the cursor (with only the OR it
 * walks the index from the newest row, filtering). The backends' sessionListing tests EXPLAIN these texts.
 *
 * @since 0.1.0
 */
export const SessionListing = {
  first: `SELECT ${SESSION_COLUMNS} FROM lash_sessions ORDER BY updated_at_ms DESC, session_id LIMIT ?`,
  next: `SELECT ${SESSION_COLUMNS} FROM lash_sessions
       WHERE updated_at_ms <= ? AND (updated_at_ms < ? OR session_id > ?)
       ORDER BY updated_at_ms DESC, session_id LIMIT ?`
} as const

/**
 * `lash_sessions`. `lock` is the dialect's row lock for reads inside a write unit ("" in read units).
 *
 * @since 0.1.0
 */
export const sessionStatements = (run: Runner, dialect: SqlDialect, lock: string): SessionWrites => {
  const q = {
    exists: dialect.compile(`SELECT 1 AS one FROM lash_sessions WHERE session_id = ?${lock}`),
    read: dialect.compile(`SELECT ${SESSION_COLUMNS} FROM lash_sessions WHERE session_id = ?${lock}`),
    newest: dialect.compile(SessionListing.first),
    newestAfter: dialect.compile(SessionListing.next),
    insert: dialect.compile(
      `INSERT INTO lash_sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO NOTHING RETURNING session_id`
    ),
    updateHead: dialect.compile(
      `UPDATE lash_sessions SET head_json = ?, record_version = ?, head_revision = ?, node_count = ?, updated_at_ms = ?
       WHERE session_id = ? AND head_revision = ? RETURNING session_id`
    ),
    setNextEnqueueSeq: dialect.compile("UPDATE lash_sessions SET next_enqueue_seq = ? WHERE session_id = ?")
  }
  return {
    exists: (sessionId) => run.matched(q.exists, [sessionId]),
    read: (sessionId) => run.first(q.read, [sessionId], sessionOf),
    list: ({ after, limit }) =>
      after === undefined
        ? run.all(q.newest, [limit], sessionOf)
        : run.all(q.newestAfter, [after.updatedAtMs, after.updatedAtMs, after.sessionId, limit], sessionOf),
    insert: (row) =>
      run.matched(q.insert, [
        row.sessionId,
        row.headJson,
        row.recordVersion,
        row.headRevision,
        row.nodeCount,
        row.nextEnqueueSeq,
        row.createdAtMs,
        row.updatedAtMs
      ]),
    updateHead: (row, expectedRevision) =>
      run.matched(q.updateHead, [
        row.headJson,
        row.recordVersion,
        row.headRevision,
        row.nodeCount,
        row.updatedAtMs,
        row.sessionId,
        expectedRevision
      ]),
    setNextEnqueueSeq: (sessionId, next) => run.exec(q.setNextEnqueueSeq, [next, sessionId])
  }
}

/** Rows per multi-row node insert (6 parameters each: far below SQLite's and Postgres's parameter limits). */
const NODE_CHUNK = 64

/**
 * The node insert of `count` rows: each row is inserted unless its seq or node id is taken (by a stored node or an
 * earlier row of the statement); the statement answers one row per inserted node. B0c (packages/bench/src/B0.ts)
 * writes B1's nodes with this text.
 *
 * @since 0.1.0
 */
export const insertNodes = (count: number): string =>
  `INSERT INTO lash_graph_nodes (${NODE_COLUMNS}) VALUES ${
    Array.from({ length: count }, () => "(?, ?, ?, ?, ?, ?)").join(", ")
  } ON CONFLICT DO NOTHING RETURNING seq`

/** Rows past `limit` the newest-rows window of `ancestry` reads, so a short abandoned branch does not force the walk. */
const PATH_WINDOW_SLACK = 32

/**
 * `lash_graph_nodes`, with the `ancestry` fast path.
 *
 * @since 0.1.0
 */
export const nodeStatements = (run: Runner, dialect: SqlDialect): NodeWrites => {
  const q = {
    byId: dialect.compile(`SELECT ${NODE_COLUMNS} FROM lash_graph_nodes WHERE session_id = ? AND node_id = ?`),
    inOrder: dialect.compile(
      `SELECT ${NODE_COLUMNS} FROM lash_graph_nodes WHERE session_id = ? AND seq < ? ORDER BY seq`
    ),
    insert: dialect.compile(insertNodes(1)),
    newest: dialect.compile(
      `SELECT ${NODE_COLUMNS} FROM lash_graph_nodes WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`
    ),
    // A parent is always older than its child (`g.seq < p.seq`): a corrupt parent column cannot make the walk loop.
    walk: dialect.compile(
      `WITH RECURSIVE path(session_id, seq, node_id, parent_node_id, node_json, record_version, n) AS (
         SELECT ${NODE_COLUMNS}, 1 FROM lash_graph_nodes WHERE session_id = ? AND node_id = ? AND seq < ?
         UNION ALL
         SELECT g.session_id, g.seq, g.node_id, g.parent_node_id, g.node_json, g.record_version, p.n + 1
           FROM path p JOIN lash_graph_nodes g ON g.session_id = p.session_id AND g.node_id = p.parent_node_id
          WHERE p.n < ? AND g.seq < ? AND g.seq < p.seq)
       SELECT ${NODE_COLUMNS} FROM path ORDER BY n LIMIT ?`
    )
  }
  // One statement per row count, compiled when first used (a commit appends a few nodes; long ones go in chunks).
  const insertMany = new Map<number, string>()
  const insertChunk = (rows: ReadonlyArray<NodeRow>) => {
    let text = insertMany.get(rows.length)
    if (text === undefined) {
      text = dialect.compile(insertNodes(rows.length))
      insertMany.set(rows.length, text)
    }
    const params: Array<SqlParam> = []
    for (const row of rows) {
      params.push(row.sessionId, row.seq, row.nodeId, row.parentNodeId, row.nodeJson, row.recordVersion)
    }
    return run.count(text, params)
  }
  return {
    byId: (sessionId, nodeId) => run.first(q.byId, [sessionId, nodeId], nodeOf),
    inOrder: (sessionId, belowSeq) => run.all(q.inOrder, [sessionId, belowSeq], nodeOf),
    insert: (row) =>
      run.matched(q.insert, [row.sessionId, row.seq, row.nodeId, row.parentNodeId, row.nodeJson, row.recordVersion]),
    insertAll: (rows) => {
      if (rows.length <= NODE_CHUNK) return insertChunk(rows)
      return Effect.gen(function*() {
        let inserted = 0
        for (let i = 0; i < rows.length; i += NODE_CHUNK) inserted += yield* insertChunk(rows.slice(i, i + NODE_CHUNK))
        return inserted
      })
    },
    // The active path is nearly always the tail of the append log (a parent is appended before its children): follow
    // the parent chain through the newest rows, contiguous pages of the primary key, and walk the index only where
    // the chain leaves them (a branch, or paging deep into history). Measured by B4: the walk alone touched index
    // pages all over a large file, so a cold reopen grew with history.
    ancestry: (sessionId, startNodeId, limit, belowSeq) =>
      Effect.gen(function*() {
        if (limit <= 0) return []
        const window = yield* run.rows(q.newest, [sessionId, belowSeq, limit + PATH_WINDOW_SLACK])
        const chain: Array<NodeRow> = []
        let expected: string | null = startNodeId
        for (const raw of window) {
          if (expected === null || chain.length >= limit) break
          if (raw.node_id !== expected) continue
          const node = nodeOf(raw)
          chain.push(node)
          expected = node.parentNodeId
        }
        if (expected !== null && chain.length < limit) {
          const rest = limit - chain.length
          const walked = yield* run.rows(q.walk, [sessionId, expected, belowSeq, rest, belowSeq, rest])
          for (const raw of walked) chain.push(nodeOf(raw))
        }
        return chain
      })
  }
}

/**
 * `lash_turn_stamps`.
 *
 * @since 0.1.0
 */
export const stampStatements = (run: Runner, dialect: SqlDialect): StampWrites => {
  const q = {
    read: dialect.compile(
      "SELECT session_id, turn_id, hash, result_json, committed_at_ms FROM lash_turn_stamps WHERE session_id = ? AND turn_id = ?"
    ),
    insert: dialect.compile(
      "INSERT INTO lash_turn_stamps (session_id, turn_id, hash, result_json, committed_at_ms) VALUES (?, ?, ?, ?, ?)"
    )
  }
  return {
    read: (sessionId, turnId) =>
      run.first(q.read, [sessionId, turnId], (r) => ({
        sessionId: String(r.session_id),
        turnId: String(r.turn_id),
        hash: String(r.hash),
        resultJson: String(r.result_json),
        committedAtMs: int(r.committed_at_ms)
      })),
    insert: (row) => run.exec(q.insert, [row.sessionId, row.turnId, row.hash, row.resultJson, row.committedAtMs])
  }
}
