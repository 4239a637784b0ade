/**
 * Opening a lash schema on a Postgres server: check the options, make the connection pool (the schema as the
 * connections' `search_path`, the statement and lock timeouts as session settings), then, in one transaction holding a
 * transaction-scoped advisory lock of the schema, create the schema, refuse a foreign or newer one and run the
 * migrations, so many processes booting at once migrate once.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { StoreUnavailable } from "@lash/core"
import type { Scope } from "effect"
import { Context, Data, Effect, Redacted } from "effect"
import * as Pg from "pg"
import { CREATE_MIGRATIONS_TABLE, FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, runMigrations } from "./Migrations.js"
import { checkout, connectionOf } from "./Units.js"

/** The port name open failures carry. @since 0.1.0 */
export const PORT = "postgres"

/**
 * A `StoreUnavailable` of the Postgres backend.
 *
 * @since 0.1.0
 */
export const unavailable = (cause: unknown) => new StoreUnavailable({ port: PORT, cause })

/**
 * The `cause` of the `StoreUnavailable` an open fails with when the options are invalid, or the schema holds tables
 * that are not lash's, or was written by a newer `@lash/backend-postgres`.
 *
 * @since 0.1.0
 */
export class PostgresOpenRefused
  extends Data.TaggedError("PostgresOpenRefused")<{ readonly schema: string; readonly reason: string }>
{
  override get message() {
    return `cannot open schema ${this.schema}: ${this.reason}`
  }
}

/**
 * Where the server is, when not given as a URL.
 *
 * @since 0.1.0
 */
export interface PostgresConnectionOptions {
  readonly host?: string
  readonly port?: number
  readonly database?: string
  readonly user?: string
  readonly password?: string | Redacted.Redacted<string>
  /** TLS: `true`, or Node's TLS options. */
  readonly ssl?: boolean | Record<string, unknown>
}

/**
 * Options of `PostgresBackend.layer`.
 *
 * @since 0.1.0
 */
export interface PostgresBackendOptions {
  /** A connection URL (`postgres://user@host:5432/db`); or give `connection`. */
  readonly url?: string | Redacted.Redacted<string>
  /** The server as separate fields (used when `url` is absent; merged over it when both are given). */
  readonly connection?: PostgresConnectionOptions
  /** The schema lash's tables live in, created if missing: `[a-z_][a-z0-9_]*`, at most 63 characters. Default `lash`. */
  readonly schema?: string
  /** Connections of this handle's pool (default 10). Units hold one each for milliseconds. */
  readonly poolSize?: number
  /** `LISTEN/NOTIFY` wake-ups between processes (default true). Without it, waits and workers rely on polling. */
  readonly notify?: boolean
  /** The backstop poll: how often waiters re-check without a signal (default 1 000 ms with notify, 250 ms without). */
  readonly pollIntervalMs?: number
  /** `statement_timeout` of every connection in ms (default 30 000): a statement past it fails the unit. */
  readonly statementTimeoutMs?: number
  /** `lock_timeout` in ms (default 10 000): a unit waiting longer on a row lock is re-run. */
  readonly lockTimeoutMs?: number
  /** How long to wait for a new connection in ms (default 10 000). */
  readonly connectTimeoutMs?: number
  /** `application_name` of the connections (default `lash`), seen in `pg_stat_activity`. */
  readonly applicationName?: string
}

/** The options with their defaults applied. @since 0.1.0 */
export interface ResolvedOptions {
  readonly schema: string
  readonly notify: boolean
  readonly pollIntervalMs: number
  readonly pool: Pg.PoolConfig
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const positive = (name: string, value: number | undefined, fallback: number, schema: string) =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(
      unavailable(new PostgresOpenRefused({ schema, reason: `${name} must be a positive integer, got ${value}` }))
    )

const secret = (value: string | Redacted.Redacted<string> | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : Redacted.value(value)

/**
 * Checks the options and applies the defaults.
 *
 * @since 0.1.0
 */
export const resolve = (options: PostgresBackendOptions): Effect.Effect<ResolvedOptions, StoreUnavailable> =>
  Effect.gen(function*() {
    const schema = options.schema ?? "lash"
    if (!SCHEMA_NAME.test(schema)) {
      return yield* Effect.fail(
        unavailable(new PostgresOpenRefused({ schema, reason: "schema must match [a-z_][a-z0-9_]*, 1-63 characters" }))
      )
    }
    if (options.url === undefined && options.connection === undefined) {
      return yield* Effect.fail(unavailable(new PostgresOpenRefused({ schema, reason: "give url or connection" })))
    }
    const notify = options.notify ?? true
    const poolSize = yield* positive("poolSize", options.poolSize, 10, schema)
    const pollIntervalMs = yield* positive("pollIntervalMs", options.pollIntervalMs, notify ? 1_000 : 250, schema)
    const statementTimeoutMs = yield* positive("statementTimeoutMs", options.statementTimeoutMs, 30_000, schema)
    const lockTimeoutMs = yield* positive("lockTimeoutMs", options.lockTimeoutMs, 10_000, schema)
    const connectTimeoutMs = yield* positive("connectTimeoutMs", options.connectTimeoutMs, 10_000, schema)
    const connection = options.connection ?? {}
    const url = secret(options.url)
    const password = secret(connection.password)
    const pool: Pg.PoolConfig = {
      ...(url === undefined ? {} : { connectionString: url }),
      ...(connection.host === undefined ? {} : { host: connection.host }),
      ...(connection.port === undefined ? {} : { port: connection.port }),
      ...(connection.database === undefined ? {} : { database: connection.database }),
      ...(connection.user === undefined ? {} : { user: connection.user }),
      ...(password === undefined ? {} : { password }),
      ...(connection.ssl === undefined ? {} : { ssl: connection.ssl }),
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? "lash",
      options: `-c search_path=${schema}`,
      statement_timeout: statementTimeoutMs,
      lock_timeout: lockTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs * 2),
      keepAlive: true
    }
    return { schema, notify, pollIntervalMs, pool }
  })

/**
 * A pool, ended with the scope. Idle connections that fail (a restarted server) are dropped by the pool.
 *
 * @since 0.1.0
 */
export const makePool = (config: Pg.PoolConfig): Effect.Effect<Pg.Pool, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new Pg.Pool(config)
      pool.on("error", () => {
        // An idle connection failed: the pool removes it; the next unit connects anew.
      })
      return pool
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined)).pipe(Effect.timeoutOption(2_000))
  )

/**
 * Creates the schema and migrates it under the schema's advisory lock, in one transaction; refuses a schema that has
 * other tables and no `lash_meta`, or whose newest migration this package does not know.
 *
 * @since 0.1.0
 */
export const migrate = (pool: Pg.Pool, schema: string): Effect.Effect<void, StoreUnavailable> =>
  Effect.gen(function*() {
    const refuse = (reason: string) => Effect.fail(unavailable(new PostgresOpenRefused({ schema, reason })))
    // The Migrator speaks through a stock `PgClient` over the same pool, on the unit's connection.
    const client = yield* PgClient.fromPool({ acquire: Effect.succeed(pool), applicationName: "lash" }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.mapError(unavailable)
    )
    const lease = yield* Effect.acquireRelease(checkout(pool, PORT), (lease) => Effect.sync(lease.release))
    const run = (text: string, params: ReadonlyArray<unknown> = []) =>
      Effect.tryPromise({
        try: () =>
          lease.client.query(text, params as Array<unknown>).then((r) => r.rows as Array<Record<string, unknown>>),
        catch: (cause) => {
          lease.broken = true
          return unavailable(cause)
        }
      })
    const body = Effect.gen(function*() {
      yield* run("SELECT pg_advisory_xact_lock(hashtext($1))", [`lash:migrate:${schema}`])
      yield* run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
      const tables = yield* run(
        "SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
        [schema]
      )
      const names = new Set(tables.map((t) => String(t.table_name)))
      if (names.size > 0 && !names.has("lash_meta")) {
        return yield* refuse("not a lash schema (tables present, no lash_meta)")
      }
      yield* run(CREATE_MIGRATIONS_TABLE)
      const latest = yield* run(`SELECT MAX(migration_id) AS id FROM ${MIGRATIONS_TABLE}`)
      const id = Number(latest[0]?.id ?? 0)
      if (id > LATEST_MIGRATION_ID) return yield* refuse(`written by a newer @lash/backend-postgres (migration ${id})`)
      yield* Effect.mapInputContext(
        runMigrations,
        (ctx: Context.Context<never>) =>
          Context.add(
            Context.add(ctx, SqlClient.SqlClient, client),
            SqlClient.TransactionConnection,
            [connectionOf(lease), 0] as const
          )
      ).pipe(
        Effect.mapError(unavailable),
        Effect.catchAllDefect((defect) => Effect.fail(unavailable(defect)))
      )
      const format = yield* run("SELECT value FROM lash_meta WHERE key = 'format'")
      if (format[0]?.value !== FORMAT) return yield* refuse(`lash_meta.format is not ${FORMAT}`)
    })
    yield* run("BEGIN")
    const exit = yield* Effect.exit(body)
    if (exit._tag === "Success") {
      yield* Effect.tapError(run("COMMIT"), () => Effect.ignore(run("ROLLBACK")))
    } else {
      yield* Effect.ignore(run("ROLLBACK"))
      return yield* exit
    }
  }).pipe(Effect.scoped)
