/**
 * Opening the store a command names. A read command never creates or changes a store: before the backend opens the
 * file, a read-only look refuses a missing file, a file that is not a lash database, one written by a newer lash and
 * one that needs `lash store migrate`, each with one clear line. `lash store migrate` is the only command that
 * creates a file or applies migrations.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, SqliteBackend } from "@lash/backend-sqlite"
import type { LashStorage, StorageSignals } from "@lash/core"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CliError from "./CliError.js"
import type { StoreLocation } from "./StoreLocation.js"

/** What a command does with the store: read it, or create / migrate it. @since 0.1.0 */
export type OpenMode = "read" | "migrate"

/** The schema a SQLite file is at: `0` for a file with no lash tables yet. @since 0.1.0 */
export interface SqliteSchema {
  readonly filename: string
  readonly exists: boolean
  readonly migration: number
}

const SQLITE_HEADER = "SQLite format 3\u0000"

const messageOf = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "object" && cause !== null && "message" in cause
    ? String((cause as { message: unknown }).message)
    : String(cause)

/** The first bytes of the file: a lash database is a SQLite file. */
const readHeader = (filename: string) =>
  Effect.try({
    try: () => {
      const fd = fs.openSync(filename, "r")
      try {
        const buffer = Buffer.alloc(16)
        const read = fs.readSync(fd, buffer, 0, 16, 0)
        return buffer.subarray(0, read).toString("latin1")
      } finally {
        fs.closeSync(fd)
      }
    },
    catch: (cause) => CliError.unavailable(`cannot read ${filename}: ${messageOf(cause)}`)
  })

/** A read-only look at the tables: which lash schema the file is at. */
const readSchema = (filename: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const client = yield* SqliteClient.make({ filename, readonly: true, disableWAL: true })
      const tables = new Set(
        (yield* client.unsafe<{ readonly name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )).map((row) => row.name)
      )
      if (!tables.has("lash_meta")) {
        return tables.size === 0
          ? { lash: false as const, reason: "not a lash database (an empty SQLite database)" }
          : { lash: false as const, reason: "not a lash database (no lash_meta table)" }
      }
      const format = yield* client.unsafe<{ readonly value: string }>(
        "SELECT value FROM lash_meta WHERE key = 'format'"
      )
      if (format[0]?.value !== FORMAT) {
        return { lash: false as const, reason: `not a lash database (lash_meta.format is not ${FORMAT})` }
      }
      const applied = tables.has(MIGRATIONS_TABLE)
        ? (yield* client.unsafe<{ readonly id: number | null }>(
          `SELECT MAX(migration_id) AS id FROM ${MIGRATIONS_TABLE}`
        ))[0]?.id ?? 0
        : 0
      return { lash: true as const, migration: Number(applied) }
    })
  ).pipe(
    Effect.provide(Reactivity.layer),
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    Effect.mapError((cause) => CliError.unavailable(`cannot open ${filename}: ${messageOf(cause)}`))
  )

/**
 * Looks at a SQLite store without changing it; `mode` says whether a missing file, or one behind on migrations, is
 * acceptable (it is to `migrate`).
 *
 * @since 0.1.0
 */
export const inspectSqlite = (
  filename: string,
  mode: OpenMode
): Effect.Effect<SqliteSchema, CliError.CliError> =>
  Effect.gen(function*() {
    const resolved = path.resolve(filename)
    const stat = fs.statSync(resolved, { throwIfNoEntry: false })
    if (stat === undefined) {
      if (mode === "migrate") return { filename: resolved, exists: false, migration: 0 }
      return yield* Effect.fail(
        CliError.unavailable(`no store at ${resolved} (read commands never create one; lash store migrate does)`)
      )
    }
    if (!stat.isFile()) return yield* Effect.fail(CliError.unavailable(`${resolved} is not a file`))
    const header = stat.size === 0 ? "" : yield* readHeader(resolved)
    if (header !== SQLITE_HEADER) {
      if (mode === "migrate" && stat.size === 0) return { filename: resolved, exists: true, migration: 0 }
      return yield* Effect.fail(
        CliError.unavailable(
          `${resolved} is not a lash database (${stat.size === 0 ? "an empty file" : "not a SQLite file"})`
        )
      )
    }
    const schema = yield* readSchema(resolved)
    if (!schema.lash) {
      return yield* Effect.fail(CliError.unavailable(`${resolved} is ${schema.reason}`))
    }
    if (schema.migration > LATEST_MIGRATION_ID) {
      return yield* Effect.fail(
        CliError.unavailable(
          `${resolved} was written by a newer lash (schema migration ${schema.migration}; ` +
            `this CLI knows up to ${LATEST_MIGRATION_ID}): upgrade @lash/cli`
        )
      )
    }
    if (schema.migration < LATEST_MIGRATION_ID && mode === "read") {
      return yield* Effect.fail(
        CliError.unavailable(
          `${resolved} is at schema migration ${schema.migration}, this CLI reads ${LATEST_MIGRATION_ID}: ` +
            `run lash store migrate first`
        )
      )
    }
    return { filename: resolved, exists: true, migration: schema.migration }
  })

/**
 * The storage layer of a store; its build fails with a `CliError` naming the store.
 *
 * @since 0.1.0
 */
export const storageLayer = (
  location: StoreLocation,
  mode: OpenMode
): Layer.Layer<LashStorage | StorageSignals, CliError.CliError> => {
  if (location.kind === "postgres") {
    return Layer.fail(
      CliError.unavailable(
        `${location.url}: this lash CLI opens SQLite stores only; the Postgres backend is not part of it yet`
      )
    )
  }
  return Layer.unwrapEffect(
    Effect.map(
      inspectSqlite(location.filename, mode),
      (schema) =>
        SqliteBackend.layer({ filename: schema.filename, busyTimeoutMs: 5_000 }).pipe(
          Layer.mapError((error) =>
            CliError.unavailable(`cannot open ${schema.filename}: ${messageOf(error.cause ?? error)}`)
          )
        )
    )
  )
}
