/**
 * The `StoreInspector` service: what an operator asks of a store that no runtime path needs (a process's lease, row
 * counts, an integrity check of every row). Every backend built on the storage engine provides it next to the storage
 * ports; a backend that implements the ports directly may not, so callers look it up with `Effect.serviceOption`.
 * Used by the `lash` command line (packages/cli, docs/operations.md).
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { ProcessNotFound, SessionNotFound, StoreError } from "./Errors.js"
import type { ProcessId, SessionId } from "./Identifiers.js"
import type { ProcessRecord } from "./Process.js"
import type { QueuedWorkBatch, UnreadableBatch } from "./QueuedWork.js"

/** A process with the storage columns its record does not carry. @since 0.1.0 */
export interface ProcessInspection {
  readonly record: ProcessRecord
  /** The lease as stored; `ownerId` null when nobody holds it. A lease is live while `expiresAtMs` > now. */
  readonly lease: {
    readonly ownerId: string | null
    readonly fencingToken: number
    readonly claimedAtMs: number
    readonly expiresAtMs: number
  }
  readonly lastEventSequence: number
  /** The store's clock when this was read (to tell a live lease from an expired one). */
  readonly readAtMs: number
}

/** An open queued batch with the claim columns its record does not carry. @since 0.1.0 */
export interface QueuedBatchInspection {
  readonly batch: QueuedWorkBatch
  /** The last claim taken on it (null when never claimed or released); live while `expiresAtMs` > now. */
  readonly claim: { readonly claimId: string; readonly expiresAtMs: number } | null
  /** Bumped by every claim of the batch. */
  readonly claimFencing: number
}

/** Row counts of a store. @since 0.1.0 */
export interface StoreStats {
  readonly sessions: number
  readonly graphNodes: number
  readonly openQueuedBatches: number
  readonly processesRunning: number
  readonly processesTerminal: number
  readonly processEvents: number
  readonly triggerSubscriptions: number
  readonly unstartedDeliveries: number
}

/** One problem `check` found, named by the key of the row it is about (`RecordCodec.RecordKeys`). @since 0.1.0 */
export interface IntegrityProblem {
  readonly key: string
  readonly problem: string
}

/** What `check` looked at and what it found. @since 0.1.0 */
export interface IntegrityReport {
  readonly checked: {
    readonly sessions: number
    readonly graphNodes: number
    readonly queuedBatches: number
    readonly processes: number
    readonly processEvents: number
    readonly triggerSubscriptions: number
  }
  readonly problems: ReadonlyArray<IntegrityProblem>
}

/** Progress of `check`: `done` of `total` top-level records (sessions, processes, subscriptions). @since 0.1.0 */
export interface IntegrityProgress {
  readonly done: number
  readonly total: number
}

/** The service shape of {@link StoreInspector}. @since 0.1.0 */
export interface StoreInspectorService {
  /** The process, its lease columns and the sequence of its last event. */
  process(id: ProcessId): Effect.Effect<ProcessInspection, StoreError | ProcessNotFound>
  /** The session's open batches in enqueue order, with their claims; the rows that do not decode are named. */
  queue(sessionId: SessionId): Effect.Effect<
    {
      readonly batches: ReadonlyArray<QueuedBatchInspection>
      readonly unreadable: ReadonlyArray<UnreadableBatch>
      readonly readAtMs: number
    },
    StoreError | SessionNotFound
  >
  /** Counts every kind of row (reads the whole store, one short read unit at a time). */
  readonly stats: Effect.Effect<StoreStats, StoreError>
  /**
   * Every row decodes, every reference resolves (a node's parent, a head's leaf, a child's parent session, a
   * process's session, env and events, a subscription's session) and every head matches its graph. Reads in short
   * units, so writers are never held up; a store changing meanwhile can show a transient problem, which a second run
   * tells apart. Problems are returned, never failed with.
   */
  check(options?: {
    readonly onProgress?: (progress: IntegrityProgress) => Effect.Effect<void>
  }): Effect.Effect<IntegrityReport, StoreError>
}

/**
 * The operator's view of a store, provided by every engine-built backend.
 *
 * @since 0.1.0
 */
export class StoreInspector extends Context.Tag("@lash/core/StoreInspector")<StoreInspector, StoreInspectorService>() {}
