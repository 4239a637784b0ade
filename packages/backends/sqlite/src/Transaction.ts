/**
 * The SQLite transaction helper: `BEGIN IMMEDIATE` write units and snapshot read units on the client's one connection
 * (`Client.ts`; `BEGIN`, `COMMIT` and `ROLLBACK` are synchronous calls there), and the SQL driver's unit runner over
 * them (its bodies get the connection as an argument, nothing added to their context).
 *
 * - `write` runs a read-then-write unit under `BEGIN IMMEDIATE` (the write lock is taken at `BEGIN`, where SQLite
 *   applies the busy timeout). A failure rolls back; a failed `COMMIT` is followed by `ROLLBACK` so the connection
 *   never stays inside a dead transaction. `SQLITE_BUSY*` / `SQLITE_LOCKED*` re-run the whole unit with a bounded,
 *   jittered backoff; only when that budget is spent does the caller see a (retryable) `StoreConflict`.
 * - `read` runs a multi-statement read in one deferred transaction (one WAL snapshot).
 * - Every unit of every handle on the same file in this OS process is serialised by one per-file `Semaphore(1)`:
 *   better-sqlite3 is synchronous, so a second handle of the same process waiting in `BEGIN IMMEDIATE` would block the
 *   event loop and with it the lock holder. Across OS processes `BEGIN IMMEDIATE` + `busy_timeout` serialise writers.
 * - `SqlError` failures, and `SqlError` defects (a stock statement's `orDie`), are mapped to `StoreConflict`
 *   (busy/locked) or `StoreUnavailable` (everything else). No other defect is swallowed.
 *
 * Units are hand-written over the driver's `Connection` rather than `SqlClient.makeWithTransaction`: that one adds a
 * tracing span, a Scope and a statement compile to every unit, which measured as most of lash's own cost of a turn
 * commit (docs/performance.md, B1).
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { isSyncConnection, SqlDialect, type SqlDriver, type SyncConnection } from "@lash/backend-sql"
import { StoreConflict, StoreUnavailable } from "@lash/core"
import type { Scope } from "effect"
import { Cause, Context, Effect, Exit, Option, Predicate, Random } from "effect"

/**
 * Maps `SqlError` failures and `SqlError` defects of `self` to the storage tags.
 *
 * @since 0.1.0
 */
export const mapSqlErrors = (port: string, operation: string) =>
<A, E, R>(
  self: Effect.Effect<A, E | SqlError, R>
): Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R> =>
  self.pipe(
    Effect.catchAllDefect((
      defect
    ) => (Predicate.isTagged(defect, "SqlError") ? Effect.fail(defect as SqlError) : Effect.die(defect))),
    Effect.catchIf(
      (e): e is SqlError => e instanceof SqlError || Predicate.isTagged(e, "SqlError"),
      (e) => {
        const kind = SqlDialect.sqlite.classify(e)
        return Effect.fail(
          kind._tag === "Conflict"
            ? new StoreConflict({ port, operation, code: kind.code, attempts: 1 })
            : new StoreUnavailable({ port, cause: e })
        )
      }
    )
  ) as Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>

/**
 * The in-process lock of one database file: every unit of every handle of the file in this OS process holds it.
 * Taken in one synchronous step when free (`tryTake`, what nearly every unit does), else waited for (`take`,
 * interruptible while waiting); `release` wakes the waiters, which race to take it again. An Effect `Semaphore` did the
 * same in several steps per unit (a mask, an `ensuring`, a permit count), measured as a fifth of an empty write unit.
 *
 * @since 0.1.0
 */
export class FileLock {
  private held = false
  private readonly waiters = new Set<() => void>()
  /** Takes the lock if it is free; true when this call took it. */
  readonly tryTake = (): boolean => {
    if (this.held) return false
    this.held = true
    return true
  }
  /** Waits until the lock is free and takes it. */
  readonly take: Effect.Effect<void> = Effect.suspend(() =>
    this.tryTake() ? Effect.void : Effect.async<void>((resume) => {
      const waiter = () => {
        this.waiters.delete(waiter)
        resume(this.take)
      }
      this.waiters.add(waiter)
      return Effect.sync(() => void this.waiters.delete(waiter))
    })
  )
  /** Releases the lock (held by the caller) and wakes every waiter. */
  readonly release = (): void => {
    this.held = false
    if (this.waiters.size > 0) { for (const waiter of [...this.waiters]) waiter() }
  }
}

/** The process-wide locks, one per resolved database path, shared by every handle of that file in this process. */
const fileLocks = new Map<string, { readonly lock: FileLock; refs: number }>()

/**
 * Acquires (in the current scope) the in-process lock of a database file; released with the scope.
 *
 * @since 0.1.0
 */
export const acquireFileLock = (resolvedPath: string): Effect.Effect<FileLock, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const existing = fileLocks.get(resolvedPath)
      if (existing !== undefined) {
        existing.refs++
        return existing.lock
      }
      const lock = new FileLock()
      fileLocks.set(resolvedPath, { lock, refs: 1 })
      return lock
    }),
    () =>
      Effect.sync(() => {
        const entry = fileLocks.get(resolvedPath)
        if (entry !== undefined && --entry.refs === 0) fileLocks.delete(resolvedPath)
      })
  )

/** Retry budget of a write unit that keeps meeting `SQLITE_BUSY` after the busy timeout. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number
  /** Base of the exponential backoff between attempts. */
  readonly baseDelayMs: number
  /** Cap of one backoff step. */
  readonly maxDelayMs: number
}

/**
 * The default retry policy: 6 attempts, 20 ms doubling to a 500 ms cap, jittered.
 *
 * @since 0.1.0
 */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 500 }

/**
 * How a write unit begins. Only `BEGIN IMMEDIATE` is correct: it takes the write lock at `BEGIN`, where the busy
 * timeout applies. A plain (deferred) `BEGIN` takes it at the first write, on a snapshot another process may have
 * committed past, and fails `SQLITE_BUSY_SNAPSHOT` without waiting; it exists as a test seam (the kit's SQL-level
 * mutant, packages/backends/sqlite/test/mutants.test.ts).
 *
 * @since 0.1.0
 */
export type WriteBegin = "BEGIN IMMEDIATE" | "BEGIN"

/**
 * The connection of the running unit.
 *
 * @since 0.1.0
 */
export class UnitConnection extends Context.Tag("@lash/backend-sqlite/UnitConnection")<UnitConnection, Connection>() {}

/**
 * The write and read helpers of one SQLite handle.
 *
 * @since 0.1.0
 */
export interface Transactions {
  /** One read-then-write unit under `BEGIN IMMEDIATE`; typed failures roll the whole unit back. */
  readonly write: <A, E, R>(
    port: string,
    operation: string,
    body: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, Exclude<R, UnitConnection>>
  /** One multi-statement read in one deferred transaction (one snapshot). */
  readonly read: <A, E, R>(
    port: string,
    operation: string,
    body: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, Exclude<R, UnitConnection>>
  /** `write` whose body gets the unit's connection as its argument and nothing in context (the SQL driver's units). */
  readonly writeOn: <A, E, R>(
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
  /** `read` whose body gets the unit's connection as its argument and nothing in context. */
  readonly readOn: <A, E, R>(
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
}

const isNoTransaction = (e: SqlError): boolean =>
  e.cause instanceof Error && /no transaction is active/i.test(e.cause.message)

/**
 * Runs one of a unit's own statements now (inside an `Effect.suspend`): the `SqlError` it failed with, if any; any
 * other throw stays a throw, which the enclosing `suspend` turns into a defect.
 */
const runSync = (conn: SyncConnection, sql: string): SqlError | undefined => {
  try {
    conn.run(sql, [])
    return undefined
  } catch (error) {
    if (error instanceof SqlError) return error
    throw error
  }
}

/**
 * Builds the helpers over a client and the file's in-process lock.
 *
 * A unit takes the file's in-process lock, runs `BEGIN IMMEDIATE` (writes) or `BEGIN` (reads) on the client's one
 * connection, the body with that connection in context, then `COMMIT`, or
 * `ROLLBACK` on any failure, defect or interruption. A failed `COMMIT` is followed by `ROLLBACK` so the connection
 * never stays inside a dead transaction; a `ROLLBACK` that finds no transaction (a `BEGIN IMMEDIATE` that failed busy)
 * is not an error. The body also sees the stock `TransactionConnection`, so stock `@effect/sql` statements and a
 * stock `withTransaction` inside a unit (the Migrator's) run on the unit's connection, the latter as a savepoint.
 *
 * Hand-written instead of `SqlClient.makeWithTransaction` because that one opens a span, captures the clock and
 * re-prepares `BEGIN`/`COMMIT` on every unit; measured, it was ~0.05 ms per unit before any statement ran.
 *
 * @since 0.1.0
 */
export const makeTransactions = (
  client: SqlClient.SqlClient,
  fileLock: FileLock,
  retry: RetryPolicy = defaultRetryPolicy,
  beginWrite: WriteBegin = "BEGIN IMMEDIATE"
): Transactions => {
  // The connection object outlives the reservation: sqlite-node hands out its one connection, and the permit only
  // guards fetching it. Every unit, read or write, serialises on the file's in-process lock instead of reserving per
  // unit (a Scope per unit cost more than the statements of most units). One lock for both is also what keeps a
  // read's BEGIN out of a write's transaction on the shared connection; the price is that two handles on one file
  // in one process do not read concurrently, which only tests do.
  let conn: Connection | undefined
  const connection = Effect.suspend(() =>
    conn !== undefined
      ? Effect.succeed(conn)
      : Effect.tap(Effect.scoped(client.reserve), (c) => Effect.sync(() => (conn = c)))
  )
  const nestedUnit = () => Effect.dieMessage("a storage unit must not run inside another transaction")
  const nestedCheck = Effect.flatMap(
    Effect.serviceOption(SqlClient.TransactionConnection),
    (outer) => Option.isSome(outer) ? nestedUnit() : Effect.void
  )

  // On this backend's connection (`Client.ts`) `BEGIN`, `COMMIT` and `ROLLBACK` are synchronous calls: the whole unit
  // is one masked step that checks it is not nested, takes the file's lock (waiting, interruptibly, only when another
  // unit holds it) and begins, the body, and the body's continuation, which ends the transaction and releases the
  // lock as it is called (a handler of `matchCauseEffect` always runs inside the mask). A failure is mapped to the
  // storage tags there, so the success path has no error handler to pass (was ~40% of an empty write unit).
  const syncOnce = <A, E, R>(
    conn: SyncConnection,
    begin: string,
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R> => {
    const failWith = (cause: Cause.Cause<E | SqlError>) => mapSqlErrors(port, operation)(Effect.failCause(cause))
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        if (Context.getOption(fiber.currentContext, SqlClient.TransactionConnection)._tag === "Some") {
          return nestedUnit()
        }
        const run = () => {
          let failedBegin: SqlError | undefined
          try {
            failedBegin = runSync(conn, begin)
          } finally {
            if (failedBegin !== undefined) fileLock.release()
          }
          if (failedBegin !== undefined) return failWith(Cause.fail(failedBegin))
          return Effect.matchCauseEffect(restore(body(conn)), {
            onFailure: (cause) => {
              let failedRollback: SqlError | undefined
              try {
                failedRollback = runSync(conn, "ROLLBACK")
              } finally {
                fileLock.release()
              }
              // A ROLLBACK that finds no transaction (a failed COMMIT already ended it) is not an error.
              return failWith(
                failedRollback === undefined || isNoTransaction(failedRollback) ? cause : Cause.fail(failedRollback)
              )
            },
            onSuccess: (value) => {
              let failedCommit: SqlError | undefined
              try {
                failedCommit = runSync(conn, "COMMIT")
                // The connection never stays inside a dead transaction; this ROLLBACK's own failure is not the news.
                if (failedCommit !== undefined) runSync(conn, "ROLLBACK")
              } finally {
                fileLock.release()
              }
              return failedCommit === undefined ? Effect.succeed(value) : failWith(Cause.fail(failedCommit))
            }
          })
        }
        return fileLock.tryTake() ? run() : Effect.flatMap(restore(fileLock.take), run)
      })
    )
  }

  // On a stock connection (B0b's), each of them is the connection's `execute`.
  const statement = (conn: Connection, sql: string): Effect.Effect<void, SqlError> =>
    Effect.asVoid(conn.execute(sql, [], undefined))
  const stockUnit = <A, E, R>(
    conn: Connection,
    begin: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, E | SqlError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(statement(conn, begin), () =>
        Effect.flatMap(
          Effect.exit(restore(body(conn))),
          (exit) =>
            Exit.isSuccess(exit)
              ? Effect.as(
                Effect.tapError(statement(conn, "COMMIT"), () => Effect.ignore(statement(conn, "ROLLBACK"))),
                exit.value
              )
              : Effect.zipRight(
                Effect.catchIf(statement(conn, "ROLLBACK"), isNoTransaction, () => Effect.void),
                exit
              )
        ))
    )
  // The file's lock around a stock unit: taken at once when free, else waited for (interruptibly).
  const locked = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        Effect.suspend(() => (fileLock.tryTake() ? Effect.void : restore(fileLock.take))),
        Effect.ensuring(restore(self), Effect.sync(fileLock.release))
      )
    )
  const stockOnce = <A, E, R>(
    conn: Connection,
    begin: string,
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R> =>
    Effect.zipRight(nestedCheck, mapSqlErrors(port, operation)(locked(stockUnit(conn, begin, body))))
  /** One attempt of a unit on the client's connection (fetched once, by the first unit). */
  const once = <A, E, R>(
    begin: string,
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ): Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R> => {
    const on = (c: Connection) =>
      isSyncConnection(c) ? syncOnce(c, begin, port, operation, body) : stockOnce(c, begin, port, operation, body)
    return conn !== undefined ? on(conn) : mapSqlErrors(port, operation)(Effect.flatMap(connection, on))
  }
  // A stock body sees the unit's connection as `UnitConnection` and as the stock `TransactionConnection`.
  const inContext = <A, E, R>(body: Effect.Effect<A, E | SqlError, R>) => (conn: Connection) =>
    Effect.mapInputContext(
      body as Effect.Effect<A, E | SqlError, UnitConnection | SqlClient.TransactionConnection>,
      (ctx: Context.Context<never>) =>
        Context.add(Context.add(ctx, UnitConnection, conn), SqlClient.TransactionConnection, [conn, 0] as const)
    ) as Effect.Effect<A, E | SqlError, Exclude<R, UnitConnection>>

  const writeOn: Transactions["writeOn"] = <A, E, R>(
    port: string,
    operation: string,
    body: (conn: Connection) => Effect.Effect<A, E | SqlError, R>
  ) => {
    type Out = Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
    const first: Out = once(beginWrite, port, operation, body)
    const attempt = (n: number): Out =>
      Effect.catchIf(
        n === 1 ? first : once(beginWrite, port, operation, body),
        (e): e is StoreConflict & Exclude<E, SqlError> => e instanceof StoreConflict,
        (e) => {
          if (n >= retry.maxAttempts) {
            return Effect.fail(
              new StoreConflict({ port, operation, code: e.code, attempts: n })
            )
          }
          const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1))
          return Effect.flatMap(Random.nextIntBetween(Math.floor(cap / 2), cap + 1), (ms) =>
            Effect.zipRight(Effect.sleep(ms), attempt(n + 1)))
        }
      ) as Out
    return attempt(1)
  }

  const readOn: Transactions["readOn"] = (port, operation, body) => once("BEGIN", port, operation, body)

  return {
    write: (port, operation, body) => writeOn(port, operation, inContext(body)) as never,
    read: (port, operation, body) => readOn(port, operation, inContext(body)) as never,
    writeOn,
    readOn
  }
}

/**
 * True when an error (a `SqlError`, a better-sqlite3 error or a defect value) is SQLite lock contention.
 *
 * @since 0.1.0
 */
export const isBusyError = (error: unknown): boolean => SqlDialect.isSqliteBusyCode(SqlDialect.errorCode(error))

/**
 * The SQL driver's unit runner over these helpers: each unit's body gets the unit's connection.
 *
 * @since 0.1.0
 */
export const sqlUnits = (transactions: Transactions): SqlDriver.SqlUnits => ({
  read: (unit, body) => transactions.readOn(unit.port, unit.operation, body),
  write: (unit, body) => transactions.writeOn(unit.port, unit.operation, body)
})
