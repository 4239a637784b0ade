/**
 * Units on a Postgres pool: each unit takes a pooled connection, begins (`READ COMMITTED` for a write unit, whose reads
 * lock their rows with `FOR UPDATE`; `REPEATABLE READ READ ONLY` for a read unit, one snapshot), runs the body,
 * commits, and gives the connection back. A failure, a defect or an interruption rolls back; a failed `COMMIT`
 * surfaces as a storage error (never a defect). Serialization failures, deadlocks, lock timeouts and unique
 * violations (`SqlDialect.POSTGRES_RETRYABLE`) re-run the whole unit with a jittered backoff; only past the budget
 * does the caller see a (retryable) `StoreConflict`. Everything else, a lost connection first of all, is
 * `StoreUnavailable` with the cause, and a connection that failed that way is destroyed, not returned to the pool. A
 * connection lost before `COMMIT` was sent means the unit wrote nothing: it runs again on a new connection (twice at
 * most) before the loss surfaces; a loss during `COMMIT` (outcome unknown) surfaces at once.
 *
 * Statements run as named prepared statements (one name per statement text, prepared once per connection): the
 * driver runs the same few dozen statements over and over.
 *
 * Hand-written over `pg` rather than `SqlClient.withTransaction`: that one opens a span and a `Scope` per unit, and
 * turns a failed `COMMIT` into a defect.
 *
 * @since 0.1.0
 */
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { SqlDialect, type SqlDriver } from "@lash/backend-sql"
import { StoreConflict, type StoreError, StoreUnavailable } from "@lash/core"
import { Effect, Exit, Random, Stream } from "effect"
import type * as Pg from "pg"

/** Retry budget of a unit that keeps meeting contention. @since 0.1.0 */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number
  /** Base of the exponential backoff between attempts. */
  readonly baseDelayMs: number
  /** Cap of one backoff step. */
  readonly maxDelayMs: number
}

/**
 * The default retry policy: 10 attempts, 5 ms doubling to a 250 ms cap, jittered.
 *
 * @since 0.1.0
 */
export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 250 }

const statementNames = new Map<string, string>()
const nameOf = (text: string): string => {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `lash_${statementNames.size}`
    statementNames.set(text, name)
  }
  return name
}

/**
 * The connection was lost before `COMMIT` was sent (or no connection could be had): the unit wrote nothing, so running
 * it again on a new connection is safe. A loss during `COMMIT` is not this: its outcome is unknown, and it surfaces.
 */
class LostBeforeCommit {
  readonly _tag = "LostBeforeCommit"
  constructor(readonly error: StoreUnavailable) {}
}

/** Re-runs of a unit whose connection was lost before `COMMIT`, before the loss surfaces as `StoreUnavailable`. */
const LOSS_RETRIES = 2

/** True when an error means the connection itself is gone (no SQLSTATE, or a connection / shutdown class). */
const isConnectionLoss = (cause: unknown): boolean => {
  const code = SqlDialect.errorCode(cause)
  return code === undefined || code.startsWith("08") || code.startsWith("57P") || !/^[0-9A-Z]{5}$/.test(code)
}

/** One checked-out connection and whether it must be destroyed instead of returned. @since 0.1.0 */
export interface Lease {
  readonly client: Pg.PoolClient
  broken: boolean
  /** Gives the connection back (or destroys it when broken). */
  readonly release: () => void
}

const query = (lease: Lease, text: string, params: ReadonlyArray<unknown>, prepared: boolean) =>
  Effect.async<ReadonlyArray<any>, SqlError>((resume) => {
    const config = prepared
      ? { name: nameOf(text), text, values: params as Array<unknown> }
      : { text, values: params as Array<unknown> }
    lease.client.query(config, (error: Error | undefined, result: Pg.QueryResult | undefined) => {
      if (error !== undefined && error !== null) {
        if (isConnectionLoss(error)) lease.broken = true
        resume(Effect.fail(new SqlError({ cause: error, message: "Failed to execute statement" })))
      } else {
        resume(Effect.succeed(result?.rows ?? []))
      }
    })
  })

const unsupported = (what: string) => new SqlError({ message: `${what} is not used by lash units`, cause: what })

/** The `Connection` the SQL driver's statements (and the Migrator's) run on. @since 0.1.0 */
export const connectionOf = (lease: Lease): Connection => ({
  execute: (text, params) => query(lease, text, params, true),
  executeUnprepared: (text, params) => query(lease, text, params, false),
  executeRaw: (text, params) => query(lease, text, params, false),
  executeValues: () => Effect.fail(unsupported("executeValues")),
  executeStream: () => Stream.fail(unsupported("executeStream"))
})

/**
 * Takes a connection from the pool; a connection that arrives after the waiter was interrupted goes straight back.
 * While checked out, a connection error (the server went away) marks it broken instead of crashing the process.
 *
 * @since 0.1.0
 */
export const checkout = (pool: Pg.Pool, port: string): Effect.Effect<Lease, StoreUnavailable> =>
  Effect.async<Lease, StoreUnavailable>((resume) => {
    let abandoned = false
    pool.connect((error, client, done) => {
      if (abandoned) {
        if (client !== undefined) done()
        return
      }
      if (error !== undefined && error !== null) {
        return resume(Effect.fail(new StoreUnavailable({ port, cause: error })))
      }
      if (client === undefined) return resume(Effect.fail(new StoreUnavailable({ port, cause: "no client returned" })))
      const onError = () => {
        lease.broken = true
      }
      const lease: Lease = {
        client,
        broken: false,
        release: () => {
          client.off("error", onError)
          done(lease.broken ? new Error("connection lost") : undefined)
        }
      }
      client.on("error", onError)
      resume(Effect.succeed(lease))
    })
    return Effect.sync(() => {
      abandoned = true
    })
  })

/**
 * The units of one pool, as the SQL driver's unit runner.
 *
 * @since 0.1.0
 */
export const make = (
  pool: Pg.Pool,
  dialect: SqlDialect.SqlDialect,
  retry: RetryPolicy = defaultRetryPolicy
): SqlDriver.SqlUnits => {
  const once = <A, E>(
    port: string,
    operation: string,
    begin: string,
    body: (connection: Connection) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | StoreError> => {
    const toStoreError = (error: SqlError): StoreError => {
      const kind = dialect.classify(error)
      return kind._tag === "Conflict"
        ? new StoreConflict({ port, operation, code: kind.code, attempts: 1 })
        : new StoreUnavailable({ port, cause: error.cause ?? error })
    }
    const exec = (lease: Lease, text: string) => Effect.mapError(query(lease, text, [], false), toStoreError)
    /** A failure before `COMMIT` on a connection that is gone: retryable. */
    const beforeCommit = (lease: Lease) => <X, Y>(self: Effect.Effect<X, Y>) =>
      Effect.catchIf(
        self,
        (e): e is Y & StoreUnavailable => lease.broken && e instanceof StoreUnavailable,
        (e) => Effect.fail(new LostBeforeCommit(e) as unknown as Y)
      )
    return Effect.acquireUseRelease(
      Effect.catchAll(checkout(pool, port), (e) => Effect.fail(new LostBeforeCommit(e) as unknown as StoreError)),
      (lease) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            beforeCommit(lease)(exec(lease, begin)),
            () =>
              Effect.flatMap(
                Effect.exit(restore(body(connectionOf(lease)))),
                (exit): Effect.Effect<A, E | StoreError> =>
                  Exit.isSuccess(exit)
                    ? Effect.as(
                      Effect.tapError(exec(lease, "COMMIT"), () => Effect.ignore(exec(lease, "ROLLBACK"))),
                      exit.value
                    )
                    : Effect.zipRight(Effect.ignore(exec(lease, "ROLLBACK")), beforeCommit(lease)(exit))
              )
          )
        ),
      (lease) => Effect.sync(lease.release)
    )
  }
  const withRetry = <A, E>(
    port: string,
    operation: string,
    attempt: Effect.Effect<A, E | StoreError>
  ): Effect.Effect<A, E | StoreError> => {
    const loop = (n: number, losses = 0): Effect.Effect<A, E | StoreError> =>
      Effect.catchIf(
        Effect.catchIf(
          attempt,
          (e): e is E & StoreError => e instanceof LostBeforeCommit,
          (e): Effect.Effect<A, E | StoreError> => {
            const lost = e as unknown as LostBeforeCommit
            return losses >= LOSS_RETRIES
              ? Effect.fail(lost.error)
              : Effect.zipRight(Effect.sleep(50 * (losses + 1)), loop(n, losses + 1))
          }
        ),
        (e): e is StoreConflict & (E | StoreError) => e instanceof StoreConflict,
        (e) => {
          if (n >= retry.maxAttempts) {
            return Effect.fail(
              new StoreConflict({ port, operation, code: e.code, attempts: n })
            )
          }
          const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1))
          return Effect.flatMap(
            Random.nextIntBetween(Math.floor(cap / 2), cap + 1),
            (ms) => Effect.zipRight(Effect.sleep(ms), loop(n + 1, losses))
          )
        }
      )
    return loop(1)
  }
  return {
    write: (unit, body) => withRetry(unit.port, unit.operation, once(unit.port, unit.operation, "BEGIN", body)),
    read: (unit, body) =>
      withRetry(
        unit.port,
        unit.operation,
        once(unit.port, unit.operation, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
      )
  }
}
