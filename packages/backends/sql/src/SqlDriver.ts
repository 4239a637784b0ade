/**
 * The SQL storage driver: a `StorageDriver` over any `@effect/sql` client, given the dialect it speaks and the unit
 * runner of its backend (how a unit gets a connection, begins, commits, rolls back and retries: SQLite's
 * `BEGIN IMMEDIATE` on its one connection, Postgres's pooled `BEGIN` with row locks). Every statement is shared between
 * dialects; the differences are `Dialect.ts`'s.
 *
 * @since 0.1.0
 */
import type { Connection } from "@effect/sql/SqlConnection"
import type {
  DurabilityReport,
  DurabilityTier,
  ReadTransaction,
  StorageDriver,
  StorageSignal,
  StoreError,
  StoreUnavailable,
  UnitName,
  WriteTransaction
} from "@lash/core"
import type { Effect, Stream } from "effect"
import { artifactTable, contentStatements, envTable, journalStatements } from "./ContentStatements.js"
import type { SqlDialect } from "./Dialect.js"
import { eventStatements, grantStatements, processStatements } from "./ProcessStatements.js"
import { batchStatements } from "./QueueStatements.js"
import { nodeStatements, sessionStatements, stampStatements } from "./SessionStatements.js"
import { type CurrentUnit, makeRunner, type Runner } from "./Statements.js"
import {
  counterStatements,
  deliveryStatements,
  occurrenceStatements,
  subscriptionStatements
} from "./TriggerStatements.js"

/**
 * How a backend runs units on its connections. A unit body may run again on contention; the runner maps engine
 * errors (a failed `COMMIT` included) to storage errors and never leaves a connection inside a transaction.
 *
 * @since 0.1.0
 */
export interface SqlUnits {
  /** One consistent snapshot. */
  readonly read: <A, E>(unit: UnitName, body: (connection: Connection) => Effect.Effect<A, E>) => Effect.Effect<
    A,
    E | StoreError
  >
  /** One atomic read-then-write unit. */
  readonly write: <A, E>(unit: UnitName, body: (connection: Connection) => Effect.Effect<A, E>) => Effect.Effect<
    A,
    E | StoreError
  >
}

/** What a backend gives the SQL driver. @since 0.1.0 */
export interface SqlDriverOptions {
  readonly name: string
  readonly tier: DurabilityTier
  readonly dialect: SqlDialect
  readonly units: SqlUnits
  readonly durabilityReport: Effect.Effect<DurabilityReport, StoreUnavailable>
  /** Changes made by other processes (a poller, a `LISTEN`). */
  readonly changes?: Stream.Stream<StorageSignal>
}

const transaction = (run: Runner, dialect: SqlDialect, lock: string): WriteTransaction => {
  const base: WriteTransaction = {
    now: dialect.now(run),
    sessions: sessionStatements(run, dialect, lock),
    nodes: nodeStatements(run, dialect),
    stamps: stampStatements(run, dialect),
    batches: batchStatements(run, dialect, lock),
    processes: processStatements(run, dialect, lock),
    events: eventStatements(run, dialect),
    grants: grantStatements(run, dialect),
    envs: contentStatements(run, dialect, envTable),
    artifacts: contentStatements(run, dialect, artifactTable),
    journal: journalStatements(run, dialect),
    counters: counterStatements(run, dialect, lock),
    subscriptions: subscriptionStatements(run, dialect, lock),
    occurrences: occurrenceStatements(run, dialect, lock),
    deliveries: deliveryStatements(run, dialect)
  }
  const announce = dialect.announce
  const withImmediate = run.immediate === undefined ? base : { ...base, immediate: run.immediate }
  return announce === undefined ? withImmediate : { ...withImmediate, announce: (signals) => announce(run, signals) }
}

/** The transactions of one connection, built once (statements compiled once) and reused by every unit on it. */
interface ConnectionTransactions {
  readonly current: CurrentUnit
  readonly read: ReadTransaction
  readonly write: WriteTransaction
}

/**
 * Builds the driver.
 *
 * @since 0.1.0
 */
export const make = (options: SqlDriverOptions): StorageDriver => {
  const { dialect, units } = options
  const byConnection = new WeakMap<Connection, ConnectionTransactions>()
  const transactionsOf = (connection: Connection, unit: UnitName): ConnectionTransactions => {
    let found = byConnection.get(connection)
    if (found === undefined) {
      const current: CurrentUnit = { unit }
      const run = makeRunner(connection, dialect, current)
      found = { current, read: transaction(run, dialect, ""), write: transaction(run, dialect, dialect.lockRows) }
      byConnection.set(connection, found)
    }
    found.current.unit = unit
    return found
  }
  const driver: StorageDriver = {
    name: options.name,
    tier: options.tier,
    read: (unit, body) => units.read(unit, (connection) => body(transactionsOf(connection, unit).read)),
    write: (unit, body) => units.write(unit, (connection) => body(transactionsOf(connection, unit).write)),
    durabilityReport: options.durabilityReport
  }
  return options.changes === undefined ? driver : { ...driver, changes: options.changes }
}
