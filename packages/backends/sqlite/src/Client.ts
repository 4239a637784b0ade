/**
 * The SQL client of a lash SQLite file: the stock `@effect/sql` client (statements, `Migrator`, `withTransaction`)
 * over a better-sqlite3 handle this backend opens itself, in place of `@effect/sql-sqlite-node`'s `SqliteClient.make`.
 * Same native driver (the better-sqlite3 copy `@effect/sql-sqlite-node` depends on, resolved as
 * `NativeModule.ts` does), same SQLite compiler, same `SqlError`s; two differences, both for the cost of a turn commit
 * (docs/performance.md, B1):
 *
 * - prepared statements are cached in a plain `Map` by their text: sqlite-node's `Cache` hashed the whole text, read
 *   the clock and allocated per statement, about half of a 12 µs statement;
 * - the connection also runs a statement synchronously (`SyncConnection.run` of `@lash/backend-sql`), which the unit runner
 *   (`Transaction.ts`) uses for `BEGIN`/`COMMIT` and the SQL driver's statements: better-sqlite3 is synchronous, so
 *   an Effect per statement only added work.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import type { SyncConnection } from "@lash/backend-sql"
import { Context, Effect, Scope } from "effect"
import { createRequire } from "node:module"
import { NATIVE_PACKAGE } from "./NativeModule.js"

/** The part of a better-sqlite3 prepared statement this client uses. */
interface NativeStatement {
  readonly reader: boolean
  all(...params: ReadonlyArray<unknown>): Array<unknown>
  run(...params: ReadonlyArray<unknown>): unknown
  raw(on: boolean): NativeStatement
  safeIntegers(on: boolean): NativeStatement
}

/** The part of a better-sqlite3 database this client uses. */
interface NativeDatabase {
  prepare(sql: string): NativeStatement
  pragma(source: string): unknown
  close(): void
}

type NativeDatabaseClass = new(filename: string, options: { readonly readonly: boolean }) => NativeDatabase

/** Prepared statements kept per connection; past it the cache starts over (the driver's texts are a fixed set). */
const PREPARE_CACHE_SIZE = 500

const failed = (cause: unknown, message: string) => new SqlError({ cause, message })

const loadDatabaseClass = (): NativeDatabaseClass => {
  const fromBackend = createRequire(import.meta.url)
  return createRequire(fromBackend.resolve("@effect/sql-sqlite-node"))(NATIVE_PACKAGE) as NativeDatabaseClass
}

const makeConnection = (db: NativeDatabase): SyncConnection => {
  const prepared = new Map<string, NativeStatement>()
  const prepare = (sql: string): NativeStatement => {
    let statement = prepared.get(sql)
    if (statement === undefined) {
      try {
        statement = db.prepare(sql)
      } catch (cause) {
        throw failed(cause, "Failed to prepare statement ")
      }
      if (prepared.size >= PREPARE_CACHE_SIZE) prepared.clear()
      prepared.set(sql, statement)
    }
    return statement
  }
  const execute = (statement: NativeStatement, params: ReadonlyArray<unknown>, safeIntegers: boolean) => {
    if (safeIntegers) statement.safeIntegers(true)
    try {
      return statement.reader
        ? statement.all(...params) as Array<Record<string, unknown>>
        : (statement.run(...params), [])
    } catch (cause) {
      throw failed(cause, "Failed to execute statement")
    } finally {
      if (safeIntegers) statement.safeIntegers(false)
    }
  }
  // A stock statement honours `SqlClient.SafeIntegers` of the fiber, as sqlite-node does.
  const stock = (statementOf: () => NativeStatement, params: ReadonlyArray<unknown>) =>
    Effect.withFiberRuntime<ReadonlyArray<Record<string, unknown>>, SqlError>((fiber) => {
      try {
        const safe = Context.get(fiber.currentContext, SqlClient.SafeIntegers)
        return Effect.succeed(execute(statementOf(), params, safe))
      } catch (error) {
        return Effect.fail(error as SqlError)
      }
    })
  const withRows = (
    effect: Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError>,
    transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  ) => (transformRows === undefined ? effect : Effect.map(effect, transformRows))
  return {
    run: (sql, params) => execute(prepare(sql), params, false),
    execute: (sql, params, transformRows) => withRows(stock(() => prepare(sql), params), transformRows),
    executeRaw: (sql, params) =>
      Effect.try({
        try: () => {
          const statement = prepare(sql)
          return statement.reader ? statement.all(...params) : statement.run(...params)
        },
        catch: (cause) => (cause instanceof SqlError ? cause : failed(cause, "Failed to execute statement"))
      }),
    executeValues: (sql, params) =>
      Effect.try({
        try: () => {
          const statement = prepare(sql)
          if (!statement.reader) return (statement.run(...params), [])
          statement.raw(true)
          try {
            return statement.all(...params) as Array<ReadonlyArray<unknown>>
          } finally {
            statement.raw(false)
          }
        },
        catch: (cause) => (cause instanceof SqlError ? cause : failed(cause, "Failed to execute statement"))
      }),
    executeUnprepared: (sql, params, transformRows) =>
      withRows(
        stock(() => {
          try {
            return db.prepare(sql)
          } catch (cause) {
            throw failed(cause, "Failed to prepare statement ")
          }
        }, params ?? []),
        transformRows
      ),
    executeStream: () => Effect.dieMessage("executeStream not implemented") as never
  }
}

/**
 * Opens the file (WAL, as sqlite-node does) and builds the client over its one connection; the handle closes with the
 * scope. A unit of `Transaction.ts` reserves that connection once; `withTransaction` takes the same one.
 *
 * @since 0.1.0
 */
export const make = (filename: string): Effect.Effect<SqlClient.SqlClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    // As in sqlite-node, a constructor or pragma that throws is a defect (`Open.ts` turns it into the open's failure).
    const db = yield* Effect.acquireRelease(
      Effect.sync(() => new (loadDatabaseClass())(filename, { readonly: false })),
      (opened) => Effect.sync(() => opened.close())
    )
    yield* Effect.sync(() => db.pragma("journal_mode = WAL"))
    const connection = makeConnection(db)
    const semaphore = yield* Effect.makeSemaphore(1)
    const acquirer = semaphore.withPermits(1)(Effect.succeed<Connection>(connection))
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(semaphore.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
        ),
        connection as Connection
      )
    )
    return yield* SqlClient.make({
      acquirer,
      compiler: Statement.makeCompilerSqlite(),
      transactionAcquirer,
      spanAttributes: [["db.system.name", "sqlite"]]
    }).pipe(Effect.provide(Reactivity.layer))
  })
