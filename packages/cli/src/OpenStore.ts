/**
 * Opening the store a command names. A read command never creates or changes a store: before the backend opens the
 * file (or the Postgres schema, OpenPostgres.ts), a read-only look refuses a missing store, one that is not a lash
 * database, one written by a newer lash and one that needs `lash store migrate`, each with one clear line.
 * `lash store migrate` is the only command that creates a store or applies migrations.
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

/**
 * The schema a store is at: `0` for a store with no lash tables yet. `name` names the store in messages (a SQLite
 * file's absolute path; a Postgres schema and its URL without the password).
 *
 * @since 0.1.0
 */
export interface StoreSchema {
  readonly name: string
  readonly exists: boolean
  readonly migration: number
}

/** A SQLite file's schema. @since 0.1.0 */
export interface SqliteSchema extends StoreSchema {
  readonly filename: string
}

/**
 * Refuses a store written by a newer lash, and (to a read) one behind this CLI's schema `latest`.
 *
 * @since 0.1.0
 */
export const checkVersion = <S extends StoreSchema>(
  schema: S,
  mode: OpenMode,
  latest: number
): Effect.Effect<S, CliError.CliError> => {
  if (schema.migration > latest) {
    return Effect.fail(
      CliError.unavailable(
        `${schema.name} was written by a newer lash (schema migration ${schema.migration}; ` +
          `this CLI knows up to ${latest}): upgrade @lash/cli`
      )
    )
  }
  if (schema.exists && schema.migration < latest && mode === "read") {
    return Effect.fail(
      CliError.unavailable(
        `${schema.name} is at schema migration ${schema.migration}, this CLI reads ${latest}: ` +
          `run lash store migrate first`
      )
    )
  }
  return Effect.succeed(schema)
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
      if (mode === "migrate") return { name: resolved, filename: resolved, exists: false, migration: 0 }
      return yield* Effect.fail(
        CliError.unavailable(`no store at ${resolved} (read commands never create one; lash store migrate does)`)
      )
    }
    if (!stat.isFile()) return yield* Effect.fail(CliError.unavailable(`${resolved} is not a file`))
    const header = stat.size === 0 ? "" : yield* readHeader(resolved)
    if (header !== SQLITE_HEADER) {
      if (mode === "migrate" && stat.size === 0) {
        return { name: resolved, filename: resolved, exists: true, migration: 0 }
      }
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
    return yield* checkVersion(
      { name: resolved, filename: resolved, exists: true, migration: schema.migration },
      mode,
      LATEST_MIGRATION_ID
    )
  })

/** The Postgres half (OpenPostgres.ts), loaded only for a `postgres://` store. */
const postgres = Effect.tryPromise({
  try: () => import("./OpenPostgres.js"),
  catch: (cause) =>
    CliError.unavailable(
      `opening a postgres:// store needs @lash/backend-postgres and @effect/sql-pg installed next to @lash/cli ` +
        `(${messageOf(cause)})`
    )
})

/**
 * Looks at a store without changing it: its schema, and the migration this CLI brings it to.
 *
 * @since 0.1.0
 */
export const inspectStore = (
  location: StoreLocation,
  mode: OpenMode
): Effect.Effect<{ readonly schema: StoreSchema; readonly latest: number }, CliError.CliError> =>
  location.kind === "sqlite"
    ? Effect.map(inspectSqlite(location.filename, mode), (schema) => ({ schema, latest: LATEST_MIGRATION_ID }))
    : Effect.flatMap(postgres, (module) =>
      Effect.map(module.inspectPostgres(location, mode), (schema) => ({
        schema,
        latest: module.POSTGRES_LATEST_MIGRATION_ID
      })))

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
    return Layer.unwrapEffect(Effect.map(postgres, (module) => module.postgresStorage(location, mode)))
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
