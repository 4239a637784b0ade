/**
 * The queued batches in SQL: `lash_queued_batches`. Every predicate of a claim scan is in the statement, before its
 * `LIMIT`, so claimed rows never crowd a free one out.
 *
 * @since 0.1.0
 */
import type { BatchRow, BatchWrites } from "@lash/core"
import type { SqlDialect } from "./Dialect.js"
import { bit, flag, int, type Runner, type SqlRow, textOrNull } from "./Statements.js"

const COLUMNS =
  "batch_id, session_id, enqueue_seq, source_key, available_at_ms, batch_json, record_version, completed, claim_id, claim_token, claim_expires_at_ms, claim_fencing"

const batchOf = (r: SqlRow): BatchRow => ({
  batchId: String(r.batch_id),
  sessionId: String(r.session_id),
  enqueueSeq: int(r.enqueue_seq),
  sourceKey: textOrNull(r.source_key),
  availableAtMs: int(r.available_at_ms),
  batchJson: String(r.batch_json),
  recordVersion: int(r.record_version),
  completed: flag(r.completed),
  claim: r.claim_id === null || r.claim_id === undefined
    ? null
    : { claimId: String(r.claim_id), token: String(r.claim_token), expiresAtMs: int(r.claim_expires_at_ms) },
  claimFencing: int(r.claim_fencing)
})

/**
 * `lash_queued_batches`. `lock` is the dialect's row lock for reads inside a write unit ("" in read units).
 *
 * @since 0.1.0
 */
export const batchStatements = (run: Runner, dialect: SqlDialect, lock: string): BatchWrites => {
  const free = "completed = 0 AND available_at_ms <= ? AND (claim_id IS NULL OR claim_expires_at_ms <= ?)"
  const q = {
    read: dialect.compile(`SELECT ${COLUMNS} FROM lash_queued_batches WHERE batch_id = ?${lock}`),
    bySourceKey: dialect.compile(
      `SELECT ${COLUMNS} FROM lash_queued_batches WHERE session_id = ? AND source_key = ?${lock}`
    ),
    open: dialect.compile(
      `SELECT ${COLUMNS} FROM lash_queued_batches WHERE session_id = ? AND completed = 0 ORDER BY enqueue_seq`
    ),
    claimable: dialect.compile(
      `SELECT ${COLUMNS} FROM lash_queued_batches WHERE session_id = ? AND ${free} ORDER BY enqueue_seq LIMIT ?${lock}`
    ),
    sessionsWithClaimable: dialect.compile(
      `SELECT DISTINCT session_id FROM lash_queued_batches WHERE ${free} ORDER BY session_id`
    ),
    insert: dialect.compile(
      `INSERT INTO lash_queued_batches (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    ),
    setClaim: dialect.compile(
      "UPDATE lash_queued_batches SET claim_id = ?, claim_token = ?, claim_expires_at_ms = ?, claim_fencing = ? WHERE batch_id = ?"
    ),
    complete: dialect.compile(
      "UPDATE lash_queued_batches SET completed = 1, completed_at_ms = ?, claim_id = NULL, claim_token = NULL, claim_expires_at_ms = 0 WHERE batch_id = ?"
    ),
    delete: dialect.compile("DELETE FROM lash_queued_batches WHERE batch_id = ?")
  }
  return {
    read: (batchId) => run.first(q.read, [batchId], batchOf),
    bySourceKey: (sessionId, sourceKey) => run.first(q.bySourceKey, [sessionId, sourceKey], batchOf),
    open: (sessionId) => run.all(q.open, [sessionId], batchOf),
    claimable: (sessionId, nowMs, limit) =>
      run.all(q.claimable, [sessionId, nowMs, nowMs, Math.max(0, limit)], batchOf),
    sessionsWithClaimable: (nowMs) => run.all(q.sessionsWithClaimable, [nowMs, nowMs], (r) => String(r.session_id)),
    insert: (row) =>
      run.exec(q.insert, [
        row.batchId,
        row.sessionId,
        row.enqueueSeq,
        row.sourceKey,
        row.availableAtMs,
        row.batchJson,
        row.recordVersion,
        bit(row.completed),
        row.claim?.claimId ?? null,
        row.claim?.token ?? null,
        row.claim?.expiresAtMs ?? 0,
        row.claimFencing
      ]),
    setClaim: (batchId, claim, claimFencing) =>
      run.exec(
        q.setClaim,
        claim === null
          ? [null, null, 0, claimFencing, batchId]
          : [claim.claimId, claim.token, claim.expiresAtMs, claimFencing, batchId]
      ),
    complete: (batchId, completedAtMs) => run.exec(q.complete, [completedAtMs, batchId]),
    delete: (batchId) => run.exec(q.delete, [batchId])
  }
}
