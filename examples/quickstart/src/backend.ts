/**
 * Where the quickstart keeps its state, chosen in one place: a file of embedded SQLite (the default: `LASH_DB`, else
 * `$TMPDIR/lash-quickstart/lash.db`), or a schema of a Postgres database when `LASH_PG_URL` is set (`LASH_PG_SCHEMA`
 * names the schema; each program gives its default). Every build of `layer` is a new handle on the same file or
 * schema, so closing one runtime and building the next is a restart.
 */
import { PgClient } from "@effect/sql-pg"
import { PostgresBackend } from "@lash/backend-postgres"
import { SqliteBackend } from "@lash/backend-sqlite"
import { type LashConfigError, type LashStorage, type StorageSignals, StoreUnavailable } from "@lash/core"
import type { Layer } from "effect"
import { Config, type ConfigError, Effect, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** The storage of a quickstart program. */
export interface Storage {
  /** How the first line names it: `SQLite at <file>`, `Postgres schema <schema> of <url>`. */
  readonly label: string
  /** What a restart reopens: `the file`, `the schema`. */
  readonly noun: string
  /** Where everything is afterwards: the file, or the store argument of the `lash` command line (docs/operations.md). */
  readonly location: string
  /** The storage ports over it; every build is a new handle (a new connection pool on Postgres). */
  readonly layer: Layer.Layer<LashStorage | StorageSignals, StoreUnavailable | LashConfigError>
  /** Empties it, so a run starts fresh: deletes the file's folder, or drops the schema. */
  readonly reset: Effect.Effect<void, StoreUnavailable>
}

const sqlite: Effect.Effect<Storage, ConfigError.ConfigError> = Effect.map(
  Config.string("LASH_DB").pipe(Config.withDefault(path.join(os.tmpdir(), "lash-quickstart", "lash.db"))),
  (filename) => ({
    label: `SQLite at ${filename}`,
    noun: "the file",
    location: filename,
    layer: SqliteBackend.layer({ filename }),
    reset: Effect.sync(() => {
      fs.rmSync(path.dirname(filename), { recursive: true, force: true })
      fs.mkdirSync(path.dirname(filename), { recursive: true })
    })
  })
)

/** `url` as it may be shown (its password masked; the backend's open names a URL that does not parse). */
const shown = (url: Redacted.Redacted, schema?: string): string => {
  if (!URL.canParse(Redacted.value(url))) return "LASH_PG_URL"
  const parsed = new URL(Redacted.value(url))
  if (parsed.password !== "") parsed.password = "***"
  if (schema !== undefined) parsed.searchParams.set("schema", schema)
  return parsed.toString()
}

/** `DROP SCHEMA … CASCADE` on a short-lived client (the schema quoted as an identifier by @effect/sql). */
const dropSchema = (url: Redacted.Redacted, schema: string) =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`).pipe(
    Effect.provide(PgClient.layer({ url, applicationName: "lash-quickstart" })),
    Effect.asVoid,
    Effect.mapError((cause) => new StoreUnavailable({ port: "postgres", cause }))
  )

const postgresAt = (url: Redacted.Redacted, schema: string): Storage => ({
  label: `Postgres schema ${schema} of ${shown(url)}`,
  noun: "the schema",
  // The store argument of the `lash` command line (docs/operations.md).
  location: shown(url, schema),
  layer: PostgresBackend.layer({ url, schema }),
  reset: dropSchema(url, schema)
})

/** A schema of the Postgres database at `LASH_PG_URL` (required): `LASH_PG_SCHEMA`, else `defaultSchema`. */
export const postgres = (defaultSchema: string): Effect.Effect<Storage, ConfigError.ConfigError> =>
  Effect.map(
    Config.all({
      url: Config.redacted("LASH_PG_URL"),
      schema: Config.string("LASH_PG_SCHEMA").pipe(Config.withDefault(defaultSchema))
    }),
    ({ schema, url }) => postgresAt(url, schema)
  )

/** Postgres when `LASH_PG_URL` is set (schema `LASH_PG_SCHEMA`, else `defaultSchema`), else SQLite. */
export const chooseStorage = (defaultSchema: string): Effect.Effect<Storage, ConfigError.ConfigError> =>
  Effect.flatMap(
    Config.option(Config.redacted("LASH_PG_URL")),
    Option.match({ onNone: () => sqlite, onSome: () => postgres(defaultSchema) })
  )
