/**
 * The insert-if-absent tables in SQL: `lash_process_envs`, `lash_artifacts` and `lash_effect_journal`.
 *
 * @since 0.1.0
 */
import type { ContentWrites, JournalWrites } from "@lash/core"
import type { SqlDialect } from "./Dialect.js"
import { int, type Runner } from "./Statements.js"

/** Where a content-addressed kind is stored. @since 0.1.0 */
export interface ContentTable {
  readonly table: string
  readonly refColumn: string
  readonly jsonColumn: string
}

/** The env table. @since 0.1.0 */
export const envTable: ContentTable = { table: "lash_process_envs", refColumn: "env_ref", jsonColumn: "spec_json" }
/** The artifact table. @since 0.1.0 */
export const artifactTable: ContentTable = {
  table: "lash_artifacts",
  refColumn: "module_ref",
  jsonColumn: "artifact_json"
}

/**
 * A content-addressed table (first write wins).
 *
 * @since 0.1.0
 */
export const contentStatements = (run: Runner, dialect: SqlDialect, table: ContentTable): ContentWrites => {
  const q = {
    read: dialect.compile(
      `SELECT ${table.refColumn} AS ref, ${table.jsonColumn} AS json, record_version, created_at_ms FROM ${table.table} WHERE ${table.refColumn} = ?`
    ),
    insert: dialect.compile(
      `INSERT INTO ${table.table} (${table.refColumn}, ${table.jsonColumn}, record_version, created_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (${table.refColumn}) DO NOTHING`
    )
  }
  return {
    read: (ref) =>
      run.first(q.read, [ref], (r) => ({
        ref: String(r.ref),
        json: String(r.json),
        recordVersion: int(r.record_version),
        createdAtMs: int(r.created_at_ms)
      })),
    insert: (row) => run.exec(q.insert, [row.ref, row.json, row.recordVersion, row.createdAtMs])
  }
}

/**
 * `lash_effect_journal`.
 *
 * @since 0.1.0
 */
export const journalStatements = (run: Runner, dialect: SqlDialect): JournalWrites => {
  const columns = "scope_id, replay_key, entry_json, record_version, recorded_at_ms"
  const q = {
    read: dialect.compile(`SELECT ${columns} FROM lash_effect_journal WHERE scope_id = ? AND replay_key = ?`),
    insert: dialect.compile(
      `INSERT INTO lash_effect_journal (${columns}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (scope_id, replay_key) DO NOTHING RETURNING scope_id`
    )
  }
  return {
    read: (scopeId, replayKey) =>
      run.first(q.read, [scopeId, replayKey], (r) => ({
        scopeId: String(r.scope_id),
        replayKey: String(r.replay_key),
        entryJson: String(r.entry_json),
        recordVersion: int(r.record_version),
        recordedAtMs: int(r.recorded_at_ms)
      })),
    insert: (row) =>
      run.matched(q.insert, [row.scopeId, row.replayKey, row.entryJson, row.recordVersion, row.recordedAtMs])
  }
}
