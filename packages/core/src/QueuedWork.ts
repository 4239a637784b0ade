/**
 * Queued work: durable, session-scoped ingress, claimed under a short lease and completed inside a commit.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { BatchId, ClaimId, SessionId } from "./Identifiers.js"
import { Json, opt } from "./Json.js"
import { ProcessWakeDelivery, type UnreadableRecord } from "./Process.js"
import { TurnInput } from "./Turn.js"

/** One payload of a queued batch. @since 0.1.0 */
export const QueuedWorkPayload = Schema.Union(
  Schema.Struct({ type: Schema.Literal("turn_input"), input: TurnInput }),
  Schema.Struct({ type: Schema.Literal("process_wake"), wake: ProcessWakeDelivery }),
  Schema.Struct({ type: Schema.Literal("session_command"), command: Json })
)
/** @since 0.1.0 */
export type QueuedWorkPayload = typeof QueuedWorkPayload.Type

const MergeKey = Schema.Union(
  Schema.Struct({ type: Schema.Literal("never") }),
  Schema.Struct({ type: Schema.Literal("payload_default") }),
  Schema.Struct({ type: Schema.Literal("group"), key: Schema.String })
)

const batchMeta = {
  sessionId: SessionId,
  sourceKey: opt(Schema.String),
  deliveryPolicy: Schema.Literal("earliest_safe_boundary", "after_current_turn_commit"),
  slotPolicy: Schema.Literal("join", "exclusive"),
  mergeKey: MergeKey,
  availableAtMs: Schema.NonNegativeInt
}

/** A batch to enqueue. @since 0.1.0 */
export const QueuedWorkBatchDraft = Schema.Struct({ ...batchMeta, payloads: Schema.Array(QueuedWorkPayload) })
/** @since 0.1.0 */
export interface QueuedWorkBatchDraft extends Schema.Schema.Type<typeof QueuedWorkBatchDraft> {}

/** A stored batch. @since 0.1.0 */
export const QueuedWorkBatch = Schema.Struct({
  ...batchMeta,
  batchId: BatchId,
  enqueueSeq: Schema.Int.pipe(Schema.positive()),
  enqueuedAtMs: Schema.NonNegativeInt,
  items: Schema.Array(Schema.Struct({ itemId: Schema.String, payload: QueuedWorkPayload }))
})
/** @since 0.1.0 */
export interface QueuedWorkBatch extends Schema.Schema.Type<typeof QueuedWorkBatch> {}

/** A claim over a prefix of a session's queue. @since 0.1.0 */
export const QueuedWorkClaim = Schema.Struct({
  sessionId: SessionId,
  claimId: ClaimId,
  ownerId: Schema.String,
  leaseToken: Schema.String,
  fencingToken: Schema.Int.pipe(Schema.positive()),
  claimedAtMs: Schema.NonNegativeInt,
  expiresAtMs: Schema.NonNegativeInt,
  batches: Schema.Array(QueuedWorkBatch)
})
/** @since 0.1.0 */
export interface QueuedWorkClaim extends Schema.Schema.Type<typeof QueuedWorkClaim> {}

/**
 * An open batch row a listing could not decode, named by row key and reason, with the columns stored beside the record.
 * `setAside`: a claim met it and set it aside, so it is never claimed again (docs/architecture.md, "Poison rows").
 * @since 0.1.0
 */
export interface UnreadableBatch extends UnreadableRecord {
  readonly batchId: BatchId
  readonly enqueueSeq: number
  readonly sourceKey: string | null
  readonly setAside: boolean
}

/** A session's open batches in enqueue order: those that decode, and the rows that do not, named. @since 0.1.0 */
export interface QueuedListing {
  readonly batches: ReadonlyArray<QueuedWorkBatch>
  readonly unreadable: ReadonlyArray<UnreadableBatch>
}

/** A `claimReady` request. @since 0.1.0 */
export interface ClaimReadyRequest {
  readonly sessionId: SessionId
  readonly ownerId: string
  readonly boundary: "idle" | "active_turn_checkpoint"
  readonly ttlMs: number
  readonly maxBatches: number
}
