/**
 * Test access to a built SQLite backend: overwrite one row's JSON or record version (to test corrupt rows), and the
 * client itself (to inspect rows).
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import { Tampering } from "@lash/backend-sql"
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
      const target = Tampering.targetOf(table, key)
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
