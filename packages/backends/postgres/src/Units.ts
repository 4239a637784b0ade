/**
 * Units on a Postgres pool: each unit takes a pooled connection, begins (`READ COMMITTED` for a write unit, whose reads
 * lock their rows with `FOR UPDATE`; `REPEATABLE READ READ ONLY` for a read unit, one snapshot), runs the body,
 * commits, and gives the connection back. A failure, a defect or an interruption rolls back; a failed `COMMIT`
 * surfaces as a storage error (never a defect). Serialization failures, deadlocks, lock timeouts and unique
 * violations (`SqlDialect.POSTGRES_RETRYABLE`) re-run the whole unit with a jittered backoff; only past the budget
 * does the caller see a (retryable) `StoreConflict`. Everything else, a lost connection first of all, is
 * `StoreUnavailable` with the cause, and a connection that failed that way is destroyed, not returned to the pool. A
 * connection lost before `COMMIT` was sent means the unit wrote nothing: it runs again on a new connection (twice at
 * most) before the loss surfaces. A write unit whose connection was lost during `COMMIT` asks the server what became
 * of its transaction (`CommitOutcome.ts`): committed, its answer stands; aborted, it runs again like a loss before
 * `COMMIT`; unknown, `StoreUnavailable`.
 *
 * Units wait for a connection at the handle's `ConnectionGate`: the units that keep a lease (`URGENT_OPERATIONS`) get
 * the next free connection before any other, and a unit that gets none within `connectTimeoutMs` fails with
 * `StoreUnavailable`. Causes are `PostgresFailure`s (SQLSTATE and message as fields, so a log shows them).
 *
 * Statements run as named prepared statements (one name per statement text, prepared once per connection): the
 * driver runs the same few dozen statements over and over.
 *
 * A unit's announcement (`SqlDialect.POSTGRES_NOTIFY`, `pg_notify`) goes with its `COMMIT`, in the same round trip
 * (`SELECT pg_notify('…', '…'); COMMIT`, literals escaped by `pg`): a notification is delivered when its transaction
 * commits, wherever in the transaction it was queued, so this saves a round trip per announcing unit and changes
 * nothing else. A `pg_notify` that fails makes that text fail before `COMMIT` runs: the unit rolls back and fails as
 * it did when the statement ran in the body.
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
import * as Pg from "pg"
import * as CommitOutcome from "./CommitOutcome.js"
import * as ConnectionGate from "./ConnectionGate.js"
import { describe, failureOf } from "./PostgresFailure.js"

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
 * The units that keep or end a lease a run holds (the lease and queue-claim renewals, the terminal write, parking,
 * releasing): they go first at the connection gate, so a busy pool does not let a lease expire while its run is done.
 *
 * @since 0.1.0
 */
export const URGENT_OPERATIONS: ReadonlySet<string> = new Set([
  "renewLease",
  "renewClaim",
  "completeWithLease",
  "park",
  "releaseLease"
])

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

/** The begin statement of a read unit: one snapshot. */
const BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

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
  /** The announcements of the unit (`SqlDialect.POSTGRES_NOTIFY`), sent with its `COMMIT`. */
  notices: Array<string>
  /** Gives the connection back (or destroys it when broken). */
  readonly release: () => void
}

const query = (lease: Lease, text: string, params: ReadonlyArray<unknown>, prepared: boolean) =>
  Effect.async<ReadonlyArray<any>, SqlError>((resume) => {
    // A `Query` of its own (named after construction when prepared) rather than a config object: `pg` copies a config
    // object's every property descriptor before it builds the same `Query` (`normalizeQueryConfig`), per statement.
    const submitted = new Pg.Query(text, params as Array<unknown>, (error, result: Pg.QueryResult | undefined) => {
      if (error !== undefined && error !== null) {
        if (isConnectionLoss(error)) lease.broken = true
        const failure = failureOf(error)
        resume(Effect.fail(new SqlError({ cause: failure, message: failure.message })))
      } else {
        // A text of several statements (the simple protocol) answers one result each: the last one's rows.
        const last = Array.isArray(result) ? (result as Array<Pg.QueryResult>).at(-1) : result
        resume(Effect.succeed(last?.rows ?? []))
      }
    })
    lease.client.query(prepared ? Object.assign(submitted, { name: nameOf(text) }) : submitted)
  })

/** A statement of a unit body: an announcement is kept for the unit's `COMMIT`, anything else runs now. */
const statement = (lease: Lease, text: string, params: ReadonlyArray<unknown>, prepared: boolean) => {
  if (text === SqlDialect.POSTGRES_NOTIFY && params.length === 2) {
    const [channel, payload] = params
    if (typeof channel === "string" && typeof payload === "string") {
      lease.notices.push(`SELECT pg_notify(${Pg.escapeLiteral(channel)}, ${Pg.escapeLiteral(payload)})`)
      return Effect.succeed([])
    }
  }
  return query(lease, text, params, prepared)
}

/** The text that commits a unit: its announcements, then `COMMIT`. */
const commitText = (lease: Lease): string =>
  lease.notices.length === 0 ? "COMMIT" : `${lease.notices.join("; ")}; COMMIT`

const unsupported = (what: string) => new SqlError({ message: `${what} is not used by lash units`, cause: what })

/** A `Connection` whose statements run on the lease `current()` gives when each statement runs. */
const connectionOn = (current: () => Lease): Connection => ({
  execute: (text, params) => Effect.suspend(() => statement(current(), text, params, true)),
  executeUnprepared: (text, params) => Effect.suspend(() => statement(current(), text, params, false)),
  executeRaw: (text, params) => Effect.suspend(() => statement(current(), text, params, false)),
  executeValues: () => Effect.fail(unsupported("executeValues")),
  executeStream: () => Stream.fail(unsupported("executeStream"))
})

/** The `Connection` the SQL driver's statements (and the Migrator's) run on. @since 0.1.0 */
export const connectionOf = (lease: Lease): Connection => connectionOn(() => lease)

/**
 * One `Connection` per pooled client, pointed at the lease that holds the client now (a client is checked out by one
 * unit at a time). The SQL driver builds its statements once per `Connection` (packages/backends/sql/src/SqlDriver.ts,
 * `transactionsOf`): a fresh `Connection` per unit made it compile and close over every statement of both
 * transactions again on each unit, ~1 MB of garbage per B1 commit (docs/performance.md, Postgres section).
 */
const pooledConnections = () => {
  const byClient = new WeakMap<Pg.PoolClient, { lease: Lease; readonly connection: Connection }>()
  return (lease: Lease): Connection => {
    const slot = byClient.get(lease.client)
    if (slot !== undefined) {
      slot.lease = lease
      return slot.connection
    }
    const fresh: { lease: Lease; readonly connection: Connection } = {
      lease,
      connection: connectionOn(() => fresh.lease)
    }
    byClient.set(lease.client, fresh)
    return fresh.connection
  }
}

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
        return resume(Effect.fail(new StoreUnavailable({ port, cause: describe(error) })))
      }
      if (client === undefined) {
        return resume(Effect.fail(new StoreUnavailable({ port, cause: describe("the pool returned no connection") })))
      }
      const onError = () => {
        lease.broken = true
      }
      const lease: Lease = {
        client,
        broken: false,
        notices: [],
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

/** The pool a handle's units run on. @since 0.1.0 */
export interface UnitPool {
  readonly pool: Pg.Pool
  /** The pool's `max`: the gate's permits. */
  readonly poolSize: number
  /** How long a unit may wait for a connection. */
  readonly connectTimeoutMs: number
}

/**
 * The units of one pool, as the SQL driver's unit runner.
 *
 * @since 0.1.0
 */
export const make = (
  { connectTimeoutMs, pool, poolSize }: UnitPool,
  dialect: SqlDialect.SqlDialect,
  retry: RetryPolicy = defaultRetryPolicy
): SqlDriver.SqlUnits => {
  const gate = ConnectionGate.make(poolSize, connectTimeoutMs)
  const connectionFor = pooledConnections()
  /** The server's word on a transaction, asked on a connection of its own. */
  const xactStatus = (port: string, xid: string) =>
    Effect.acquireUseRelease(
      checkout(pool, port),
      (lease) =>
        Effect.tryPromise({
          try: () => CommitOutcome.statusOf(lease.client, xid),
          catch: (error) => {
            lease.broken = true
            return new StoreUnavailable({ port, cause: describe(error) })
          }
        }),
      (lease) => Effect.sync(lease.release)
    )
  const once = <A, E>(
    port: string,
    operation: string,
    write: boolean,
    body: (connection: Connection) => Effect.Effect<A, E>
  ): Effect.Effect<A, E | StoreError> => {
    const toStoreError = (error: SqlError): StoreError => {
      const kind = dialect.classify(error)
      return kind._tag === "Conflict"
        ? new StoreConflict({ port, operation, code: kind.code, attempts: 1 })
        : new StoreUnavailable({ port, cause: describe(error) })
    }
    const exec = (lease: Lease, text: string) => Effect.mapError(query(lease, text, [], false), toStoreError)
    /** A failure before `COMMIT` on a connection that is gone: retryable. */
    const beforeCommit = (lease: Lease) => <X, Y>(self: Effect.Effect<X, Y>) =>
      Effect.catchIf(
        self,
        (e): e is Y & StoreUnavailable => lease.broken && e instanceof StoreUnavailable,
        (e) => Effect.fail(new LostBeforeCommit(e) as unknown as Y)
      )
    /** `COMMIT`; a connection lost meanwhile leaves the outcome in doubt (resolved below, on a new connection). */
    const commit = (lease: Lease, xid: string | undefined, value: A): Effect.Effect<A, E | StoreError> =>
      Effect.as(
        Effect.catchAll(Effect.suspend(() => exec(lease, commitText(lease))), (error) =>
          lease.broken && xid !== undefined && error instanceof StoreUnavailable
            ? Effect.fail(new CommitOutcome.CommitInDoubt(xid, value, error) as unknown as StoreError)
            : Effect.zipRight(Effect.ignore(exec(lease, "ROLLBACK")), Effect.fail(error))),
        value
      )
    const unit = Effect.acquireUseRelease(
      Effect.catchAll(checkout(pool, port), (e) => Effect.fail(new LostBeforeCommit(e) as unknown as StoreError)),
      (lease) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(
            beforeCommit(lease)(
              write
                ? Effect.map(
                  query(lease, CommitOutcome.BEGIN_WRITE, [], false),
                  (rows) => String((rows[0] as { readonly xid?: unknown } | undefined)?.xid)
                )
                  .pipe(Effect.mapError(toStoreError))
                : Effect.as(exec(lease, BEGIN_READ), undefined)
            ),
            (xid) =>
              Effect.flatMap(
                Effect.exit(restore(body(connectionFor(lease)))),
                (exit): Effect.Effect<A, E | StoreError> =>
                  Exit.isSuccess(exit)
                    ? commit(lease, xid, exit.value)
                    : Effect.zipRight(Effect.ignore(exec(lease, "ROLLBACK")), beforeCommit(lease)(exit))
              )
          )
        ),
      (lease) => Effect.sync(lease.release)
    )
    // After the lost connection went back to the pool (destroyed): committed stands, aborted runs again.
    const settled = Effect.catchIf(
      unit,
      (e): e is E & StoreError => e instanceof CommitOutcome.CommitInDoubt,
      (e) => {
        const doubt = e as unknown as CommitOutcome.CommitInDoubt<A>
        return Effect.flatMap(
          CommitOutcome.resolve(doubt, (xid) => xactStatus(port, xid)),
          (outcome): Effect.Effect<A, E | StoreError> =>
            outcome === "aborted"
              ? Effect.fail(new LostBeforeCommit(doubt.error) as unknown as StoreError)
              : Effect.succeed(outcome as A)
        )
      }
    )
    // The wait at the gate is interruptible; once a permit is held, it is given back whatever happens.
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        Effect.mapError(restore(gate.acquire(URGENT_OPERATIONS.has(operation))), (cause) =>
          new StoreUnavailable({ port, cause })),
        () =>
          Effect.ensuring(restore(settled), gate.release)
      )
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
    write: (unit, body) => withRetry(unit.port, unit.operation, once(unit.port, unit.operation, true, body)),
    read: (unit, body) => withRetry(unit.port, unit.operation, once(unit.port, unit.operation, false, body))
  }
}
