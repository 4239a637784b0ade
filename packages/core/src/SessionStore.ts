/**
 * The `SessionStore` port: the session graph, the per-turn `RuntimeCommit` and queued work.
 * Storage semantics per method: docs/storage-contract.md, "Session store"
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option } from "effect"
import type {
  HeadRevisionConflict,
  QueuedWorkClaimExpired,
  SessionBindingMismatch,
  SessionNotFound,
  StoreError,
  TurnCommitConflict
} from "./Errors.js"
import type { SessionId } from "./Identifiers.js"
import type { DurabilityTier, SessionPolicy } from "./Model.js"
import type {
  ClaimReadyRequest,
  QueuedListing,
  QueuedWorkBatch,
  QueuedWorkBatchDraft,
  QueuedWorkClaim
} from "./QueuedWork.js"
import type {
  PersistedSession,
  RuntimeCommit,
  RuntimeCommitResult,
  SessionHead,
  SessionNode,
  SessionRelation
} from "./Session.js"

/** The errors a commit may fail with, in the order the checks run. @since 0.1.0 */
export type CommitError =
  | StoreError
  | SessionNotFound
  | SessionBindingMismatch
  | TurnCommitConflict
  | HeadRevisionConflict
  | QueuedWorkClaimExpired

/** A `loadPath` request: the newest `limit` nodes of the leaf's ancestry. @since 0.1.0 */
export interface LoadPathRequest {
  readonly leafNodeId?: string
  readonly limit: number
  readonly beforeNodeId?: string
}

/** Where a page of `listSessions` continues: the last session of the previous page. @since 0.1.0 */
export interface SessionListCursor {
  readonly updatedAtMs: number
  readonly sessionId: SessionId
}

/** A session as `listSessions` lists it: what its head row says, without decoding its state. @since 0.1.0 */
export interface SessionSummary {
  readonly sessionId: SessionId
  readonly headRevision: number
  readonly nodeCount: number
  readonly createdAtMs: number
  /** The time of its last commit (its creation if it has none). */
  readonly updatedAtMs: number
}

/** A `listSessions` request. @since 0.1.0 */
export interface ListSessionsRequest {
  /** At most this many sessions (at least 1). */
  readonly limit: number
  /** Continue after this session (the `next` of the previous page). */
  readonly after?: SessionListCursor
}

/** The service shape of {@link SessionStore}. @since 0.1.0 */
export interface SessionStoreService {
  readonly tier: DurabilityTier
  /** Insert-if-absent; a repeat keeps the first writer's relation and config. */
  create(req: {
    readonly sessionId: SessionId
    readonly relation: SessionRelation
    readonly policy: SessionPolicy
  }): Effect.Effect<void, StoreError>
  /**
   * One page of every session, newest activity first (`updatedAtMs` descending, ties by session id); `next` is set
   * when more sessions follow. Decodes no session state, so a corrupt head does not hide the others.
   */
  listSessions(
    req: ListSessionsRequest
  ): Effect.Effect<
    { readonly sessions: ReadonlyArray<SessionSummary>; readonly next?: SessionListCursor },
    StoreError
  >
  /** Never creates. */
  exists(sessionId: SessionId): Effect.Effect<boolean, StoreError>
  /** `None` = never created; revision 0 = created, never committed. */
  load(sessionId: SessionId): Effect.Effect<Option.Option<PersistedSession>, StoreError>
  /** `load` without nodes; its cost is independent of history length. */
  loadHead(sessionId: SessionId): Effect.Effect<Option.Option<SessionHead>, StoreError>
  /** The newest `limit` nodes of the leaf's ancestry, root first. */
  loadPath(
    sessionId: SessionId,
    req: LoadPathRequest
  ): Effect.Effect<
    { readonly nodes: ReadonlyArray<SessionNode>; readonly hasMore: boolean },
    StoreError | SessionNotFound
  >
  /** One atomic unit: binding → stamp dedupe → head CAS → claim fencing → writes. */
  commit(c: RuntimeCommit): Effect.Effect<RuntimeCommitResult, CommitError>
  /** Idempotent on `(sessionId, sourceKey)`, also after the batch was consumed. */
  enqueue(draft: QueuedWorkBatchDraft): Effect.Effect<QueuedWorkBatch, StoreError | SessionNotFound>
  claimReady(req: ClaimReadyRequest): Effect.Effect<Option.Option<QueuedWorkClaim>, StoreError>
  renewClaim(claim: QueuedWorkClaim, ttlMs: number): Effect.Effect<QueuedWorkClaim, StoreError | QueuedWorkClaimExpired>
  /** No-op if the claim was already taken over. */
  abandonClaim(claim: QueuedWorkClaim): Effect.Effect<void, StoreError>
  /** Every open batch, claimed or not, in enqueue order. */
  listQueued(sessionId: SessionId): Effect.Effect<ReadonlyArray<QueuedWorkBatch>, StoreError>
  /** {@link listQueued}, naming the open batch rows that do not decode, from one snapshot. */
  queuedListing(sessionId: SessionId): Effect.Effect<QueuedListing, StoreError>
  /** Open batches not under a live claim, in enqueue order. */
  listPending(sessionId: SessionId): Effect.Effect<ReadonlyArray<QueuedWorkBatch>, StoreError>
  /** Sessions with available, unclaimed work, code-point sorted. */
  listSessionsWithPendingWork(): Effect.Effect<ReadonlyArray<SessionId>, StoreError>
}

/**
 * The session store port.
 *
 * @since 0.1.0
 */
export class SessionStore extends Context.Tag("@lash/core/SessionStore")<SessionStore, SessionStoreService>() {}
