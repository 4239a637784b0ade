/**
 * Opening a Postgres store (a schema of a database, packages/backends/postgres). Like a SQLite file, a read command
 * never creates or changes it: a read-only look refuses a schema that does not exist, one that is not lash's, one
 * written by a newer lash and one that needs `lash store migrate`, each with one line. Only then does the backend open
 * it (its open takes the schema's migration lock for an instant and finds nothing to do). Loaded only for a
 * `postgres://` store, so a SQLite user needs neither `@lash/backend-postgres` nor `pg`.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { PgClient } from "@effect/sql-pg"
import { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, PostgresBackend } from "@lash/backend-postgres"
import type { LashStorage, StorageSignals } from "@lash/core"
import { Effect, Layer, Redacted } from "effect"
import * as CliError from "./CliError.js"
import { checkVersion, type OpenMode, type StoreSchema } from "./OpenStore.js"
import type { StoreLocation } from "./StoreLocation.js"

type PostgresLocation = Extract<StoreLocation, { readonly kind: "postgres" }>

/** The most useful line of a driver failure (the server's message, not a stack). */
const messageOf = (cause: unknown): string => {
  let current: unknown = cause
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const next = (current as { readonly cause?: unknown }).cause
    if (next === undefined || next === null) break
    current = next
  }
  return current instanceof Error ? current.message : String(current)
}

/** The store as `location` names it in messages: the schema and the URL without its password. */
const named = (location: PostgresLocation) => `schema "${location.schema}" of ${location.display}`

/**
 * Looks at a Postgres schema without changing it (one read-only transaction on one connection).
 *
 * @since 0.1.0
 */
export const inspectPostgres = (
  location: PostgresLocation,
  mode: OpenMode
): Effect.Effect<StoreSchema, CliError.CliError> =>
  Effect.gen(function*() {
    const client = yield* PgClient.make({
      url: Redacted.make(location.url),
      maxConnections: 1,
      connectTimeout: "10 seconds",
      applicationName: "lash-cli"
    }).pipe(
      Effect.mapError((error) => CliError.unavailable(`cannot reach ${location.display}: ${messageOf(error)}`))
    )
    const failed = (error: unknown) => CliError.unavailable(`cannot read ${named(location)}: ${messageOf(error)}`)
    const look = Effect.gen(function*() {
      yield* client.unsafe("SET TRANSACTION READ ONLY")
      const schema = yield* client.unsafe<{ readonly one: number }>(
        "SELECT 1 AS one FROM pg_namespace WHERE nspname = $1",
        [location.schema]
      )
      if (schema.length === 0) return { exists: false, tables: new Set<string>() }
      const tables = yield* client.unsafe<{ readonly name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
        [location.schema]
      )
      return { exists: true, tables: new Set(tables.map((row) => row.name)) }
    })
    const { exists, tables } = yield* client.withTransaction(look).pipe(Effect.mapError(failed))
    const at = (migration: number): StoreSchema => ({ name: named(location), exists, migration })
    if (!exists || tables.size === 0) {
      if (mode === "migrate") return at(0)
      return yield* Effect.fail(
        CliError.unavailable(
          exists
            ? `${named(location)} is not a lash database (an empty schema)`
            : `no ${named(location)} (read commands never create one; lash store migrate does)`
        )
      )
    }
    if (!tables.has("lash_meta")) {
      return yield* Effect.fail(CliError.unavailable(`${named(location)} is not a lash database (no lash_meta table)`))
    }
    const read = <A extends object>(text: string) =>
      client.unsafe<A>(text.replaceAll("$schema", `"${location.schema}"`)).pipe(Effect.mapError(failed))
    const format = yield* read<{ readonly value: string }>(
      "SELECT value FROM $schema.lash_meta WHERE key = 'format'"
    )
    if (format[0]?.value !== FORMAT) {
      return yield* Effect.fail(
        CliError.unavailable(`${named(location)} is not a lash database (lash_meta.format is not ${FORMAT})`)
      )
    }
    const applied = tables.has(MIGRATIONS_TABLE)
      ? Number(
        (yield* read<{ readonly id: unknown }>(`SELECT MAX(migration_id) AS id FROM $schema.${MIGRATIONS_TABLE}`))[0]
          ?.id ?? 0
      )
      : 0
    return at(applied)
  }).pipe(
    Effect.scoped,
    Effect.provide(Reactivity.layer),
    Effect.flatMap((schema) => checkVersion(schema, mode, LATEST_MIGRATION_ID))
  )

/**
 * The storage of a Postgres store after `inspectPostgres` let it through. A small pool, no `LISTEN` connection: a
 * command reads and ends (`processes events --follow` polls).
 *
 * @since 0.1.0
 */
export const postgresStorage = (
  location: PostgresLocation,
  mode: OpenMode
): Layer.Layer<LashStorage | StorageSignals, CliError.CliError> =>
  Layer.unwrapEffect(
    Effect.map(inspectPostgres(location, mode), () =>
      PostgresBackend.layer({
        url: Redacted.make(location.url),
        schema: location.schema,
        poolSize: 2,
        notify: false,
        applicationName: "lash-cli"
      }).pipe(
        Layer.mapError((error) => CliError.unavailable(`cannot open ${named(location)}: ${messageOf(error)}`))
      ))
  )

/** The migration this CLI brings a Postgres store to. @since 0.1.0 */
export const POSTGRES_LATEST_MIGRATION_ID = LATEST_MIGRATION_ID
