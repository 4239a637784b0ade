/**
 * What differs between the SQL dialects the driver speaks, in one place. The statements themselves are shared:
 * SQLite (≥ 3.35) and Postgres both have `INSERT … ON CONFLICT … DO NOTHING`, `RETURNING` and `WITH RECURSIVE`, and
 * every statement is written once with `?` placeholders over the schema of docs/storage-drivers.md, "The SQL schema".
 * A dialect says how those statements are spelled and run on its server:
 *
 * | concern | SQLite | Postgres (`@lash/backend-postgres`) |
 * |---|---|---|
 * | placeholders | `?` | `$1, $2, …` |
 * | rows read in a write unit stay as read | `BEGIN IMMEDIATE` locks the file: nothing to add | `FOR UPDATE` |
 * | the runnable scan of a claim | as above | `FOR UPDATE SKIP LOCKED` (N workers never wait on each other) |
 * | the clock of a unit | Effect `Clock` (the host's; one host shares a file) | `SELECT lash_now_ms()` (the database's) |
 * | contention a retry resolves | `SQLITE_BUSY*`, `SQLITE_LOCKED*` | SQLSTATE `40001`, `40P01`, `55P03` |
 * | telling other processes | nothing (a `data_version` poller sees commits) | `SELECT pg_notify(…)` inside the unit |
 *
 * Integers arrive as numbers from SQLite and `bigint` columns as strings from Postgres: the row readers convert every
 * integer column with `Number`, so no dialect entry is needed for them.
 *
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import type { StorageSignal, StoreError } from "@lash/core"
import { Clock, type Effect } from "effect"
import type { Runner } from "./Statements.js"

/** How a statement error is classified. @since 0.1.0 */
export type ErrorClass =
  | { readonly _tag: "Conflict"; readonly code: string }
  | { readonly _tag: "Unavailable" }

/**
 * A SQL dialect.
 *
 * @since 0.1.0
 */
export interface SqlDialect {
  readonly name: string
  /** The text to run for a statement written with `?` placeholders. */
  readonly compile: (text: string) => string
  /** Appended to a read inside a write unit so its rows stay as read until the unit ends. */
  readonly lockRows: string
  /** Appended to the runnable scan of a claim. */
  readonly lockRunnable: string
  /** The store's clock, read inside a unit. */
  readonly now: (run: Runner) => Effect.Effect<number, StoreError>
  /** Contention that re-running the unit resolves, or anything else (unavailable). */
  readonly classify: (error: SqlError) => ErrorClass
  /** Optional: tells other processes what a unit changed, as a statement of that unit (fires only on commit). */
  readonly announce?: (
    run: Runner,
    signals: ReadonlyArray<StorageSignal>
  ) => Effect.Effect<void, StoreError>
}

/**
 * The engine result code of an error (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, a Postgres SQLSTATE, …), when it has one.
 *
 * @since 0.1.0
 */
export const errorCode = (error: unknown): string | undefined => {
  const cause = typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError"
    ? (error as SqlError).cause
    : error
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    return cause.code
  }
  return undefined
}

/**
 * True for SQLite's lock-contention codes (a retry of the unit resolves them).
 *
 * @since 0.1.0
 */
export const isSqliteBusyCode = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))

/**
 * The SQLite dialect.
 *
 * @since 0.1.0
 */
export const sqlite: SqlDialect = {
  name: "sqlite",
  compile: (text) => text,
  lockRows: "",
  lockRunnable: "",
  now: () => Clock.currentTimeMillis,
  classify: (error) => {
    const code = errorCode(error)
    return isSqliteBusyCode(code) ? { _tag: "Conflict", code: code! } : { _tag: "Unavailable" }
  }
}
