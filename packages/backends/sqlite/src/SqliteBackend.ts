/**
 * The SQLite backend (durable tier): the storage engine of `@lash/core` over the SQL driver of `@lash/backend-sql`
 * in its SQLite dialect, on one WAL file. This module opens the file (`Open.ts`, `Pragmas.ts`), runs units with
 * `BEGIN IMMEDIATE` on the client's connection (`Transaction.ts`), watches other processes' commits
 * (`SignalPoller.ts`) and assembles the layers.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { SqlDialect, SqlDriver } from "@lash/backend-sql"
import {
  ConfigOptions,
  type LashConfigError,
  type LashStorage,
  type StorageDriver,
  StorageEngine,
  type StorageSignals,
  type StoreUnavailable
} from "@lash/core"
import type { Scope } from "effect"
import { Context, Effect, Layer, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Internals from "./Internals.js"
import * as Open from "./Open.js"
import * as Pragmas from "./Pragmas.js"
import * as SignalPoller from "./SignalPoller.js"
import { acquireFileLock, makeTransactions, type RetryPolicy, sqlUnits, type WriteBegin } from "./Transaction.js"

export { SqliteBackendInternals, type SqliteOpenedAs, type SqliteTable } from "./Internals.js"
export { SqliteOpenRefused } from "./Open.js"
export { SqlitePragmaMismatch } from "./Pragmas.js"
export type { RetryPolicy, WriteBegin } from "./Transaction.js"

/**
 * Options of {@link SqliteBackend.layer}.
 *
 * @since 0.1.0
 */
export interface SqliteBackendOptions {
  /** The database file; its directory is created. `":memory:"` and `""` are refused (use the memory backend). */
  readonly filename: string
  /**
   * `"full"` (default) survives power loss; `"normal"` survives a process crash. Read back on every open. Anything
   * else (`"off"` included: it can lose committed turns) fails the layer with `LashConfigError`.
   */
  readonly synchronous?: "full" | "normal"
  /** `PRAGMA busy_timeout` in ms, an integer from 0 to 2,147,483,647 (default 10 000). Keep it below the worker's `leaseTtl - renewEvery`. */
  readonly busyTimeoutMs?: number
  /**
   * Run `PRAGMA quick_check` when the file is opened (default false): a damaged file then fails the open with
   * `StoreUnavailable` (cause `SqliteOpenRefused`) instead of serving what it can read. It reads the whole file:
   * seconds on a large database.
   */
  readonly quickCheck?: boolean
}

/**
 * The Schema of {@link SqliteBackendOptions}: the layer decodes its options with it, so a bad option fails the build
 * with `LashConfigError` naming it (`filename: undefined`, `synchronous: "off"`, `busyTimeoutMs: NaN`).
 *
 * @since 0.1.0
 */
export const SqliteBackendOptionsSchema = Schema.Struct({
  filename: Schema.String,
  synchronous: Schema.optionalWith(Schema.Literal("full", "normal"), { exact: true }),
  busyTimeoutMs: Schema.optionalWith(ConfigOptions.IntBetween(0, ConfigOptions.MAX_TIMER_MILLIS), { exact: true }),
  quickCheck: Schema.optionalWith(Schema.Boolean, { exact: true })
})

const decodeOptions = (options: unknown): Effect.Effect<SqliteBackendOptions, LashConfigError> =>
  typeof options !== "object" || options === null
    ? Effect.fail(ConfigOptions.invalidOption("options", options, "must be an object with a filename"))
    : ConfigOptions.decodeOptions(SqliteBackendOptionsSchema, "", options)

/**
 * Test seams of the open sequence.
 *
 * @since 0.1.0
 */
export interface SqliteOpenHooks {
  /** Runs after the pragmas are set and before they are read back (e.g. to force `synchronous = OFF`). */
  readonly afterPragmas?: (sql: SqlClient.SqlClient) => Effect.Effect<void, SqlError>
  /** Hides the driver's fast paths (`StorageEngine.withoutFastPaths`: the single-statement claim, the windowed path read, the one-write fenced completion): the differential tests. */
  readonly withoutFastPaths?: boolean
  /** How write units begin (default `BEGIN IMMEDIATE`; `BEGIN` is the kit's SQL-level mutant). */
  readonly beginWrite?: WriteBegin
  /** The retry budget of a write unit that stays busy past the busy timeout (default: 6 attempts). */
  readonly retry?: RetryPolicy
  /** Reports this `synchronous` level instead of the one read back (the kit's durability-report mutant). */
  readonly reportSynchronousAs?: "full" | "normal"
  /** Wraps the SQL driver before the storage engine is built over it (driver-level mutants). */
  readonly wrapDriver?: (driver: StorageDriver) => StorageDriver
}

const make = (
  given: SqliteBackendOptions,
  hooks: SqliteOpenHooks = {}
): Effect.Effect<
  Context.Context<LashStorage | StorageSignals | Internals.SqliteBackendInternals>,
  StoreUnavailable | LashConfigError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const options = yield* decodeOptions(given)
    const { client, resolved } = yield* Open.openFile(
      options.filename,
      {
        synchronous: options.synchronous ?? "full",
        busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
        quickCheck: options.quickCheck ?? false
      },
      hooks.afterPragmas
    )
    const transactions = makeTransactions(client, yield* acquireFileLock(resolved), hooks.retry, hooks.beginWrite)
    yield* Open.migrate(client, transactions, resolved)
    const readValue = (operation: string, statement: string) =>
      transactions.read(Open.PORT, operation, client.unsafe<Record<string, unknown>>(statement))
    const report = transactions.read(Open.PORT, "durabilityReport", Pragmas.durabilityReport(client, resolved))
      .pipe(Effect.catchTag("StoreConflict", (e) => Effect.fail(Open.unavailable(e))))
    const claimed = hooks.reportSynchronousAs
    const sqlDriver = SqlDriver.make({
      name: "sqlite",
      tier: "durable",
      dialect: SqlDialect.sqlite,
      units: sqlUnits(transactions),
      durabilityReport: claimed === undefined ? report : Effect.map(report, (r) => Pragmas.claiming(r, claimed)),
      changes: SignalPoller.changes(
        Effect.map(readValue("poll", "PRAGMA data_version"), (rows) => Number(Object.values(rows[0] ?? {})[0]))
      )
    })
    const driver = hooks.wrapDriver === undefined ? sqlDriver : hooks.wrapDriver(sqlDriver)
    const storage = yield* StorageEngine.make(
      hooks.withoutFastPaths === true ? StorageEngine.withoutFastPaths(driver) : driver
    )
    return Context.add(
      storage,
      Internals.SqliteBackendInternals,
      Internals.make(client, transactions, { filename: resolved, options, hooks })
    )
  })

/** `make` over options known to be valid (the testing factories'): a config error there is a bug, a defect. */
const makeChecked = (options: SqliteBackendOptions) =>
  Effect.catchTag(make(options), "LashConfigError", (e) => Effect.die(e))

/** A fresh temp directory for `testing`, removed with the scope. */
const tempDatabase = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-sqlite-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const storageOnly = Effect.map(
  (ctx: Context.Context<LashStorage | StorageSignals | Internals.SqliteBackendInternals>) =>
    Context.omit(Internals.SqliteBackendInternals)(ctx) as Context.Context<LashStorage | StorageSignals>
)

/**
 * The SQLite backend.
 *
 * @since 0.1.0
 */
export const SqliteBackend = {
  /**
   * Every storage port plus `StorageSignals`, over one SQLite file (WAL, `synchronous` FULL by default, read back).
   * An open that cannot give the asked-for durability, or meets a foreign / newer file, fails with `StoreUnavailable`;
   * a bad option fails with `LashConfigError` naming it.
   */
  layer: (
    options: SqliteBackendOptions
  ): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable | LashConfigError> =>
    Layer.scopedContext(storageOnly(make(options))),
  /** Like `layer`, plus `SqliteBackendInternals` for tests that inject corrupt rows. */
  layerWithInternals: (
    options: SqliteBackendOptions,
    hooks: SqliteOpenHooks = {}
  ): Layer.Layer<LashStorage | StorageSignals | Internals.SqliteBackendInternals, StoreUnavailable | LashConfigError> =>
    Layer.scopedContext(make(options, hooks)),
  /** Factories for tests: a fresh file per build, and handles that reopen one file. */
  testing: {
    /** A backend over a new file in a new temp directory, deleted when the layer is released. */
    make: (): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable> =>
      Layer.scopedContext(
        Effect.flatMap(tempDatabase, (dir) =>
          storageOnly(makeChecked({ filename: path.join(dir, "lash.db"), busyTimeoutMs: 500 })))
      ),
    /**
     * A temp file (deleted with the scope) and a layer factory over it: every `open()` build is a new handle on the
     * same file, so closing one and opening the next simulates a restart.
     */
    reopenable: (): Effect.Effect<
      {
        readonly filename: string
        readonly open: () => Layer.Layer<
          LashStorage | StorageSignals | Internals.SqliteBackendInternals,
          StoreUnavailable
        >
      },
      never,
      Scope.Scope
    > =>
      Effect.map(tempDatabase, (dir) => {
        const filename = path.join(dir, "lash.db")
        return { filename, open: () => Layer.scopedContext(makeChecked({ filename, busyTimeoutMs: 500 })) }
      })
  }
}
