/**
 * Opening a lash schema on a Postgres server (after `Options.ts` decoded the options): make the connection pool (the
 * schema as the connections' `search_path`, the statement and lock timeouts as session settings), then, in one
 * transaction holding a transaction-scoped advisory lock of the schema, create the schema, refuse a foreign or newer
 * one and run the migrations, so many processes booting at once migrate once.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { StoreUnavailable } from "@lash/core"
import type { Scope } from "effect"
import { Context, Data, Effect } from "effect"
import * as Pg from "pg"
import { CREATE_MIGRATIONS_TABLE, FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, runMigrations } from "./Migrations.js"
import { describe } from "./PostgresFailure.js"
import { checkout, connectionOf } from "./Units.js"

/** The port name open failures carry. @since 0.1.0 */
export const PORT = "postgres"

/**
 * A `StoreUnavailable` of the Postgres backend.
 *
 * @since 0.1.0
 */
export const unavailable = (cause: unknown) => new StoreUnavailable({ port: PORT, cause: describe(cause) })

/**
 * The `cause` of the `StoreUnavailable` an open fails with when the schema holds tables that are not lash's, or was
 * written by a newer `@lash/backend-postgres`.
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
