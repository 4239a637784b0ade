/**
 * How the SQL driver runs a statement: the text compiled for the dialect once (when the driver is built), executed
 * straight on the unit's connection with bound parameters, and a statement error turned into the storage error of
 * the unit it ran in (`StoreConflict` for contention a retry resolves, `StoreUnavailable` for the rest).
 *
 * Why not the stock `sql` template: per statement it compiles a `Statement`, opens a tracing span and looks the
 * connection up through the client; on the commit path that was most of lash's own cost (docs/performance.md, B1).
 * This keeps the client's connection and prepared-statement cache and drops only that layer.
 *
 * @since 0.1.0
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { StoreConflict, type StoreError, StoreUnavailable, type UnitName } from "@lash/core"
import { Effect, Effectable, Exit } from "effect"
import type { SqlDialect } from "./Dialect.js"

/** What a statement may bind. @since 0.1.0 */
export type SqlParam = string | number | bigint | null | Uint8Array

/** A stored row as the client returns it (column name → value). @since 0.1.0 */
export type SqlRow = Readonly<Record<string, unknown>>

/** Runs statements of one unit. @since 0.1.0 */
export interface Runner {
  /** The rows of one compiled statement. */
  readonly rows: (text: string, params: ReadonlyArray<SqlParam>) => Effect.Effect<ReadonlyArray<SqlRow>, StoreError>
  /** Every row, read with `read`. */
  readonly all: <A>(
    text: string,
    params: ReadonlyArray<SqlParam>,
    read: (row: SqlRow) => A
  ) => Effect.Effect<Array<A>, StoreError>
  /** The first row, read with `read`, if any. */
  readonly first: <A>(
    text: string,
    params: ReadonlyArray<SqlParam>,
    read: (row: SqlRow) => A
  ) => Effect.Effect<A | undefined, StoreError>
  /** How many rows the statement answered (a multi-row `RETURNING` insert: how many rows it inserted). */
  readonly count: (text: string, params: ReadonlyArray<SqlParam>) => Effect.Effect<number, StoreError>
  /** True when the statement answered a row (a `RETURNING` insert or update that matched). */
  readonly matched: (text: string, params: ReadonlyArray<SqlParam>) => Effect.Effect<boolean, StoreError>
  /** Runs the statement for its effect. */
  readonly exec: (text: string, params: ReadonlyArray<SqlParam>) => Effect.Effect<void, StoreError>
  /** On a synchronous connection: runs one of this runner's statements now (`ReadTransaction.immediate`). */
  readonly immediate?: <A, E>(effect: Effect.Effect<A, E, unknown>) => Exit.Exit<A, E> | undefined
}

/**
 * A connection that also runs one statement synchronously (SQLite's, `@lash/backend-sqlite`'s `Client.ts`): the runner
 * then runs each statement in one step instead of through the connection's `execute` Effect.
 *
 * @since 0.1.0
 */
export interface SyncConnection extends Connection {
  /** Runs one statement now: the rows of a reader, `[]` otherwise. Throws the statement's `SqlError`. */
  readonly run: (sql: string, params: ReadonlyArray<unknown>) => ReadonlyArray<SqlRow>
}

/**
 * True when the connection runs statements synchronously.
 *
 * @since 0.1.0
 */
export const isSyncConnection = (connection: Connection): connection is SyncConnection =>
  typeof (connection as Partial<SyncConnection>).run === "function"

/** The unit a connection is serving (set at the start of each unit). @since 0.1.0 */
export interface CurrentUnit {
  unit: UnitName
}

/**
 * A runner over a connection.
 *
 * @since 0.1.0
 */
export const makeRunner = (connection: Connection, dialect: SqlDialect, current: CurrentUnit): Runner => {
  const toStoreError = (error: SqlError): StoreError => {
    const kind = dialect.classify(error)
    return kind._tag === "Conflict"
      ? new StoreConflict({ port: current.unit.port, operation: current.unit.operation, code: kind.code, attempts: 1 })
      : new StoreUnavailable({ port: current.unit.port, cause: error })
  }
  if (isSyncConnection(connection)) {
    const sync = connection
    /**
     * One statement on the synchronous connection: run as an effect, one step (run it, read the answer, or fail with
     * the storage error); or run in place by the engine (`immediate`, storage/Steps.ts of @lash/core).
     */
    class Statement<A> extends Effectable.Class<A, StoreError> {
      constructor(
        readonly text: string,
        readonly params: ReadonlyArray<SqlParam>,
        readonly read: (found: ReadonlyArray<SqlRow>) => A
      ) {
        super()
      }
      run(): Exit.Exit<A, StoreError> {
        try {
          return Exit.succeed(this.read(sync.run(this.text, this.params)))
        } catch (error) {
          return error instanceof SqlError ? Exit.fail(toStoreError(error)) : Exit.die(error)
        }
      }
      commit(): Effect.Effect<A, StoreError> {
        return this.run()
      }
    }
    const step = <A>(text: string, params: ReadonlyArray<SqlParam>, read: (found: ReadonlyArray<SqlRow>) => A) =>
      new Statement(text, params, read)
    return {
      rows: (text, params) => step(text, params, (found) => found),
      all: (text, params, read) => step(text, params, (found) => found.map(read)),
      first: (text, params, read) =>
        step(text, params, (found) => (found[0] === undefined ? undefined : read(found[0]))),
      count: (text, params) => step(text, params, (found) => found.length),
      matched: (text, params) => step(text, params, (found) => found.length > 0),
      exec: (text, params) => step(text, params, () => undefined),
      // A `Statement` of this runner is an effect of its own A and E.
      immediate: <A, E>(effect: Effect.Effect<A, E, unknown>) =>
        effect instanceof Statement ? effect.run() as Exit.Exit<A, E> : undefined
    }
  }
  const rows: Runner["rows"] = (text, params) =>
    Effect.mapError(
      connection.execute(text, params, undefined) as Effect.Effect<ReadonlyArray<SqlRow>, SqlError>,
      toStoreError
    )
  return {
    rows,
    all: (text, params, read) => Effect.map(rows(text, params), (found) => found.map(read)),
    first: (text, params, read) =>
      Effect.map(rows(text, params), (found) => (found[0] === undefined ? undefined : read(found[0]))),
    count: (text, params) => Effect.map(rows(text, params), (found) => found.length),
    matched: (text, params) => Effect.map(rows(text, params), (found) => found.length > 0),
    exec: (text, params) => Effect.asVoid(rows(text, params))
  }
}

/**
 * An integer column (SQLite numbers, Postgres `bigint` strings).
 *
 * @since 0.1.0
 */
export const int = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value))

/**
 * A flag column stored as 0/1 (or a Postgres boolean).
 *
 * @since 0.1.0
 */
export const flag = (value: unknown): boolean => value === true || value === 1 || value === "1" || value === 1n

/**
 * A nullable text column.
 *
 * @since 0.1.0
 */
export const textOrNull = (
  value: unknown
): string | null => (value === null || value === undefined ? null : String(value))

/**
 * The bound value of a flag.
 *
 * @since 0.1.0
 */
export const bit = (value: boolean): number => (value ? 1 : 0)
