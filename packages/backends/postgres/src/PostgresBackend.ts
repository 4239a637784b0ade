/**
 * The Postgres backend (durable tier, many workers on many machines sharing one database): the storage engine of
 * `@lash/core` over the SQL driver of `@lash/backend-sql` in its Postgres dialect. This module decodes the options
 * (`Options.ts`), migrates the schema (`Open.ts`), runs units on a connection pool (`Units.ts`), hears other processes' commits
 * (`Signals.ts`) and assembles the layers.
 *
 * @since 0.1.0
 */
import { SqlDialect, SqlDriver } from "@lash/backend-sql"
import {
  type LashConfigError,
  type LashStorage,
  StorageEngine,
  type StorageSignals,
  type StoreUnavailable
} from "@lash/core"
import type { Scope } from "effect"
import { Context, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import * as Pg from "pg"
import * as Internals from "./Internals.js"
import * as Open from "./Open.js"
import * as Options from "./Options.js"
import * as Signals from "./Signals.js"
import * as Units from "./Units.js"

export { PostgresBackendInternals } from "./Internals.js"
export { PostgresOpenRefused } from "./Open.js"
export {
  type PostgresBackendOptions,
  PostgresBackendOptionsSchema,
  type PostgresConnectionOptions,
  PostgresConnectionOptionsSchema
} from "./Options.js"
export { PostgresFailure } from "./PostgresFailure.js"

/**
 * Test seams of a handle.
 *
 * @since 0.1.0
 */
export interface PostgresOpenHooks {
  /**
   * `"host"` reads lease time from Effect's `Clock` instead of the database (`lash_now_ms()`): only for suites that
   * move time with `TestClock`. Production handles always use the database clock.
   */
  readonly clock?: "database" | "host"
  /** Hides the driver's fast paths (`StorageEngine.withoutFastPaths`: the single-statement claim, the windowed path read, the one-write fenced completion): the differential tests. */
  readonly withoutFastPaths?: boolean
}

const make = (
  options: Options.PostgresBackendOptions,
  hooks: PostgresOpenHooks = {}
): Effect.Effect<
  Context.Context<LashStorage | StorageSignals | Internals.PostgresBackendInternals>,
  StoreUnavailable | LashConfigError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const resolved = yield* Options.resolve(options)
    const pool = yield* Open.makePool(resolved.pool)
    const internals = Internals.make(pool, resolved.schema)
    yield* Open.migrate(pool, resolved.schema)
    const channel = Signals.channelOf(resolved.schema)
    const handle = randomBytes(8).toString("hex")
    const dialect = SqlDialect.postgres({
      notify: resolved.notify ? { channel, handle } : undefined,
      clock: hooks.clock ?? "database"
    })
    const units = Units.make(
      { pool, poolSize: resolved.poolSize, connectTimeoutMs: resolved.connectTimeoutMs },
      dialect
    )
    const durabilityReport = units.read(
      { port: Open.PORT, operation: "durabilityReport" },
      (connection) =>
        connection.execute(
          `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
                  current_setting('server_version') AS server_version`,
          [],
          undefined
        )
    ).pipe(
      Effect.map((rows) => {
        const row = (rows[0] ?? {}) as Record<string, unknown>
        const fsync = String(row.fsync)
        const synchronousCommit = String(row.synchronous_commit)
        return {
          mechanism: "postgres",
          crashSafety: fsync === "off" ? "none" : synchronousCommit === "off" ? "process-crash" : "power-loss",
          details: {
            server_version: String(row.server_version),
            fsync,
            synchronous_commit: synchronousCommit,
            schema: resolved.schema
          }
        } as const
      }),
      Effect.catchTags({
        StoreConflict: (e) => Effect.fail(Open.unavailable(e)),
        CorruptRecord: (e) => Effect.fail(Open.unavailable(e)),
        SqlError: (e) => Effect.fail(Open.unavailable(e))
      })
    )
    const driver = SqlDriver.make({
      name: "postgres",
      tier: "durable",
      dialect,
      units,
      durabilityReport,
      changes: Signals.changes({
        listen: resolved.notify ? { config: resolved.pool, channel, handle } : undefined,
        pollIntervalMs: resolved.pollIntervalMs
      })
    })
    const storage = yield* StorageEngine.make(
      hooks.withoutFastPaths === true ? StorageEngine.withoutFastPaths(driver) : driver
    )
    return Context.add(storage, Internals.PostgresBackendInternals, internals)
  })

const storageOnly = Effect.map(
  (ctx: Context.Context<LashStorage | StorageSignals | Internals.PostgresBackendInternals>) =>
    Context.omit(Internals.PostgresBackendInternals)(ctx) as Context.Context<LashStorage | StorageSignals>
)

/** The database tests use: `LASH_PG_URL`, else the local test server. */
const testUrl = (): string => process.env.LASH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/**
 * A new schema for a test (`lash_t_<seconds>_<pid>_<hex>`), dropped with the scope (after the handles on it closed:
 * release the scope that built them first).
 */
const testSchema = (url: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => `lash_t_${Math.floor(Date.now() / 1000)}_${process.pid}_${randomBytes(4).toString("hex")}`),
    (schema) => dropSchema(url, schema)
  )

/** Drops a schema from a short-lived connection; best effort (a left-over schema only costs space). */
const dropSchema = (url: string, schema: string): Effect.Effect<void> =>
  Effect.promise(async () => {
    const client = new Pg.Client({ connectionString: url, application_name: "lash-test-cleanup" })
    client.on("error", () => undefined)
    try {
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    } catch {
      // best effort
    } finally {
      await client.end().catch(() => undefined)
    }
  })

/**
 * The Postgres backend.
 *
 * @since 0.1.0
 */
export const PostgresBackend = {
  /**
   * Every storage port plus `StorageSignals`, over one schema of a Postgres database (created and migrated on open).
   * A bad option fails the build with `LashConfigError` naming it; an open that cannot reach the server, or meets a
   * foreign or newer schema, fails with `StoreUnavailable`.
   */
  layer: (
    options: Options.PostgresBackendOptions
  ): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable | LashConfigError> =>
    Layer.scopedContext(storageOnly(make(options))),
  /** Like `layer`, plus `PostgresBackendInternals` for tests. */
  layerWithInternals: (
    options: Options.PostgresBackendOptions,
    hooks: PostgresOpenHooks = {}
  ): Layer.Layer<
    LashStorage | StorageSignals | Internals.PostgresBackendInternals,
    StoreUnavailable | LashConfigError
  > => Layer.scopedContext(make(options, hooks)),
  /** Factories for tests, on `LASH_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`). */
  testing: {
    /** The database URL tests use. */
    url: testUrl,
    /** A new schema name, its schema dropped when the scope closes. */
    schema: (): Effect.Effect<string, never, Scope.Scope> => testSchema(testUrl()),
    /** A backend over a new schema, dropped when the layer is released. */
    make: (
      options: Omit<Options.PostgresBackendOptions, "url" | "schema"> = {}
    ): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable | LashConfigError> =>
      Layer.scopedContext(
        Effect.flatMap(testSchema(testUrl()), (schema) =>
          storageOnly(make({ poolSize: 4, pollIntervalMs: 100, ...options, url: testUrl(), schema })))
      ),
    /**
     * A new schema (dropped with the scope) and a layer factory over it: every `open()` build is a new pool on the
     * same schema, so closing one and opening the next simulates a restart, and two open at once are two machines.
     */
    reopenable: (
      options: Omit<Options.PostgresBackendOptions, "url" | "schema"> = {},
      hooks: PostgresOpenHooks = {}
    ): Effect.Effect<
      {
        readonly schema: string
        readonly open: () => Layer.Layer<
          LashStorage | StorageSignals | Internals.PostgresBackendInternals,
          StoreUnavailable | LashConfigError
        >
      },
      never,
      Scope.Scope
    > =>
      Effect.map(testSchema(testUrl()), (schema) => ({
        schema,
        open: () =>
          Layer.scopedContext(make({ poolSize: 4, pollIntervalMs: 100, ...options, url: testUrl(), schema }, hooks))
      }))
  }
}
