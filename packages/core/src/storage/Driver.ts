/**
 * The storage driver: the narrow interface a backend implements so that the storage engine
 * (`StorageEngine.layer(driver)`) provides every storage port over it. The engine owns every decision (commit check
 * order, lease arithmetic and fencing, claim selection, trigger reservation, wake delivery, record encoding); a driver
 * only stores rows, runs units atomically, scans in the documented order and tells which conditional writes happened.
 * What each method must guarantee, and when to implement the ports directly instead: docs/storage-drivers.md.
 *
 * Long for a reason: it is the whole contract a backend author reads, one documented method per line of storage.
 *
 * Conventions for every method:
 * - All failures are `StoreError`s: `StoreUnavailable` (I/O, connection), `StoreConflict` (contention that outlived
 *   the driver's retries; retryable). A driver never fails with a domain error and never decodes JSON.
 * - Text keys order by Unicode code point (SQL `BINARY` / `COLLATE "C"`; `compareCodePoints` in memory).
 * - A conditional insert ("if absent") answers `true` only when this call inserted the row.
 * - Inside a write unit, every row the unit reads stays as read until the unit ends (SQLite `BEGIN IMMEDIATE`, one
 *   lock in memory, `SELECT … FOR UPDATE` on Postgres), so the engine's read-decide-write is atomic.
 * - Returned rows are fresh values: mutating one never changes the store.
 *
 * @since 0.1.0
 */
import type { Effect, Exit, Stream } from "effect"
import type { StoreError, StoreUnavailable } from "../Errors.js"
import type { DurabilityTier } from "../Model.js"
import type { DurabilityReport, StorageSignal } from "../StorageInfo.js"
import type * as Rows from "./DriverRows.js"

type Io<A> = Effect.Effect<A, StoreError>

/** Sessions: one head row per session. @since 0.1.0 */
export interface SessionReads {
  readonly exists: (sessionId: string) => Io<boolean>
  readonly read: (sessionId: string) => Io<Rows.SessionRow | undefined>
  /**
   * One page of sessions, newest activity first: descending `updatedAtMs`, ties by ascending session id (code point);
   * only rows after `after` in that order when given; at most `limit`.
   */
  readonly list: (request: {
    readonly limit: number
    readonly after?: { readonly updatedAtMs: number; readonly sessionId: string }
  }) => Io<ReadonlyArray<Rows.SessionRow>>
}
/** @since 0.1.0 */
export interface SessionWrites extends SessionReads {
  /** If absent; a repeat keeps the first row. */
  readonly insert: (row: Rows.SessionRow) => Io<boolean>
  /** Replaces head, revision, node count and `updatedAtMs` only where the stored revision is `expectedRevision`. */
  readonly updateHead: (
    row: Pick<
      Rows.SessionRow,
      "sessionId" | "headJson" | "recordVersion" | "headRevision" | "nodeCount" | "updatedAtMs"
    >,
    expectedRevision: number
  ) => Io<boolean>
  readonly setNextEnqueueSeq: (sessionId: string, next: number) => Io<void>
}

/** Graph nodes, append-only. @since 0.1.0 */
export interface NodeReads {
  readonly byId: (sessionId: string, nodeId: string) => Io<Rows.NodeRow | undefined>
  /** Nodes with `seq < belowSeq`, ascending seq. */
  readonly inOrder: (sessionId: string, belowSeq: number) => Io<ReadonlyArray<Rows.NodeRow>>
  /**
   * Optional fast path of `loadPath`: the ancestry of `startNodeId` (itself first, then its parent, ...), at most
   * `limit` rows, among nodes with `seq < belowSeq`; it stops early where a parent is missing. Without it the engine
   * walks with `byId`. Must equal that walk exactly (the differential test checks it).
   */
  readonly ancestry?: (
    sessionId: string,
    startNodeId: string,
    limit: number,
    belowSeq: number
  ) => Io<ReadonlyArray<Rows.NodeRow>>
}
/** @since 0.1.0 */
export interface NodeWrites extends NodeReads {
  /** If no node of the session has this seq or this node id. */
  readonly insert: (row: Rows.NodeRow) => Io<boolean>
  /**
   * Optional fast path of a commit's node inserts: `insert` of each row in order (a row whose seq or node id is
   * taken, by a stored node or an earlier row of this call, is not inserted), in as few statements as the store
   * allows; answers how many rows were inserted. Without it the engine calls `insert` per row. Must equal those calls
   * exactly (the conformance suites run both: memory has no fast path).
   */
  readonly insertAll?: (rows: ReadonlyArray<Rows.NodeRow>) => Io<number>
}

/** Turn stamps. @since 0.1.0 */
export interface StampReads {
  readonly read: (sessionId: string, turnId: string) => Io<Rows.StampRow | undefined>
}
/** @since 0.1.0 */
export interface StampWrites extends StampReads {
  readonly insert: (row: Rows.StampRow) => Io<void>
}

/** Queued batches. @since 0.1.0 */
export interface BatchReads {
  readonly read: (batchId: string) => Io<Rows.BatchRow | undefined>
  /** The batch (open or completed) with this source key in this session. */
  readonly bySourceKey: (sessionId: string, sourceKey: string) => Io<Rows.BatchRow | undefined>
  /** The session's batches that are not completed, ascending `enqueueSeq`. */
  readonly open: (sessionId: string) => Io<ReadonlyArray<Rows.BatchRow>>
  /**
   * The claim candidates, every predicate applied before the limit: not completed, `availableAtMs <= nowMs`, no live
   * claim (`claim` null or `claim.expiresAtMs <= nowMs`); ascending `enqueueSeq`; at most `limit`.
   */
  readonly claimable: (sessionId: string, nowMs: number, limit: number) => Io<ReadonlyArray<Rows.BatchRow>>
  /** Distinct sessions having a claimable batch at `nowMs`, code-point order. */
  readonly sessionsWithClaimable: (nowMs: number) => Io<ReadonlyArray<string>>
}
/** @since 0.1.0 */
export interface BatchWrites extends BatchReads {
  readonly insert: (row: Rows.BatchRow) => Io<void>
  /** Sets (or with `null` clears) the claim columns and the claim fencing. */
  readonly setClaim: (batchId: string, claim: Rows.BatchClaim | null, claimFencing: number) => Io<void>
  /** Marks a keyed batch completed (a tombstone: still found by `bySourceKey`) and clears its claim. */
  readonly complete: (batchId: string, completedAtMs: number) => Io<void>
  readonly delete: (batchId: string) => Io<void>
}

/** Process rows. @since 0.1.0 */
export interface ProcessReads {
  readonly read: (processId: string) => Io<Rows.ProcessRow | undefined>
  /** All rows, or only terminal / non-terminal ones; ascending process id. */
  readonly list: (terminal?: boolean) => Io<ReadonlyArray<Rows.ProcessRow>>
  /** The ids only (no JSON read), same filter and order. */
  readonly ids: (terminal?: boolean) => Io<ReadonlyArray<string>>
}
/** @since 0.1.0 */
export interface ProcessWrites extends ProcessReads {
  /** If absent. */
  readonly insert: (row: Rows.ProcessRow) => Io<boolean>
  readonly updateRecord: (update: Rows.ProcessRecordUpdate) => Io<void>
  /** Replaces the lease columns only where the stored fencing is `expectedFencing`. */
  readonly setLease: (processId: string, lease: Rows.LeaseColumns, expectedFencing: number) => Io<boolean>
  /**
   * Optional fast path of a fenced completion's row write (`completeWithLease`): `updateRecord(update)` and then
   * `setLease(update.processId, lease, expectedFencing)` in one statement, only where the stored fencing is
   * `expectedFencing` (where it is not, nothing is written); answers whether the row matched. Without it the engine
   * calls those two. Must equal them exactly (the differential test checks it).
   */
  readonly updateRecordAndLease?: (
    update: Rows.ProcessRecordUpdate,
    lease: Rows.LeaseColumns,
    expectedFencing: number
  ) => Io<boolean>
  /**
   * Runnable rows for a claim, every predicate before the limit: not terminal, not external, no held lease
   * (`ownerId` null or `expiresAtMs <= nowMs`); ascending id; at most `limit`. A shared store locks what it returns
   * and skips rows another unit holds (Postgres `FOR UPDATE SKIP LOCKED`).
   */
  readonly runnable: (nowMs: number, limit: number) => Io<ReadonlyArray<Rows.ProcessRow>>
  /**
   * Optional fast path of `claimRunnable`: leases the rows `runnable(nowMs, limit)` would return, in one statement,
   * each with `ownerId`, fencing = stored + 1, `claimedAtMs = nowMs` and `expiresAtMs`; answers the leased ids with
   * their new fencing, ascending id. Must equal `runnable` + `setLease` exactly (the differential test checks it).
   */
  readonly claimRunnable?: (request: {
    readonly ownerId: string
    readonly nowMs: number
    readonly expiresAtMs: number
    readonly limit: number
  }) => Io<ReadonlyArray<{ readonly processId: string; readonly fencing: number }>>
}

/** Process event logs. @since 0.1.0 */
export interface EventReads {
  readonly byReplayKey: (processId: string, replayKey: string) => Io<Rows.EventRow | undefined>
  /** Events with `sequence > afterSequence` (of `eventType` when given), ascending, at most `limit` when given. */
  readonly after: (
    processId: string,
    afterSequence: number,
    eventType?: string,
    limit?: number
  ) => Io<ReadonlyArray<Rows.EventRow>>
}
/** @since 0.1.0 */
export interface EventWrites extends EventReads {
  readonly insert: (row: Rows.EventRow) => Io<void>
}

/** Handle grants. @since 0.1.0 */
export interface GrantReads {
  readonly read: (scopeId: string, processId: string) => Io<Rows.GrantRow | undefined>
  /** The scope's grants, ascending process id. */
  readonly list: (scopeId: string) => Io<ReadonlyArray<Rows.GrantRow>>
}
/** @since 0.1.0 */
export interface GrantWrites extends GrantReads {
  /** Inserts, or replaces the descriptor of an existing grant. */
  readonly upsert: (row: Rows.GrantRow) => Io<void>
}

/** A content-addressed table (execution envs, module artifacts). @since 0.1.0 */
export interface ContentReads {
  readonly read: (ref: string) => Io<Rows.ContentRow | undefined>
}
/** @since 0.1.0 */
export interface ContentWrites extends ContentReads {
  /** If absent (first write wins). */
  readonly insert: (row: Rows.ContentRow) => Io<void>
}

/** The effect journal. @since 0.1.0 */
export interface JournalReads {
  readonly read: (scopeId: string, replayKey: string) => Io<Rows.JournalRow | undefined>
}
/** @since 0.1.0 */
export interface JournalWrites extends JournalReads {
  /** If absent. */
  readonly insert: (row: Rows.JournalRow) => Io<boolean>
}

/** Named counters (start at 0). @since 0.1.0 */
export interface CounterReads {
  readonly read: (name: Rows.CounterName) => Io<number>
}
/** @since 0.1.0 */
export interface CounterWrites extends CounterReads {
  readonly write: (name: Rows.CounterName, value: number) => Io<void>
}

/** Trigger subscriptions. @since 0.1.0 */
export interface SubscriptionReads {
  readonly read: (subscriptionId: string) => Io<Rows.SubscriptionRow | undefined>
  readonly byRegistrationKey: (
    registrantScopeId: string,
    registrationKey: string
  ) => Io<Rows.SubscriptionRow | undefined>
  readonly byHandle: (handle: string) => Io<Rows.SubscriptionRow | undefined>
  /** Every subscription, ordered by (registrant scope id, handle number). */
  readonly list: () => Io<ReadonlyArray<Rows.SubscriptionRow>>
  /** Enabled subscriptions of the source with `handleNo <= maxHandleNo`, ascending handle number. */
  readonly matching: (
    sourceType: string,
    sourceKey: string,
    maxHandleNo: number
  ) => Io<ReadonlyArray<Rows.SubscriptionRow>>
}
/** @since 0.1.0 */
export interface SubscriptionWrites extends SubscriptionReads {
  /** If no subscription has this id or this (registrant scope id, registration key). */
  readonly insert: (row: Rows.SubscriptionRow) => Io<boolean>
  readonly setEnabled: (subscriptionId: string, enabled: boolean) => Io<void>
}

/** Trigger occurrences. @since 0.1.0 */
export interface OccurrenceReads {
  readonly read: (occurrenceId: string) => Io<Rows.OccurrenceRow | undefined>
}
/** @since 0.1.0 */
export interface OccurrenceWrites extends OccurrenceReads {
  /** If absent. */
  readonly insert: (row: Rows.OccurrenceRow) => Io<boolean>
}

/** Delivery reservations. @since 0.1.0 */
export interface DeliveryReads {
  /** The occurrence's reservations with their subscriptions, ascending handle number. */
  readonly ofOccurrence: (
    occurrenceId: string
  ) => Io<ReadonlyArray<{ readonly delivery: Rows.DeliveryRow; readonly subscription: Rows.SubscriptionRow }>>
  /**
   * Reservations whose process row does not exist, ordered by (reservedAtMs, occurrence id, handle number), at most
   * `limit`, each with its subscription and occurrence.
   */
  readonly unstarted: (limit: number) => Io<
    ReadonlyArray<{
      readonly delivery: Rows.DeliveryRow
      readonly subscription: Rows.SubscriptionRow
      readonly occurrence: Rows.OccurrenceRow
    }>
  >
}
/** @since 0.1.0 */
export interface DeliveryWrites extends DeliveryReads {
  /** If no reservation of (occurrence, subscription) exists. */
  readonly insert: (row: Rows.DeliveryRow) => Io<boolean>
}

/**
 * What a read unit sees: one consistent snapshot of the store.
 *
 * @since 0.1.0
 */
export interface ReadTransaction {
  /** The store's clock in epoch ms (Effect `Clock` for memory and SQLite, the database clock for Postgres). */
  readonly now: Io<number>
  /**
   * Optional, for a driver whose statements run synchronously: when `effect` is one of this transaction's own
   * statements, runs it now and answers its `Exit` (exactly what running the effect would do); `undefined` for any
   * other effect. The engine then runs a unit's statements as plain calls inside one step (storage/Steps.ts) instead
   * of one Effect step each.
   */
  readonly immediate?: <A, E>(effect: Effect.Effect<A, E, unknown>) => Exit.Exit<A, E> | undefined
  readonly sessions: SessionReads
  readonly nodes: NodeReads
  readonly stamps: StampReads
  readonly batches: BatchReads
  readonly processes: ProcessReads
  readonly events: EventReads
  readonly grants: GrantReads
  readonly envs: ContentReads
  readonly artifacts: ContentReads
  readonly journal: JournalReads
  readonly counters: CounterReads
  readonly subscriptions: SubscriptionReads
  readonly occurrences: OccurrenceReads
  readonly deliveries: DeliveryReads
}

/**
 * What a write unit sees: reads and writes, all applied together at the end of the unit or not at all.
 *
 * @since 0.1.0
 */
export interface WriteTransaction extends ReadTransaction {
  readonly sessions: SessionWrites
  readonly nodes: NodeWrites
  readonly stamps: StampWrites
  readonly batches: BatchWrites
  readonly processes: ProcessWrites
  readonly events: EventWrites
  readonly grants: GrantWrites
  readonly envs: ContentWrites
  readonly artifacts: ContentWrites
  readonly journal: JournalWrites
  readonly counters: CounterWrites
  readonly subscriptions: SubscriptionWrites
  readonly occurrences: OccurrenceWrites
  readonly deliveries: DeliveryWrites
  /**
   * Optional: tells other processes what this unit changed, delivered only if the unit commits (Postgres
   * `pg_notify` as the unit's last statement). The engine calls it once, at the end of a unit that changed something.
   */
  readonly announce?: (signals: ReadonlyArray<StorageSignal>) => Io<void>
}

/** Which port operation a unit serves (for error reports and spans). @since 0.1.0 */
export interface UnitName {
  readonly port: string
  readonly operation: string
}

/**
 * A storage driver.
 *
 * @since 0.1.0
 */
export interface StorageDriver {
  /** `StorageInfo.name`. */
  readonly name: string
  /** `"inline"` (gone with the process) or `"durable"` (survives a restart). */
  readonly tier: DurabilityTier
  /**
   * Runs `body` on one consistent snapshot. The body may run again if the driver retries (it has no side effects
   * outside the transaction).
   */
  readonly read: <A, E>(unit: UnitName, body: (tx: ReadTransaction) => Effect.Effect<A, E>) => Effect.Effect<
    A,
    E | StoreError
  >
  /**
   * Runs `body` as one atomic unit: every write of the body becomes visible together when it succeeds; a failure
   * (typed, defect or interruption) leaves the store as it was. Units touching the same rows are serialised. On
   * contention the driver may run the body again from the start; past its retry budget it fails with
   * `StoreConflict`.
   */
  readonly write: <A, E>(unit: UnitName, body: (tx: WriteTransaction) => Effect.Effect<A, E>) => Effect.Effect<
    A,
    E | StoreError
  >
  /** How the store survives failures, read from the live store. */
  readonly durabilityReport: Effect.Effect<DurabilityReport, StoreUnavailable>
  /**
   * Optional: changes made by other processes or handles (a SQLite `data_version` poller, a Postgres `LISTEN`).
   * Hints only; the engine republishes them to its waiters. A driver whose writers all live in this process omits it.
   */
  readonly changes?: Stream.Stream<StorageSignal>
}
