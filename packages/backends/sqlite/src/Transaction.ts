/**
 * The SQLite transaction helper: `BEGIN IMMEDIATE` write units and snapshot read units on top of the stock
 * `@effect/sql-sqlite-node` client (backends.md §3.3).
 *
 * - `write` runs a read-then-write unit under `BEGIN IMMEDIATE` (the write lock is taken at `BEGIN`, where SQLite
 *   applies the busy timeout). A failure rolls back; a failed `COMMIT` is followed by `ROLLBACK` so the connection
 *   never stays inside a dead transaction. `SQLITE_BUSY*` / `SQLITE_LOCKED*` re-run the whole unit with a bounded,
 *   jittered backoff; only when that budget is spent does the caller see a (retryable) `StoreConflict`.
 * - `read` runs a multi-statement read in one deferred transaction (one WAL snapshot).
 * - Every unit of every handle on the same file in this OS process is serialised by one per-file `Semaphore(1)`:
 *   better-sqlite3 is synchronous, so a second handle of the same process waiting in `BEGIN IMMEDIATE` would block the
 *   event loop and with it the lock holder. Across OS processes `BEGIN IMMEDIATE` + `busy_timeout` serialise writers.
 * - `SqlError` failures, and `SqlError` defects (the stock client `orDie`s `COMMIT`), are mapped to `StoreConflict`
 *   (busy/locked) or `StoreUnavailable` (everything else). No other defect is swallowed.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { StoreConflict, StoreUnavailable } from "@lash/core"
import { Context, Effect, Option, Predicate, Random, Scope } from "effect"

/** Marks the context of a running write unit (write units never nest). */
class WriteUnit extends Context.Tag("@lash/backend-sqlite/WriteUnit")<WriteUnit, true>() {}

/**
 * The SQLite result code of an engine error (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE`, ...), when there is one.
 *
 * @since 0.1.0
 */
export const sqliteCode = (error: unknown): string | undefined => {
  const cause = Predicate.isTagged(error, "SqlError") ? (error as SqlError).cause : error
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") return cause.code
  return undefined
}

/** True for the lock-contention codes that a retry can resolve. */
const isBusyCode = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))

/**
 * Maps `SqlError` failures and `SqlError` defects of `self` to the storage tags.
 *
 * @since 0.1.0
 */
export const mapSqlErrors =
  (port: string, operation: string) =>
  <A, E, R>(self: Effect.Effect<A, E | SqlError, R>): Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R> =>
    self.pipe(
      Effect.catchAllDefect((defect) => (Predicate.isTagged(defect, "SqlError") ? Effect.fail(defect as SqlError) : Effect.die(defect))),
      Effect.catchIf(
        (e): e is SqlError => e instanceof SqlError || Predicate.isTagged(e, "SqlError"),
        (e) => {
          const code = sqliteCode(e)
          return Effect.fail(
            isBusyCode(code)
              ? new StoreConflict({ port, operation, code: code ?? "SQLITE_BUSY", attempts: 1 })
              : new StoreUnavailable({ port, cause: e })
          )
        }
      )
    ) as Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>

/** The process-wide locks, one per resolved database path, shared by every handle of that file in this process. */
const fileLocks = new Map<string, { readonly lock: Effect.Semaphore; refs: number }>()

/**
 * Acquires (in the current scope) the in-process lock of a database file; released with the scope.
 *
 * @since 0.1.0
 */
export const acquireFileLock = (resolvedPath: string): Effect.Effect<Effect.Semaphore, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const existing = fileLocks.get(resolvedPath)
      if (existing !== undefined) {
        existing.refs++
        return existing.lock
      }
      const lock = Effect.unsafeMakeSemaphore(1)
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
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
  /** One multi-statement read in one deferred transaction (one snapshot). */
  readonly read: <A, E, R>(
    port: string,
    operation: string,
    body: Effect.Effect<A, E | SqlError, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
}

const ignoreNoTransaction = (self: Effect.Effect<void, SqlError>): Effect.Effect<void, SqlError> =>
  Effect.catchIf(
    self,
    (e) => {
      const cause = e.cause
      return cause instanceof Error && /no transaction is active/i.test(cause.message)
    },
    () => Effect.void
  )

/**
 * Builds the helpers over a client and the file's in-process lock.
 *
 * @since 0.1.0
 */
export const makeTransactions = (sql: SqlClient.SqlClient, fileLock: Effect.Semaphore, retry: RetryPolicy = defaultRetryPolicy): Transactions => {
  const run = (c: Connection, stmt: string) => Effect.asVoid(c.executeUnprepared(stmt, [], undefined))
  const immediate = SqlClient.makeWithTransaction({
    transactionTag: SqlClient.TransactionConnection,
    spanAttributes: [
      ["db.system.name", "sqlite"],
      ["lash.tx", "immediate"]
    ],
    acquireConnection: Effect.flatMap(Scope.make(), (scope) =>
      Effect.map(Scope.extend(sql.reserve, scope), (conn) => [scope, conn] as const)
    ),
    begin: (c) => run(c, "BEGIN IMMEDIATE"),
    savepoint: (c, id) => run(c, `SAVEPOINT lash_${id}`),
    // A failed COMMIT leaves the connection inside the transaction: roll it back so the next unit can begin.
    commit: (c) => run(c, "COMMIT").pipe(Effect.tapError(() => Effect.ignore(run(c, "ROLLBACK")))),
    // A failed BEGIN IMMEDIATE (busy) reaches the rollback with no transaction open: that is not an error.
    rollback: (c) => ignoreNoTransaction(run(c, "ROLLBACK")),
    rollbackSavepoint: (c, id) => run(c, `ROLLBACK TO SAVEPOINT lash_${id}`)
  })

  const write: Transactions["write"] = <A, E, R>(port: string, operation: string, body: Effect.Effect<A, E | SqlError, R>) => {
    type Out = Effect.Effect<A, Exclude<E, SqlError> | StoreUnavailable | StoreConflict, R>
    const once: Out = Effect.flatMap(
      Effect.all([Effect.serviceOption(SqlClient.TransactionConnection), Effect.serviceOption(WriteUnit)]),
      ([outer, ours]) =>
        Option.isSome(outer) || Option.isSome(ours)
          ? Effect.dieMessage(`${port}.${operation}: a write unit must not run inside another transaction`)
          : mapSqlErrors(port, operation)(fileLock.withPermits(1)(immediate(Effect.provideService(body, WriteUnit, true))))
    )
    const attempt = (n: number): Out =>
      Effect.catchIf(
        once,
        (e): e is StoreConflict & Exclude<E, SqlError> => e instanceof StoreConflict,
        (e) => {
          if (n >= retry.maxAttempts) return Effect.fail(new StoreConflict({ port, operation, code: e.code, attempts: n }))
          const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1))
          return Effect.flatMap(Random.nextIntBetween(Math.floor(cap / 2), cap + 1), (ms) => Effect.zipRight(Effect.sleep(ms), attempt(n + 1)))
        }
      ) as Out
    return attempt(1)
  }

  const read: Transactions["read"] = (port, operation, body) => mapSqlErrors(port, operation)(sql.withTransaction(body))

  return { write, read }
}

/**
 * True when an error (a `SqlError`, a better-sqlite3 error or a defect value) is SQLite lock contention.
 *
 * @since 0.1.0
 */
export const isBusyError = (error: unknown): boolean => isBusyCode(sqliteCode(error))
