/**
 * Opening a lash SQLite file: refuse in-memory names, create the directory, open the client (`Client.ts`, retrying the
 * first-open WAL race), set and read back the pragmas, then, under one `BEGIN IMMEDIATE` unit, refuse a foreign or a
 * newer database and run the migrations (so several processes booting at once migrate once).
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { StoreUnavailable } from "@lash/core"
import type { Scope } from "effect"
import { Data, Duration, Effect, Either, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Client from "./Client.js"
import { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, runMigrations } from "./Migrations.js"
import { explainOpenFailure } from "./NativeModule.js"
import * as Pragmas from "./Pragmas.js"
import { isBusyError, type Transactions } from "./Transaction.js"

/**
 * The `cause` of the `StoreUnavailable` an open fails with when the file is not a lash database, or was written by a
 * newer `@lash/backend-sqlite`, or the filename is not a file.
 *
 * @since 0.1.0
 */
export class SqliteOpenRefused
  extends Data.TaggedError("SqliteOpenRefused")<{ readonly filename: string; readonly reason: string }>
{
  override get message() {
    return `cannot open ${this.filename}: ${this.reason}`
  }
}

/** The port name open failures carry. @since 0.1.0 */
export const PORT = "sqlite"

/**
 * A `StoreUnavailable` of the SQLite backend.
 *
 * @since 0.1.0
 */
export const unavailable = (cause: unknown) => new StoreUnavailable({ port: PORT, cause })

const openClient = (filename: string): Effect.Effect<SqlClient.SqlClient, StoreUnavailable, Scope.Scope> =>
  Effect.suspend(() => Client.make(filename)).pipe(
    // The constructor of better-sqlite3 throws (a defect) on a missing directory or an unreadable file.
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    // SQLite does not use the busy handler for the WAL switch of a first open: retry that race with a short backoff.
    Effect.retry({
      schedule: Schedule.jittered(Schedule.exponential(Duration.millis(20))).pipe(
        Schedule.intersect(Schedule.recurs(5))
      ),
      while: isBusyError
    }),
    // A native module that does not load (wrong ABI, not built) is named with what to do about it.
    Effect.catchAll((cause) => Effect.flatMap(explainOpenFailure(cause), (why) => Effect.fail(unavailable(why))))
  )

/**
 * The client of a lash file, its pragmas set and checked; `resolved` is the absolute filename.
 *
 * @since 0.1.0
 */
export const openFile = (
  filename: string,
  settings: Pragmas.PragmaSettings & { readonly quickCheck: boolean },
  afterPragmas?: (client: SqlClient.SqlClient) => Effect.Effect<void, SqlError>
): Effect.Effect<
  { readonly client: SqlClient.SqlClient; readonly resolved: string },
  StoreUnavailable,
  Scope.Scope
> =>
  Effect.gen(function*() {
    if (filename === "" || filename === ":memory:" || filename.startsWith("file::memory:")) {
      return yield* Effect.fail(
        unavailable(
          new SqliteOpenRefused({ filename, reason: "in-memory databases are not durable; use MemoryBackend" })
        )
      )
    }
    const resolved = path.resolve(filename)
    yield* Effect.try({ try: () => fs.mkdirSync(path.dirname(resolved), { recursive: true }), catch: unavailable })
    const client = yield* openClient(resolved)
    // Before anything reads a table, so the check's report (not the first read's SQLITE_CORRUPT) explains a refusal.
    if (settings.quickCheck) yield* quickCheck(client, resolved)
    yield* Effect.mapError(Pragmas.apply(client, settings, afterPragmas), unavailable)
    return { client, resolved }
  })

/**
 * `PRAGMA quick_check` (the `quickCheck` option): a file whose pages or indexes are damaged is refused at open with
 * the first problems SQLite reports, instead of serving what it can still read.
 *
 * @since 0.1.0
 */
export const quickCheck = (client: SqlClient.SqlClient, resolved: string): Effect.Effect<void, StoreUnavailable> => {
  const refuse = (problems: string) =>
    Effect.fail(
      unavailable(new SqliteOpenRefused({ filename: resolved, reason: `PRAGMA quick_check failed: ${problems}` }))
    )
  // SQLite may also answer a damaged page with SQLITE_CORRUPT instead of a report: a refusal all the same.
  return Effect.flatMap(
    Effect.either(client.unsafe<Record<string, unknown>>("PRAGMA quick_check(10)")),
    Either.match({
      onLeft: (error) => refuse(String(error.cause ?? error.message)),
      onRight: (rows) => {
        const lines = rows.map((row) => String(Object.values(row)[0]))
        return lines.length === 1 && lines[0] === "ok" ? Effect.void : refuse(lines.join("; "))
      }
    })
  )
}

const isMigrationError = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "MigrationError"

/**
 * Refuses a foreign or newer database and migrates, in one write unit.
 *
 * @since 0.1.0
 */
export const migrate = (
  client: SqlClient.SqlClient,
  transactions: Transactions,
  resolved: string
): Effect.Effect<void, StoreUnavailable> => {
  const refuse = (reason: string) => Effect.fail(unavailable(new SqliteOpenRefused({ filename: resolved, reason })))
  const rows = <Row extends object>(statement: string) => client.unsafe<Row>(statement)
  return transactions.write(
    PORT,
    "migrate",
    Effect.gen(function*() {
      const tables = yield* rows<{ readonly name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
      )
      const names = new Set(tables.map((t) => t.name))
      if (names.size > 0 && !names.has("lash_meta")) {
        return yield* refuse("not a lash database (tables present, no lash_meta)")
      }
      if (names.has(MIGRATIONS_TABLE)) {
        const latest = yield* rows<{ readonly id: number | null }>(
          `SELECT MAX(migration_id) AS id FROM ${MIGRATIONS_TABLE}`
        )
        const id = latest[0]?.id ?? 0
        if (id > LATEST_MIGRATION_ID) return yield* refuse(`written by a newer @lash/backend-sqlite (migration ${id})`)
      }
      yield* Effect.provideService(runMigrations, SqlClient.SqlClient, client).pipe(
        Effect.mapError((e): SqlError | StoreUnavailable => (e._tag === "MigrationError" ? unavailable(e) : e))
      )
      const format = yield* rows<{ readonly value: string }>("SELECT value FROM lash_meta WHERE key = 'format'")
      if (format[0]?.value !== FORMAT) return yield* refuse(`lash_meta.format is not ${FORMAT}`)
    }).pipe(
      Effect.catchAllDefect((
        defect
      ) => (isMigrationError(defect) ? Effect.fail(unavailable(defect)) : Effect.die(defect)))
    )
  ).pipe(Effect.catchTag("StoreConflict", (e) => Effect.fail(unavailable(e))))
}
