/**
 * Opening a lash schema on a Postgres server (after `Options.ts` decoded the options): make the connection pool (the
 * schema as the connections' `search_path`, the statement and lock timeouts as session settings), then, in one
 * transaction holding a transaction-scoped advisory lock of the schema, create the schema when it does not exist,
 * refuse a foreign or newer one and run the migrations it lacks, so many processes booting at once migrate once. A
 * schema that exists and is migrated is only read: a role that may read and write lash's tables but not create
 * anything opens it.
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
import { describe, PostgresFailure } from "./PostgresFailure.js"
import { checkout, connectionOf } from "./Units.js"

/** SQLSTATE `insufficient_privilege`. */
const INSUFFICIENT_PRIVILEGE = "42501"

/** The port name open failures carry. @since 0.1.0 */
export const PORT = "postgres"

/**
 * A `StoreUnavailable` of the Postgres backend.
 *
 * @since 0.1.0
 */
export const unavailable = (cause: unknown) => new StoreUnavailable({ port: PORT, cause: describe(cause) })

/**
 * The `cause` of the `StoreUnavailable` an open fails with when the schema holds tables that are not lash's, was
 * written by a newer `@lash/backend-postgres`, or has to be created or migrated by a role the server does not let do
 * it (`insufficientPrivilege`: the role and the step; SQLSTATE `42501`).
 *
 * @since 0.1.0
 */
export class PostgresOpenRefused extends Data.TaggedError("PostgresOpenRefused")<{
  readonly schema: string
  readonly reason: string
  readonly insufficientPrivilege?: { readonly role: string; readonly step: "create_schema" | "migrate" }
}> {
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
 * Creates the schema when it does not exist and runs the migrations it lacks, under the schema's advisory lock, in one
 * transaction; refuses a schema that has other tables and no `lash_meta`, or whose newest migration this package does
 * not know. A migrated schema is only read (a role without `CREATE` opens it); a step the role may not take fails
 * with `PostgresOpenRefused` carrying `insufficientPrivilege`.
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
      const [state] = yield* run(
        "SELECT current_user AS role, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present",
        [schema]
      )
      const role = String(state?.role)
      /** Runs a step that needs the privilege to create; the server's refusal (`42501`) becomes an open refusal. */
      const privileged = <A>(step: "create_schema" | "migrate", effect: Effect.Effect<A, StoreUnavailable>) =>
        Effect.catchIf(
          effect,
          (error) => error.cause instanceof PostgresFailure && error.cause.code === INSUFFICIENT_PRIVILEGE,
          (error) => {
            const lacking = step === "create_schema"
              ? "the schema does not exist"
              : `the schema is not migrated to ${LATEST_MIGRATION_ID}`
            const detail = error.cause instanceof PostgresFailure ? error.cause.message : ""
            return Effect.fail(unavailable(
              new PostgresOpenRefused({
                schema,
                reason: `${lacking} and role ${role} may not ${step === "create_schema" ? "create" : "migrate"} it ` +
                  `(${detail}): open it once with a role that may`,
                insufficientPrivilege: { role, step }
              })
            ))
          }
        )
      if (state?.present !== true) yield* privileged("create_schema", run(`CREATE SCHEMA IF NOT EXISTS "${schema}"`))
      const tables = yield* run(
        "SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
        [schema]
      )
      const names = new Set(tables.map((t) => String(t.table_name)))
      if (names.size > 0 && !names.has("lash_meta")) {
        return yield* refuse("not a lash schema (tables present, no lash_meta)")
      }
      const applied = names.has(MIGRATIONS_TABLE)
        ? Number((yield* run(`SELECT MAX(migration_id) AS id FROM ${MIGRATIONS_TABLE}`))[0]?.id ?? 0)
        : 0
      if (applied > LATEST_MIGRATION_ID) {
        return yield* refuse(`written by a newer @lash/backend-postgres (migration ${applied})`)
      }
      if (applied < LATEST_MIGRATION_ID) {
        yield* privileged(
          "migrate",
          Effect.zipRight(
            run(CREATE_MIGRATIONS_TABLE),
            Effect.mapInputContext(
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
          )
        )
      }
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
