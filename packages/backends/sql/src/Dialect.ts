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
 * | statements of a unit | one connection, `BEGIN IMMEDIATE` | a pooled connection, named prepared statements |
 *
 * Integers arrive as numbers from SQLite and `bigint` columns as strings from Postgres: the row readers convert every
 * integer column with `Number`, so no dialect entry is needed for them.
 *
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import type { StorageSignal, StoreError } from "@lash/core"
import { Clock, Effect } from "effect"
import * as SignalPayload from "./SignalPayload.js"
import { int, type Runner } from "./Statements.js"

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

/**
 * Compiles `?` placeholders to `$1, $2, …`, leaving quoted literals and identifiers alone.
 *
 * @since 0.1.0
 */
export const numberedPlaceholders = (text: string): string => {
  let out = ""
  let n = 0
  let quote: string | undefined
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined
      out += ch
    } else if (ch === "'" || ch === "\"") {
      quote = ch
      out += ch
    } else if (ch === "?") {
      out += `$${++n}`
    } else {
      out += ch
    }
  }
  return out
}

/**
 * The SQLSTATEs a Postgres unit re-runs on: serialization failure, deadlock, `lock_timeout`, and a unique violation
 * (every first insert is `ON CONFLICT`, so one means a concurrent unit won a race the re-run reads as a repeat).
 *
 * @since 0.1.0
 */
export const POSTGRES_RETRYABLE: ReadonlySet<string> = new Set(["40001", "40P01", "55P03", "23505"])

/** Options of the Postgres dialect. @since 0.1.0 */
export interface PostgresDialectOptions {
  /**
   * The `NOTIFY` channel units announce their changes on (`SignalPayload`), or `undefined` for none. `handle` names
   * the announcing store handle, so its own listener can skip what it already published.
   */
  readonly notify?: { readonly channel: string; readonly handle: string } | undefined
  /**
   * Where `tx.now` comes from: `"database"` (default: `lash_now_ms()`, the server's clock, so workers on hosts with
   * skewed clocks agree on lease expiry) or `"host"` (Effect's `Clock`: only for tests that move time with
   * `TestClock`).
   */
  readonly clock?: "database" | "host"
}

/**
 * The statement a Postgres unit announces its changes with (channel, payload): the unit runner may send it with the
 * unit's `COMMIT` (packages/backends/postgres/src/Units.ts).
 *
 * @since 0.1.0
 */
export const POSTGRES_NOTIFY = "SELECT pg_notify($1, $2)"

/**
 * The Postgres dialect (`@lash/backend-postgres`).
 *
 * @since 0.1.0
 */
export const postgres = (options: PostgresDialectOptions = {}): SqlDialect => {
  const now = numberedPlaceholders("SELECT lash_now_ms() AS now")
  const notify = POSTGRES_NOTIFY
  const channel = options.notify
  const dialect: SqlDialect = {
    name: "postgres",
    compile: numberedPlaceholders,
    lockRows: " FOR UPDATE",
    lockRunnable: " FOR UPDATE SKIP LOCKED",
    now: options.clock === "host"
      ? () => Clock.currentTimeMillis
      : (run) => Effect.map(run.first(now, [], (r) => int(r.now)), (ms) => ms ?? 0),
    classify: (error) => {
      const code = errorCode(error)
      return code !== undefined && POSTGRES_RETRYABLE.has(code)
        ? { _tag: "Conflict", code }
        : { _tag: "Unavailable" }
    }
  }
  return channel === undefined ? dialect : {
    ...dialect,
    announce: (run, signals) =>
      signals.length === 0
        ? Effect.void
        : run.exec(notify, [channel.channel, SignalPayload.encode(channel.handle, signals)])
  }
}
