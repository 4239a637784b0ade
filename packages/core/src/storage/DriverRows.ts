/**
 * The rows a storage driver keeps: one interface per record kind. Every domain value travels as the canonical JSON
 * text the engine encodes (`json` fields, with the `recordVersion` it was written with) next to the few projected
 * columns the driver needs to look rows up, order them and test predicates without decoding anything.
 *
 * A driver stores these fields and returns them unchanged. It never parses the JSON, never computes a hash, a token
 * or an id, and never decides anything: docs/storage-drivers.md.
 *
 * @since 0.1.0
 */

/** A session's head row: the encoded `SessionHead` plus its counters. @since 0.1.0 */
export interface SessionRow {
  readonly sessionId: string
  readonly headJson: string
  readonly recordVersion: number
  /** Equal to the head's revision; the commit's compare-and-set reads and guards it without decoding. */
  readonly headRevision: number
  /** Equal to the head's node count; nodes have seq 0 .. nodeCount - 1. */
  readonly nodeCount: number
  /** The `enqueueSeq` the next batch of this session gets (starts at 1). */
  readonly nextEnqueueSeq: number
  readonly createdAtMs: number
  readonly updatedAtMs: number
}

/** One node of a session graph, in append order (`seq` dense from 0). @since 0.1.0 */
export interface NodeRow {
  readonly sessionId: string
  readonly seq: number
  readonly nodeId: string
  readonly parentNodeId: string | null
  readonly nodeJson: string
  readonly recordVersion: number
}

/** A turn stamp: the hash of a committed turn and the result it returned. @since 0.1.0 */
export interface StampRow {
  readonly sessionId: string
  readonly turnId: string
  readonly hash: string
  readonly resultJson: string
  readonly committedAtMs: number
}

/** The claim columns of a queued batch. @since 0.1.0 */
export interface BatchClaim {
  readonly claimId: string
  readonly token: string
  readonly expiresAtMs: number
}

/** A queued batch. Keyed batches stay as completed tombstones; unkeyed ones are deleted on completion. @since 0.1.0 */
export interface BatchRow {
  readonly batchId: string
  readonly sessionId: string
  readonly enqueueSeq: number
  readonly sourceKey: string | null
  readonly availableAtMs: number
  readonly batchJson: string
  readonly recordVersion: number
  readonly completed: boolean
  readonly claim: BatchClaim | null
  /** Bumped by every claim of this batch, never reset. */
  readonly claimFencing: number
}

/**
 * The lease columns of a process row. A lease is held iff `ownerId` is set and `now < expiresAtMs`; the fencing
 * token only grows. The capability token is not stored: the engine derives it from (process, owner, fencing).
 *
 * @since 0.1.0
 */
export interface LeaseColumns {
  readonly ownerId: string | null
  readonly fencing: number
  readonly claimedAtMs: number
  readonly expiresAtMs: number
}

/** A process row: the encoded `ProcessRecord`, its event counter, its lease and two projections. @since 0.1.0 */
export interface ProcessRow {
  readonly processId: string
  readonly registrationHash: string
  readonly recordJson: string
  readonly recordVersion: number
  /** True once the status is terminal. */
  readonly terminal: boolean
  /** True for `external` processes (never leased by a worker). */
  readonly external: boolean
  readonly lastEventSeq: number
  readonly lease: LeaseColumns
  readonly createdAtMs: number
  readonly updatedAtMs: number
}

/** What an event append changes on its process row. @since 0.1.0 */
export interface ProcessRecordUpdate {
  readonly processId: string
  readonly recordJson: string
  readonly recordVersion: number
  readonly terminal: boolean
  readonly lastEventSeq: number
  readonly updatedAtMs: number
}

/** One event of a process log (`sequence` dense from 1). @since 0.1.0 */
export interface EventRow {
  readonly processId: string
  readonly sequence: number
  readonly eventType: string
  readonly replayKey: string | null
  readonly eventJson: string
  readonly recordVersion: number
}

/** A handle grant: a session scope may use a process handle. @since 0.1.0 */
export interface GrantRow {
  readonly scopeId: string
  readonly processId: string
  readonly descriptorJson: string
  readonly grantedAtMs: number
}

/** A content-addressed row (an execution env or a module artifact): first write wins. @since 0.1.0 */
export interface ContentRow {
  readonly ref: string
  readonly json: string
  readonly recordVersion: number
  readonly createdAtMs: number
}

/** A recorded effect outcome. @since 0.1.0 */
export interface JournalRow {
  readonly scopeId: string
  readonly replayKey: string
  readonly entryJson: string
  readonly recordVersion: number
  readonly recordedAtMs: number
}

/** A trigger subscription with its projected lookup columns. @since 0.1.0 */
export interface SubscriptionRow {
  readonly subscriptionId: string
  readonly handle: string
  readonly handleNo: number
  readonly registrantScopeId: string
  readonly registrantSessionId: string | null
  readonly registrationKey: string
  readonly draftHash: string
  readonly name: string | null
  readonly sourceType: string
  readonly sourceKey: string
  /** The live flag: `cancel` clears it without rewriting the record. */
  readonly enabled: boolean
  readonly recordJson: string
  readonly recordVersion: number
  readonly createdAtMs: number
}

/** A recorded trigger occurrence. @since 0.1.0 */
export interface OccurrenceRow {
  readonly occurrenceId: string
  readonly contentHash: string
  readonly recordJson: string
  readonly recordVersion: number
}

/** A reserved delivery of an occurrence to one subscription (its process id is deterministic). @since 0.1.0 */
export interface DeliveryRow {
  readonly occurrenceId: string
  readonly subscriptionId: string
  readonly processId: string
  readonly handleNo: number
  readonly reservedAtMs: number
  /** Allocated from the `reservation_seq` counter: the order of reservations across occurrences. */
  readonly seq: number
}

/** The named counters a driver keeps (both start at 0). @since 0.1.0 */
export type CounterName = "trigger_handle" | "reservation_seq"
