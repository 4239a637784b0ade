/**
 * The trigger tables in SQL: `lash_counters`, `lash_trigger_subscriptions`, `lash_trigger_occurrences` and
 * `lash_trigger_deliveries`.
 *
 * @since 0.1.0
 */
import type {
  CounterWrites,
  DeliveryRow,
  DeliveryWrites,
  OccurrenceRow,
  OccurrenceWrites,
  SubscriptionRow,
  SubscriptionWrites
} from "@lash/core"
import { Effect } from "effect"
import type { SqlDialect } from "./Dialect.js"
import { bit, flag, int, type Runner, type SqlRow, textOrNull } from "./Statements.js"

/**
 * `lash_counters`. `lock` is the dialect's row lock for reads inside a write unit ("" in read units).
 *
 * @since 0.1.0
 */
export const counterStatements = (run: Runner, dialect: SqlDialect, lock: string): CounterWrites => {
  const q = {
    read: dialect.compile(`SELECT value FROM lash_counters WHERE name = ?${lock}`),
    write: dialect.compile(
      "INSERT INTO lash_counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )
  }
  return {
    read: (name) => Effect.map(run.first(q.read, [name], (r) => int(r.value)), (value) => value ?? 0),
    write: (name, value) => run.exec(q.write, [name, value])
  }
}

const SUBSCRIPTION_COLUMNS =
  "subscription_id, handle, handle_no, registrant_scope_id, registrant_session_id, registration_key, draft_hash, name, source_type, source_key, enabled, record_json, record_version, created_at_ms"

/** A subscription row from columns named as in `SUBSCRIPTION_COLUMNS`, each after `prefix`. */
const subscriptionOf = (r: SqlRow, prefix = ""): SubscriptionRow => ({
  subscriptionId: String(r[`${prefix}subscription_id`]),
  handle: String(r[`${prefix}handle`]),
  handleNo: int(r[`${prefix}handle_no`]),
  registrantScopeId: String(r[`${prefix}registrant_scope_id`]),
  registrantSessionId: textOrNull(r[`${prefix}registrant_session_id`]),
  registrationKey: String(r[`${prefix}registration_key`]),
  draftHash: String(r[`${prefix}draft_hash`]),
  name: textOrNull(r[`${prefix}name`]),
  sourceType: String(r[`${prefix}source_type`]),
  sourceKey: String(r[`${prefix}source_key`]),
  enabled: flag(r[`${prefix}enabled`]),
  recordJson: String(r[`${prefix}record_json`]),
  recordVersion: int(r[`${prefix}record_version`]),
  createdAtMs: int(r[`${prefix}created_at_ms`])
})

/** `SUBSCRIPTION_COLUMNS` of table alias `s`, each renamed `s_<column>` (joins read several tables' same names). */
const subscriptionColumnsAs = SUBSCRIPTION_COLUMNS.split(", ").map((c) => `s.${c} AS s_${c}`).join(", ")

/**
 * `lash_trigger_subscriptions`.
 *
 * @since 0.1.0
 */
export const subscriptionStatements = (run: Runner, dialect: SqlDialect, lock: string): SubscriptionWrites => {
  const select = `SELECT ${SUBSCRIPTION_COLUMNS} FROM lash_trigger_subscriptions`
  const q = {
    read: dialect.compile(`${select} WHERE subscription_id = ?`),
    byRegistrationKey: dialect.compile(`${select} WHERE registrant_scope_id = ? AND registration_key = ?${lock}`),
    byHandle: dialect.compile(`${select} WHERE handle = ?${lock}`),
    list: dialect.compile(`${select} ORDER BY registrant_scope_id, handle_no`),
    matching: dialect.compile(
      `${select} WHERE enabled = 1 AND source_type = ? AND source_key = ? AND handle_no <= ? ORDER BY handle_no`
    ),
    insert: dialect.compile(
      `INSERT INTO lash_trigger_subscriptions (${SUBSCRIPTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING RETURNING subscription_id`
    ),
    setEnabled: dialect.compile("UPDATE lash_trigger_subscriptions SET enabled = ? WHERE subscription_id = ?")
  }
  return {
    read: (subscriptionId) => run.first(q.read, [subscriptionId], subscriptionOf),
    byRegistrationKey: (scopeId, registrationKey) =>
      run.first(q.byRegistrationKey, [scopeId, registrationKey], subscriptionOf),
    byHandle: (handle) => run.first(q.byHandle, [handle], subscriptionOf),
    list: () => run.all(q.list, [], (r) => subscriptionOf(r)),
    matching: (sourceType, sourceKey, maxHandleNo) =>
      run.all(q.matching, [sourceType, sourceKey, maxHandleNo], (r) => subscriptionOf(r)),
    insert: (row) =>
      run.matched(q.insert, [
        row.subscriptionId,
        row.handle,
        row.handleNo,
        row.registrantScopeId,
        row.registrantSessionId,
        row.registrationKey,
        row.draftHash,
        row.name,
        row.sourceType,
        row.sourceKey,
        bit(row.enabled),
        row.recordJson,
        row.recordVersion,
        row.createdAtMs
      ]),
    setEnabled: (subscriptionId, enabled) => run.exec(q.setEnabled, [bit(enabled), subscriptionId])
  }
}

const occurrenceOf = (r: SqlRow, prefix = ""): OccurrenceRow => ({
  occurrenceId: String(r[`${prefix}occurrence_id`]),
  contentHash: String(r[`${prefix}content_hash`]),
  recordJson: String(r[`${prefix}record_json`]),
  recordVersion: int(r[`${prefix}record_version`])
})

/**
 * `lash_trigger_occurrences`.
 *
 * @since 0.1.0
 */
export const occurrenceStatements = (run: Runner, dialect: SqlDialect, lock: string): OccurrenceWrites => {
  const columns = "occurrence_id, content_hash, record_json, record_version"
  const q = {
    read: dialect.compile(`SELECT ${columns} FROM lash_trigger_occurrences WHERE occurrence_id = ?${lock}`),
    insert: dialect.compile(
      `INSERT INTO lash_trigger_occurrences (${columns}) VALUES (?, ?, ?, ?) ON CONFLICT (occurrence_id) DO NOTHING RETURNING occurrence_id`
    )
  }
  return {
    read: (occurrenceId) => run.first(q.read, [occurrenceId], occurrenceOf),
    insert: (row) => run.matched(q.insert, [row.occurrenceId, row.contentHash, row.recordJson, row.recordVersion])
  }
}

const DELIVERY_COLUMNS = "occurrence_id, subscription_id, process_id, handle_no, reserved_at_ms, seq"

const deliveryOf = (r: SqlRow): DeliveryRow => ({
  occurrenceId: String(r.d_occurrence_id),
  subscriptionId: String(r.d_subscription_id),
  processId: String(r.d_process_id),
  handleNo: int(r.d_handle_no),
  reservedAtMs: int(r.d_reserved_at_ms),
  seq: int(r.d_seq)
})

/**
 * `lash_trigger_deliveries`, read with their subscriptions (and occurrences).
 *
 * @since 0.1.0
 */
export const deliveryStatements = (run: Runner, dialect: SqlDialect): DeliveryWrites => {
  const deliveryColumnsAs = DELIVERY_COLUMNS.split(", ").map((c) => `d.${c} AS d_${c}`).join(", ")
  const q = {
    ofOccurrence: dialect.compile(
      `SELECT ${deliveryColumnsAs}, ${subscriptionColumnsAs}
       FROM lash_trigger_deliveries d JOIN lash_trigger_subscriptions s ON s.subscription_id = d.subscription_id
       WHERE d.occurrence_id = ? ORDER BY d.handle_no`
    ),
    unstarted: dialect.compile(
      `SELECT ${deliveryColumnsAs}, ${subscriptionColumnsAs},
         o.occurrence_id AS o_occurrence_id, o.content_hash AS o_content_hash, o.record_json AS o_record_json,
         o.record_version AS o_record_version
       FROM lash_trigger_deliveries d
       JOIN lash_trigger_subscriptions s ON s.subscription_id = d.subscription_id
       JOIN lash_trigger_occurrences o ON o.occurrence_id = d.occurrence_id
       WHERE NOT EXISTS (SELECT 1 FROM lash_processes p WHERE p.process_id = d.process_id)
       ORDER BY d.reserved_at_ms, d.occurrence_id, d.handle_no LIMIT ?`
    ),
    insert: dialect.compile(
      `INSERT INTO lash_trigger_deliveries (${DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (occurrence_id, subscription_id) DO NOTHING RETURNING subscription_id`
    )
  }
  return {
    ofOccurrence: (occurrenceId) =>
      run.all(
        q.ofOccurrence,
        [occurrenceId],
        (r) => ({ delivery: deliveryOf(r), subscription: subscriptionOf(r, "s_") })
      ),
    unstarted: (limit) =>
      run.all(q.unstarted, [Math.max(0, limit)], (r) => ({
        delivery: deliveryOf(r),
        subscription: subscriptionOf(r, "s_"),
        occurrence: occurrenceOf(r, "o_")
      })),
    insert: (row) =>
      run.matched(q.insert, [
        row.occurrenceId,
        row.subscriptionId,
        row.processId,
        row.handleNo,
        row.reservedAtMs,
        row.seq
      ])
  }
}
