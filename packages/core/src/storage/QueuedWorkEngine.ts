/**
 * The queued-work half of the `SessionStore` port over a driver: enqueue (idempotent on the source key for the life of
 * the session), claims, renewals, abandons and the pending listings. Claim selection and fencing are `QueueClaim`'s.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option } from "effect"
import { QueuedWorkClaimExpired, SessionNotFound } from "../Errors.js"
import type { SessionId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import { QueuedWorkBatch, type QueuedWorkBatchDraft, type QueuedWorkClaim } from "../QueuedWork.js"
import type { SessionStoreService } from "../SessionStore.js"
import type { ReadTransaction, WriteTransaction } from "./Driver.js"
import type { BatchRow } from "./DriverRows.js"
import * as Lease from "./Lease.js"
import * as Quarantine from "./Quarantine.js"
import * as QueueClaim from "./QueueClaim.js"
import * as RecordCodec from "./RecordCodec.js"
import type { Unit, Units } from "./Unit.js"

const PORT = "SessionStore"

const batchOf = (row: BatchRow) =>
  RecordCodec.decodeEither(
    QueuedWorkBatch,
    PORT,
    RecordCodec.RecordKeys.batch(row.sessionId, row.batchId),
    row.batchJson,
    row.recordVersion
  )

/**
 * The stored batch a draft becomes with its allocated `enqueueSeq`.
 *
 * @since 0.1.0
 */
export const newBatch = (draft: QueuedWorkBatchDraft, enqueueSeq: number, nowMs: number): QueuedWorkBatch => {
  const batchId = Ids.batchId(draft.sessionId, draft.sourceKey, enqueueSeq)
  const { payloads, ...meta } = draft
  return {
    ...meta,
    batchId,
    enqueueSeq,
    enqueuedAtMs: nowMs,
    items: payloads.map((payload, i) => ({ itemId: `${batchId}:item:${i}`, payload }))
  }
}

/**
 * Enqueues inside a write unit (also the atomic wake enqueue of an event append): `None` when the session does not
 * exist; a keyed draft whose key was seen returns the stored batch, consumed or not.
 *
 * @since 0.1.0
 */
export const enqueueIn = (
  unit: Unit<WriteTransaction>,
  draft: QueuedWorkBatchDraft
) =>
  Effect.gen(function*() {
    const { tx } = unit
    const session = yield* tx.sessions.read(draft.sessionId)
    if (session === undefined) return Option.none<QueuedWorkBatch>()
    if (draft.sourceKey !== undefined) {
      const existing = yield* tx.batches.bySourceKey(draft.sessionId, draft.sourceKey)
      if (existing !== undefined) return Option.some(yield* RecordCodec.orFail(batchOf(existing)))
    }
    const nowMs = yield* unit.now
    const seq = session.nextEnqueueSeq
    const batch = newBatch(draft, seq, nowMs)
    yield* tx.sessions.setNextEnqueueSeq(draft.sessionId, seq + 1)
    yield* tx.batches.insert({
      batchId: batch.batchId,
      sessionId: draft.sessionId,
      enqueueSeq: seq,
      sourceKey: draft.sourceKey ?? null,
      availableAtMs: draft.availableAtMs,
      batchJson: RecordCodec.encode(QueuedWorkBatch, batch),
      recordVersion: RecordCodec.RECORD_VERSION,
      completed: false,
      claim: null,
      claimFencing: 0
    })
    unit.signal({ kind: "queue_changed", sessionId: draft.sessionId })
    return Option.some(batch)
  })

/**
 * A session's open batch rows in enqueue order, each readable one with its decoded batch, and the rows that do not
 * decode, named (`Quarantine.unreadableBatch`). Shared by `queuedListing` and the inspector's `queue`.
 *
 * @since 0.1.0
 */
export const openBatchesIn = (tx: ReadTransaction, sessionId: SessionId) =>
  Effect.gen(function*() {
    const rows = yield* tx.batches.open(sessionId)
    const { readable, unreadable } = yield* RecordCodec.partitionListing(
      rows,
      (row) => Either.map(batchOf(row), (batch) => ({ row, batch }))
    )
    return { readable, unreadable: unreadable.map(([row, corrupt]) => Quarantine.unreadableBatch(row, corrupt)) }
  })

const queuedListing = (units: Units, sessionId: SessionId) =>
  units.read(
    PORT,
    "listQueued",
    (unit) =>
      Effect.map(openBatchesIn(unit.tx, sessionId), ({ readable, unreadable }) => ({
        batches: readable.map((entry) => entry.batch),
        unreadable
      }))
  )

/**
 * The queued-work methods of the session store.
 *
 * @since 0.1.0
 */
export const make = (
  units: Units
): Pick<
  SessionStoreService,
  | "enqueue"
  | "claimReady"
  | "renewClaim"
  | "abandonClaim"
  | "listQueued"
  | "queuedListing"
  | "listPending"
  | "listSessionsWithPendingWork"
> => ({
  enqueue: (draft) =>
    units.write(PORT, "enqueue", (unit) =>
      Effect.flatMap(enqueueIn(unit, draft), (batch) =>
        Option.isSome(batch)
          ? Effect.succeed(batch.value)
          : Effect.fail(new SessionNotFound({ sessionId: draft.sessionId })))),

  claimReady: (req) =>
    req.maxBatches <= 0 ?
      Effect.succeed(Option.none()) :
      units.write(PORT, "claimReady", (unit) =>
        Effect.gen(function*() {
          const { tx } = unit
          // The session row first: claimers of one session take turns (a shared store locks it), others never wait.
          if (!(yield* tx.sessions.exists(req.sessionId))) return Option.none<QueuedWorkClaim>()
          const nowMs = yield* unit.now
          const rows = yield* tx.batches.claimable(req.sessionId, nowMs, req.maxBatches + QueueClaim.CANDIDATE_SLACK)
          const rowById = new Map(rows.map((row) => [row.batchId, row]))
          const { readable: candidates, unreadable } = yield* RecordCodec.partitionListing(rows, batchOf)
          // A batch that does not decode is set aside in this unit: never a candidate again (docs/architecture.md,
          // "Poison rows"); the batches after it are claimed as if it were not there.
          for (const [row] of unreadable) {
            yield* tx.batches.setClaim(row.batchId, Quarantine.batchSetAside, row.claimFencing + 1)
          }
          const chosen = QueueClaim.selectPrefix(candidates, req.boundary, req.maxBatches)
          if (chosen.length === 0) return Option.none<QueuedWorkClaim>()
          const claim = QueueClaim.make({
            sessionId: req.sessionId,
            ownerId: req.ownerId,
            batches: chosen,
            headStoredFencing: rowById.get(chosen[0]!.batchId)!.claimFencing,
            nowMs,
            ttlMs: req.ttlMs
          })
          const columns = QueueClaim.columns(claim)
          for (const batch of chosen) {
            const row = rowById.get(batch.batchId)!
            yield* tx.batches.setClaim(row.batchId, columns, row.claimFencing + 1)
          }
          return Option.some(claim)
        })),

  renewClaim: (claim, ttlMs) =>
    units.write(PORT, "renewClaim", (unit) =>
      Effect.gen(function*() {
        const { tx } = unit
        const nowMs = yield* unit.now
        const rows: Array<BatchRow> = []
        for (const batch of claim.batches) {
          const row = yield* tx.batches.read(batch.batchId)
          if (!QueueClaim.ownsLive(row, claim, nowMs)) {
            return yield* Effect.fail(
              new QueuedWorkClaimExpired({ sessionId: claim.sessionId, claimId: claim.claimId })
            )
          }
          rows.push(row)
        }
        const renewed: QueuedWorkClaim = { ...claim, expiresAtMs: Lease.expiry(nowMs, ttlMs) }
        const columns = QueueClaim.columns(renewed)
        for (const row of rows) yield* tx.batches.setClaim(row.batchId, columns, row.claimFencing)
        return renewed
      })),

  abandonClaim: (claim) =>
    units.write(PORT, "abandonClaim", (unit) =>
      Effect.gen(function*() {
        const { tx } = unit
        let changed = false
        for (const batch of claim.batches) {
          const row = yield* tx.batches.read(batch.batchId)
          if (QueueClaim.carries(row, claim)) {
            yield* tx.batches.setClaim(row.batchId, null, row.claimFencing)
            changed = true
          }
        }
        if (changed) unit.signal({ kind: "queue_changed", sessionId: claim.sessionId })
      })),

  listQueued: (sessionId) => Effect.map(queuedListing(units, sessionId), (listed) => listed.batches),

  queuedListing: (sessionId) => queuedListing(units, sessionId),

  listPending: (sessionId) =>
    units.read(PORT, "listPending", (unit) =>
      Effect.gen(function*() {
        const nowMs = yield* unit.now
        const rows = yield* unit.tx.batches.open(sessionId)
        return yield* RecordCodec.decodeListing(rows.filter((row) => QueueClaim.isPending(row, nowMs)), batchOf)
      })),

  listSessionsWithPendingWork: () =>
    units.read(PORT, "listSessionsWithPendingWork", (unit) =>
      Effect.flatMap(
        unit.now,
        (nowMs) => Effect.map(unit.tx.batches.sessionsWithClaimable(nowMs), (ids) => ids as ReadonlyArray<SessionId>)
      ))
})
