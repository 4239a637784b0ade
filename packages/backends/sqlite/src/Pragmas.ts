/**
 * The pragmas of a lash SQLite file, set on every open and read back: WAL, `synchronous` (FULL by default: a file
 * that already exists would otherwise reopen at NORMAL), `foreign_keys`, `busy_timeout`, a WAL size limit, and
 * `fullfsync` on macOS. An open whose pragmas do not read back as asked is refused; the durability report reads them
 * from the live connection.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { DurabilityReport } from "@lash/core"
import { Data, Effect } from "effect"

/**
 * The `cause` of the `StoreUnavailable` an open fails with when a pragma does not read back as required (the file
 * system or build cannot give the asked-for durability).
 *
 * @since 0.1.0
 */
export class SqlitePragmaMismatch extends Data.TaggedError("SqlitePragmaMismatch")<{
  readonly pragma: string
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `PRAGMA ${this.pragma} reads ${this.actual}, expected ${this.expected}: refusing to open`
  }
}

/** What the pragmas are set to. @since 0.1.0 */
export interface PragmaSettings {
  readonly synchronous: "full" | "normal"
  readonly busyTimeoutMs: number
}

const firstValue = (rows: ReadonlyArray<object>): unknown => {
  const row = rows[0]
  return row === undefined ? undefined : Object.values(row)[0]
}

const value = (client: SqlClient.SqlClient, statement: string) =>
  Effect.map(client.unsafe<Record<string, unknown>>(statement), (rows) => String(firstValue(rows)).toLowerCase())

/**
 * Sets the pragmas, runs `afterPragmas` (a test seam), then reads every one back.
 *
 * @since 0.1.0
 */
export const apply = (
  client: SqlClient.SqlClient,
  settings: PragmaSettings,
  afterPragmas?: (client: SqlClient.SqlClient) => Effect.Effect<void, SqlError>
): Effect.Effect<void, SqlError | SqlitePragmaMismatch> =>
  Effect.gen(function*() {
    const busy = String(Math.max(0, Math.floor(settings.busyTimeoutMs)))
    const full = settings.synchronous === "full"
    const set = (statement: string) => client.unsafe(statement)
    yield* set(`PRAGMA busy_timeout = ${busy}`)
    yield* set(`PRAGMA synchronous = ${full ? "FULL" : "NORMAL"}`)
    yield* set("PRAGMA foreign_keys = ON")
    yield* set("PRAGMA journal_size_limit = 67108864")
    if (process.platform === "darwin" && full) {
      yield* set("PRAGMA fullfsync = ON")
      yield* set("PRAGMA checkpoint_fullfsync = ON")
    }
    if (afterPragmas !== undefined) yield* afterPragmas(client)
    const expect = (pragma: string, expected: string) =>
      Effect.flatMap(value(client, `PRAGMA ${pragma}`), (actual) =>
        actual === expected ? Effect.void : Effect.fail(new SqlitePragmaMismatch({ pragma, expected, actual })))
    yield* expect("journal_mode", "wal")
    yield* expect("synchronous", full ? "2" : "1")
    yield* expect("foreign_keys", "1")
    yield* expect("busy_timeout", busy)
  })

const synchronousNames: Record<string, string> = { "0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA" }

/**
 * The durability report of a live connection (run inside a read unit).
 *
 * @since 0.1.0
 */
export const durabilityReport = (
  client: SqlClient.SqlClient,
  filename: string
): Effect.Effect<DurabilityReport, SqlError> =>
  Effect.map(
    Effect.all([
      value(client, "PRAGMA journal_mode"),
      value(client, "PRAGMA synchronous"),
      value(client, "PRAGMA busy_timeout"),
      value(client, "PRAGMA fullfsync"),
      value(client, "SELECT sqlite_version() AS v")
    ]),
    ([journalMode, synchronous, busyTimeout, fullfsync, version]): DurabilityReport => ({
      mechanism: "sqlite-wal",
      crashSafety: synchronous === "2" || synchronous === "3"
        ? "power-loss"
        : synchronous === "1"
        ? "process-crash"
        : "none",
      details: {
        journal_mode: journalMode,
        synchronous: synchronousNames[synchronous] ?? synchronous,
        busy_timeout: busyTimeout,
        fullfsync,
        sqlite_version: version,
        filename
      }
    })
  )

/**
 * A report that states `synchronous` as `level` whatever the connection reads: what a backend that reports its
 * configuration instead of reading it back would say (a test seam: the kit's durability-report mutant).
 *
 * @since 0.1.0
 */
export const claiming = (report: DurabilityReport, level: "full" | "normal"): DurabilityReport => ({
  ...report,
  crashSafety: level === "full" ? "power-loss" : "process-crash",
  details: { ...report.details, synchronous: level === "full" ? "FULL" : "NORMAL" }
})
