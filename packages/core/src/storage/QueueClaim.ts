/**
 * Queue-claim selection and fencing, written once (docs/architecture.md, "Wakes and queued work"): which prefix of a
 * session's queue one claim takes, the claim's id and tokens, and when a claim still owns its batches.
 *
 * - Candidates are the session's open, available batches under no live claim, in `enqueueSeq` order (the driver's
 *   `batches.claimable`). At `active_turn_checkpoint` only an `earliest_safe_boundary` head is claimable; an exclusive
 *   head is claimed alone; a join head takes the adjacent joins with the same delivery policy and merge key.
 * - The claim's fencing token is the head row's stored claim fencing + 1; every claimed row's fencing is bumped.
 * - Ownership is by token, not by time: a commit completes a claim whose rows are open, in the commit's session and
 *   still carry the claim id and token, even after expiry if nobody took them over. Renewal needs them live too.
 *
 * @since 0.1.0
 */
import type { ClaimId, SessionId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { QueuedWorkBatch, QueuedWorkClaim } from "../QueuedWork.js"
import type { BatchClaim, BatchRow } from "./DriverRows.js"
import * as Lease from "./Lease.js"

/**
 * How many candidates past `maxBatches` a claim reads (a join prefix stops at the first batch that does not join).
 *
 * @since 0.1.0
 */
export const CANDIDATE_SLACK = 32

const mergeKeyOf = (batch: QueuedWorkBatch): string | undefined => {
  switch (batch.mergeKey.type) {
    case "never":
      return undefined
    case "group":
      return `group:${batch.mergeKey.key}`
    case "payload_default":
      return `payload:${batch.items[0]?.payload.type ?? ""}`
  }
}

/**
 * The prefix of `candidates` one claim takes (empty: nothing to claim).
 *
 * @since 0.1.0
 */
export const selectPrefix = (
  candidates: ReadonlyArray<QueuedWorkBatch>,
  boundary: "idle" | "active_turn_checkpoint",
  maxBatches: number
): ReadonlyArray<QueuedWorkBatch> => {
  const head = candidates[0]
  if (head === undefined || maxBatches <= 0) return []
  if (boundary === "active_turn_checkpoint" && head.deliveryPolicy !== "earliest_safe_boundary") return []
  if (head.slotPolicy === "exclusive") return [head]
  const key = mergeKeyOf(head)
  const out: Array<QueuedWorkBatch> = [head]
  if (key === undefined) return out
  for (const next of candidates.slice(1)) {
    if (out.length >= maxBatches) break
    if (next.slotPolicy !== "join" || next.deliveryPolicy !== head.deliveryPolicy || mergeKeyOf(next) !== key) break
    out.push(next)
  }
  return out
}

/**
 * The claim over `batches` (already selected), fenced by the head row's stored claim fencing + 1.
 *
 * @since 0.1.0
 */
export const make = (p: {
  readonly sessionId: SessionId
  readonly ownerId: string
  readonly batches: ReadonlyArray<QueuedWorkBatch>
  readonly headStoredFencing: number
  readonly nowMs: number
  readonly ttlMs: number
}): QueuedWorkClaim => {
  const head = p.batches[0]!
  const fencingToken = p.headStoredFencing + 1
  const claimId: ClaimId = Ids.claimId(head.enqueueSeq, fencingToken)
  return {
    sessionId: p.sessionId,
    claimId,
    ownerId: p.ownerId,
    leaseToken: Ids.claimLeaseToken(p.sessionId, claimId, p.ownerId, fencingToken),
    fencingToken,
    claimedAtMs: p.nowMs,
    expiresAtMs: Lease.expiry(p.nowMs, p.ttlMs),
    batches: p.batches
  }
}

/**
 * The claim columns every row of `claim` is stamped with.
 *
 * @since 0.1.0
 */
export const columns = (claim: QueuedWorkClaim): BatchClaim => ({
  claimId: claim.claimId,
  token: claim.leaseToken,
  expiresAtMs: claim.expiresAtMs
})

/**
 * True when the row is open and under no live claim at `nowMs` (it may be claimed).
 *
 * @since 0.1.0
 */
export const isFree = (row: BatchRow, nowMs: number): boolean =>
  !row.completed && (row.claim === null || !Lease.isLive(row.claim.expiresAtMs, nowMs))

/**
 * True when the row belongs to the claim `(claimId, token)` of `sessionId` and is still open (ownership by token).
 *
 * @since 0.1.0
 */
export const owns = (
  row: BatchRow | undefined,
  sessionId: string,
  claim: { readonly claimId: string; readonly leaseToken: string }
): row is BatchRow =>
  row !== undefined && row.sessionId === sessionId && !row.completed && row.claim !== null &&
  row.claim.claimId === claim.claimId && row.claim.token === claim.leaseToken

/**
 * True when the row still carries the claim and the claim is live at `nowMs` (renewal).
 *
 * @since 0.1.0
 */
export const ownsLive = (row: BatchRow | undefined, claim: QueuedWorkClaim, nowMs: number): row is BatchRow =>
  owns(row, claim.sessionId, claim) && Lease.isLive(row.claim!.expiresAtMs, nowMs)

/**
 * True when the row carries the claim, live or not (an abandon of anything else is a no-op).
 *
 * @since 0.1.0
 */
export const carries = (row: BatchRow | undefined, claim: QueuedWorkClaim): row is BatchRow =>
  row !== undefined && row.claim !== null && row.claim.claimId === claim.claimId &&
  row.claim.token === claim.leaseToken

/**
 * True when the row is pending: open and not under a live claim (expired claims count as pending).
 *
 * @since 0.1.0
 */
export const isPending = (row: BatchRow, nowMs: number): boolean =>
  row.claim === null || !Lease.isLive(row.claim.expiresAtMs, nowMs)
