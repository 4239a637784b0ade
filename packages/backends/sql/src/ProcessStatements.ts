/**
 * The process tables in SQL: `lash_processes` (with the single-statement claim and the single-statement record and
 * lease write of a fenced completion), `lash_process_events` and `lash_process_grants`.
 *
 * The lease lives in columns of the process row, so its fencing token is never lost with a lease row. The capability
 * token is derived by the engine, not stored: `lease_token` (kept from the first schema, which pairs it with
 * `lease_owner_id` in a CHECK) holds the owner id again.
 *
 * @since 0.1.0
 */
import {
  type EventRow,
  type EventWrites,
  type GrantRow,
  type GrantWrites,
  type ProcessRow,
  type ProcessWrites,
  StorageEngine
} from "@lash/core"
import { Effect } from "effect"
import type { SqlDialect } from "./Dialect.js"
import { bit, flag, int, type Runner, type SqlRow, textOrNull } from "./Statements.js"

const PROCESS_COLUMNS =
  "process_id, registration_hash, record_json, record_version, terminal, external, last_event_seq, created_at_ms, updated_at_ms, lease_owner_id, lease_fencing, lease_claimed_at_ms, lease_expires_at_ms"

const idOf = (r: SqlRow): string => String(r.process_id)

const processOf = (r: SqlRow): ProcessRow => ({
  processId: String(r.process_id),
  registrationHash: String(r.registration_hash),
  recordJson: String(r.record_json),
  recordVersion: int(r.record_version),
  terminal: flag(r.terminal),
  external: flag(r.external),
  lastEventSeq: int(r.last_event_seq),
  lease: {
    ownerId: textOrNull(r.lease_owner_id),
    fencing: int(r.lease_fencing),
    claimedAtMs: int(r.lease_claimed_at_ms),
    expiresAtMs: int(r.lease_expires_at_ms)
  },
  createdAtMs: int(r.created_at_ms),
  updatedAtMs: int(r.updated_at_ms)
})

/**
 * `lash_processes`. `lock` is the dialect's row lock for reads inside a write unit ("" in read units).
 *
 * @since 0.1.0
 */
export const processStatements = (run: Runner, dialect: SqlDialect, lock: string): ProcessWrites => {
  const runnable = "terminal = 0 AND external = 0 AND (lease_owner_id IS NULL OR lease_expires_at_ms <= ?)"
  const q = {
    read: dialect.compile(`SELECT ${PROCESS_COLUMNS} FROM lash_processes WHERE process_id = ?${lock}`),
    listAll: dialect.compile(`SELECT ${PROCESS_COLUMNS} FROM lash_processes ORDER BY process_id`),
    listBy: dialect.compile(`SELECT ${PROCESS_COLUMNS} FROM lash_processes WHERE terminal = ? ORDER BY process_id`),
    idsAll: dialect.compile("SELECT process_id FROM lash_processes ORDER BY process_id"),
    idsBy: dialect.compile("SELECT process_id FROM lash_processes WHERE terminal = ? ORDER BY process_id"),
    runnable: dialect.compile(
      `SELECT ${PROCESS_COLUMNS} FROM lash_processes WHERE ${runnable} ORDER BY process_id LIMIT ?${dialect.lockRunnable}`
    ),
    insert: dialect.compile(
      `INSERT INTO lash_processes (process_id, registration_hash, record_json, record_version, terminal, external, last_event_seq,
         created_at_ms, updated_at_ms, lease_owner_id, lease_token, lease_fencing, lease_claimed_at_ms, lease_expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (process_id) DO NOTHING RETURNING process_id`
    ),
    updateRecord: dialect.compile(
      "UPDATE lash_processes SET record_json = ?, record_version = ?, terminal = ?, last_event_seq = ?, updated_at_ms = ? WHERE process_id = ?"
    ),
    setLease: dialect.compile(
      `UPDATE lash_processes SET lease_owner_id = ?, lease_token = ?, lease_fencing = ?, lease_claimed_at_ms = ?, lease_expires_at_ms = ?
       WHERE process_id = ? AND lease_fencing = ? RETURNING process_id`
    ),
    updateRecordAndLease: dialect.compile(
      `UPDATE lash_processes SET record_json = ?, record_version = ?, terminal = ?, last_event_seq = ?, updated_at_ms = ?,
         lease_owner_id = ?, lease_token = ?, lease_fencing = ?, lease_claimed_at_ms = ?, lease_expires_at_ms = ?
       WHERE process_id = ? AND lease_fencing = ? RETURNING process_id`
    ),
    claimRunnable: dialect.compile(
      `UPDATE lash_processes SET lease_owner_id = ?, lease_token = ?, lease_fencing = lease_fencing + 1,
         lease_claimed_at_ms = ?, lease_expires_at_ms = ?
       WHERE process_id IN (SELECT process_id FROM lash_processes WHERE ${runnable} ORDER BY process_id LIMIT ?${dialect.lockRunnable})
       RETURNING process_id, lease_fencing`
    )
  }
  const leaseParams = (lease: ProcessRow["lease"]) =>
    lease.ownerId === null
      ? [null, null, lease.fencing, null, null]
      : [lease.ownerId, lease.ownerId, lease.fencing, lease.claimedAtMs, lease.expiresAtMs]
  return {
    read: (processId) => run.first(q.read, [processId], processOf),
    list: (terminal) =>
      terminal === undefined ? run.all(q.listAll, [], processOf) : run.all(q.listBy, [bit(terminal)], processOf),
    ids: (terminal) => terminal === undefined ? run.all(q.idsAll, [], idOf) : run.all(q.idsBy, [bit(terminal)], idOf),
    runnable: (nowMs, limit) => run.all(q.runnable, [nowMs, Math.max(0, limit)], processOf),
    insert: (row) =>
      run.matched(q.insert, [
        row.processId,
        row.registrationHash,
        row.recordJson,
        row.recordVersion,
        bit(row.terminal),
        bit(row.external),
        row.lastEventSeq,
        row.createdAtMs,
        row.updatedAtMs,
        ...leaseParams(row.lease)
      ]),
    updateRecord: (update) =>
      run.exec(q.updateRecord, [
        update.recordJson,
        update.recordVersion,
        bit(update.terminal),
        update.lastEventSeq,
        update.updatedAtMs,
        update.processId
      ]),
    setLease: (processId, lease, expectedFencing) =>
      run.matched(q.setLease, [...leaseParams(lease), processId, expectedFencing]),
    updateRecordAndLease: (update, lease, expectedFencing) =>
      run.matched(q.updateRecordAndLease, [
        update.recordJson,
        update.recordVersion,
        bit(update.terminal),
        update.lastEventSeq,
        update.updatedAtMs,
        ...leaseParams(lease),
        update.processId,
        expectedFencing
      ]),
    claimRunnable: (request) =>
      Effect.map(
        run.rows(q.claimRunnable, [
          request.ownerId,
          request.ownerId,
          request.nowMs,
          request.expiresAtMs,
          request.nowMs,
          Math.max(0, request.limit)
        ]),
        (rows) =>
          rows
            .map((r) => ({ processId: String(r.process_id), fencing: int(r.lease_fencing) }))
            // RETURNING has no order of its own.
            .sort((a, b) => StorageEngine.compareCodePoints(a.processId, b.processId))
      )
  }
}

const eventOf = (r: SqlRow): EventRow => ({
  processId: String(r.process_id),
  sequence: int(r.sequence),
  eventType: String(r.event_type),
  replayKey: textOrNull(r.replay_key),
  eventJson: String(r.event_json),
  recordVersion: int(r.record_version)
})

/**
 * `lash_process_events`.
 *
 * @since 0.1.0
 */
export const eventStatements = (run: Runner, dialect: SqlDialect): EventWrites => {
  const columns = "process_id, sequence, event_type, replay_key, event_json, record_version"
  const q = {
    byReplayKey: dialect.compile(
      `SELECT ${columns} FROM lash_process_events WHERE process_id = ? AND replay_key = ?`
    ),
    after: dialect.compile(
      `SELECT ${columns} FROM lash_process_events WHERE process_id = ? AND sequence > ? ORDER BY sequence`
    ),
    afterOfType: dialect.compile(
      `SELECT ${columns} FROM lash_process_events WHERE process_id = ? AND sequence > ? AND event_type = ? ORDER BY sequence LIMIT ?`
    ),
    insert: dialect.compile(`INSERT INTO lash_process_events (${columns}) VALUES (?, ?, ?, ?, ?, ?)`)
  }
  return {
    byReplayKey: (processId, replayKey) => run.first(q.byReplayKey, [processId, replayKey], eventOf),
    after: (processId, afterSequence, eventType, limit) =>
      eventType === undefined
        ? Effect.map(run.all(q.after, [processId, afterSequence], eventOf), (rows) => rows.slice(0, limit))
        : run.all(q.afterOfType, [processId, afterSequence, eventType, limit ?? Number.MAX_SAFE_INTEGER], eventOf),
    insert: (row) =>
      run.exec(q.insert, [
        row.processId,
        row.sequence,
        row.eventType,
        row.replayKey,
        row.eventJson,
        row.recordVersion
      ])
  }
}

const grantOf = (r: SqlRow): GrantRow => ({
  scopeId: String(r.scope_id),
  processId: String(r.process_id),
  descriptorJson: String(r.descriptor_json),
  grantedAtMs: int(r.granted_at_ms)
})

/**
 * `lash_process_grants`.
 *
 * @since 0.1.0
 */
export const grantStatements = (run: Runner, dialect: SqlDialect): GrantWrites => {
  const columns = "scope_id, process_id, descriptor_json, granted_at_ms"
  const q = {
    read: dialect.compile(`SELECT ${columns} FROM lash_process_grants WHERE scope_id = ? AND process_id = ?`),
    list: dialect.compile(`SELECT ${columns} FROM lash_process_grants WHERE scope_id = ? ORDER BY process_id`),
    upsert: dialect.compile(
      `INSERT INTO lash_process_grants (${columns}) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope_id, process_id) DO UPDATE SET descriptor_json = excluded.descriptor_json`
    )
  }
  return {
    read: (scopeId, processId) => run.first(q.read, [scopeId, processId], grantOf),
    list: (scopeId) => run.all(q.list, [scopeId], grantOf),
    upsert: (row) => run.exec(q.upsert, [row.scopeId, row.processId, row.descriptorJson, row.grantedAtMs])
  }
}
