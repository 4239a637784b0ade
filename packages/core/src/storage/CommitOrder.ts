/**
 * The commit check order, written once (docs/architecture.md, "The turn commit"): inside one write unit, the session
 * must exist → stamp dedupe → head compare-and-set → claim fencing, and only then the writes. A stamp with the same
 * hash returns the stored result without checking the rest and without writing anything.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import {
  HeadRevisionConflict,
  QueuedWorkClaimExpired,
  SessionBindingMismatch,
  SessionNotFound,
  TurnCommitConflict
} from "../Errors.js"
import type { CompletedClaim, RuntimeCommit, RuntimeCommitResult, SessionHead } from "../Session.js"
import type { CommitError } from "../SessionStore.js"
import * as Steps from "./Steps.js"

/** What the checks read; each reader runs inside the commit's write unit. @since 0.1.0 */
export interface CommitReader<E> {
  /** The stored head revision, `None` when the session was never created. */
  readonly headRevision: Effect.Effect<Option.Option<number>, E>
  /** The session id a single-session store is bound to (multi-session stores omit it). */
  readonly boundSessionId?: string
  /** The stored stamp of `(sessionId, turnId)`. */
  readonly stamp: (
    turnId: string
  ) => Effect.Effect<Option.Option<{ readonly hash: string; readonly result: RuntimeCommitResult }>, E>
  /** True when the claim still owns every batch of the completion (open, in this session, same id and token). */
  readonly claimOwnsAll: (completion: CompletedClaim) => Effect.Effect<boolean, E>
}

/** The outcome of {@link check}. @since 0.1.0 */
export type CommitDecision =
  | { readonly type: "replay"; readonly result: RuntimeCommitResult }
  | { readonly type: "write"; readonly newRevision: number }

/**
 * Runs the checks in their binding order.
 *
 * @since 0.1.0
 */
export const check = <E>(
  commit: RuntimeCommit,
  reader: CommitReader<E>
): Effect.Effect<CommitDecision, E | CommitError> =>
  Steps.gen(function*() {
    const head = yield* reader.headRevision
    if (Option.isNone(head)) return yield* Effect.fail(new SessionNotFound({ sessionId: commit.sessionId }))
    if (reader.boundSessionId !== undefined && reader.boundSessionId !== commit.sessionId) {
      return yield* Effect.fail(
        new SessionBindingMismatch({ sessionId: commit.sessionId, storedSessionId: reader.boundSessionId })
      )
    }
    if (commit.turnStamp !== undefined) {
      const stamp = yield* reader.stamp(commit.turnStamp.turnId)
      if (Option.isSome(stamp)) {
        if (stamp.value.hash === commit.turnStamp.hash) return { type: "replay", result: stamp.value.result } as const
        return yield* Effect.fail(
          new TurnCommitConflict({ sessionId: commit.sessionId, turnId: commit.turnStamp.turnId })
        )
      }
    }
    if (head.value !== commit.expectedHeadRevision) {
      return yield* Effect.fail(
        new HeadRevisionConflict({
          sessionId: commit.sessionId,
          expected: commit.expectedHeadRevision,
          actual: head.value
        })
      )
    }
    for (const completion of commit.completedClaims) {
      if (!(yield* reader.claimOwnsAll(completion))) {
        return yield* Effect.fail(
          new QueuedWorkClaimExpired({ sessionId: commit.sessionId, claimId: completion.claimId })
        )
      }
    }
    return { type: "write", newRevision: head.value + 1 } as const
  })

/**
 * The head a passing commit writes over `head`: the commit's config, frames, checkpoint and leaf, the relation kept.
 *
 * @since 0.1.0
 */
export const nextHead = (
  commit: RuntimeCommit,
  head: Pick<SessionHead, "relation" | "leafNodeId" | "nodeCount">,
  newRevision: number
): SessionHead => {
  const appended = commit.graph.type === "append" ? commit.graph.nodes.length : 0
  const leaf = commit.graph.leafNodeId ?? head.leafNodeId
  return {
    sessionId: commit.sessionId,
    headRevision: newRevision,
    relation: head.relation,
    config: commit.config,
    frames: commit.frames,
    currentFrameId: commit.currentFrameId,
    checkpoint: commit.checkpoint,
    nodeCount: head.nodeCount + appended,
    ...(leaf === undefined ? {} : { leafNodeId: leaf })
  }
}
