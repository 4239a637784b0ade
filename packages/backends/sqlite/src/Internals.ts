/**
 * Test access to a built SQLite backend: overwrite one row's JSON or record version (to test corrupt rows), and the
 * client itself (to inspect rows).
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { RowTampering, TamperableTable } from "@lash/core"
import { Context, Effect } from "effect"
import type { RetryPolicy, Transactions, WriteBegin } from "./Transaction.js"

/** The tables `SqliteBackendInternals.corrupt` can overwrite a row of (the memory backend's names). @since 0.1.0 */
export type SqliteTable = TamperableTable

/**
 * How a handle was opened: the resolved filename and the options and test seams it was opened with.
 *
 * @since 0.1.0
 */
export interface SqliteOpenedAs {
  readonly filename: string
  readonly options: { readonly synchronous?: "full" | "normal"; readonly busyTimeoutMs?: number }
  readonly hooks: { readonly beginWrite?: WriteBegin; readonly retry?: RetryPolicy }
}

/**
 * Access to a built SQLite backend's rows, for tests that need to inject a corrupt row, and its client.
 *
 * @since 0.1.0
 */
export class SqliteBackendInternals extends Context.Tag("@lash/backend-sqlite/SqliteBackendInternals")<
  SqliteBackendInternals,
  RowTampering & {
    /** The underlying client, for tests that inspect rows. */
    readonly sql: SqlClient.SqlClient
    /** How this handle was opened (the resolved file, the options, the test seams): to open it again elsewhere. */
    readonly opened: SqliteOpenedAs
  }
>() {}

const splitLast = (key: string): readonly [string, number] => {
  const at = key.lastIndexOf("#")
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

const splitFirst = (key: string): readonly [string, string] => {
  const at = key.indexOf("#")
  return [key.slice(0, at), key.slice(at + 1)]
}

interface Target {
  readonly table: string
  readonly column: string
  readonly where: ReadonlyArray<readonly [string, string | number]>
}

const targetOf = (table: SqliteTable, key: string): Target => {
  switch (table) {
    case "sessions":
      return { table: "lash_sessions", column: "head_json", where: [["session_id", key]] }
    case "nodes": {
      const [sessionId, seq] = splitLast(key)
      return { table: "lash_graph_nodes", column: "node_json", where: [["session_id", sessionId], ["seq", seq]] }
    }
    case "batches":
      return { table: "lash_queued_batches", column: "batch_json", where: [["batch_id", key]] }
    case "processes":
      return { table: "lash_processes", column: "record_json", where: [["process_id", key]] }
    case "events": {
      const [processId, sequence] = splitLast(key)
      return {
        table: "lash_process_events",
        column: "event_json",
        where: [["process_id", processId], ["sequence", sequence]]
      }
    }
    case "envs":
      return { table: "lash_process_envs", column: "spec_json", where: [["env_ref", key]] }
    case "artifacts":
      return { table: "lash_artifacts", column: "artifact_json", where: [["module_ref", key]] }
    case "journal": {
      const [scopeId, replayKey] = splitFirst(key)
      return {
        table: "lash_effect_journal",
        column: "entry_json",
        where: [["scope_id", scopeId], ["replay_key", replayKey]]
      }
    }
    case "subscriptions":
      return { table: "lash_trigger_subscriptions", column: "record_json", where: [["subscription_id", key]] }
    case "occurrences":
      return { table: "lash_trigger_occurrences", column: "record_json", where: [["occurrence_id", key]] }
  }
}

/**
 * The internals of one backend handle.
 *
 * @since 0.1.0
 */
export const make = (
  client: SqlClient.SqlClient,
  transactions: Transactions,
  opened: SqliteOpenedAs
): SqliteBackendInternals["Type"] => {
  const overwrite = (table: SqliteTable, key: string, column: "json" | "record_version", value: string | number) =>
    Effect.gen(function*() {
      const target = targetOf(table, key)
      const rows = yield* transactions.write(
        "sqlite",
        "testing.overwrite",
        client.unsafe(
          `UPDATE ${target.table} SET ${column === "json" ? target.column : "record_version"} = ? WHERE ${
            target.where.map(([c]) => `${c} = ?`).join(" AND ")
          } RETURNING 1 AS one`,
          [value, ...target.where.map(([, v]) => v)]
        )
      )
      if (rows.length !== 1) return yield* Effect.dieMessage(`no ${table} row ${key}`)
    }).pipe(Effect.orDie)
  return {
    corrupt: (table, key, rawJson) => overwrite(table, key, "json", rawJson),
    setRecordVersion: (table, key, version) => overwrite(table, key, "record_version", version),
    sql: client,
    opened
  }
}
