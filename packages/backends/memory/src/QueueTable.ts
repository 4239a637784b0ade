/**
 * The memory store's queued batches, with an index of each session's open batches and of source keys.
 *
 * @since 0.1.0
 */
import { type BatchRow, type BatchWrites, StorageEngine } from "@lash/core"
import { Effect } from "effect"
import { type MemoryStore, pairKey, writing } from "./MemoryStore.js"

const byEnqueueSeq = (a: BatchRow, b: BatchRow) => a.enqueueSeq - b.enqueueSeq

/** A claim is live iff `now < expiresAtMs`; a batch under none is claimable once available. */
const claimableAt = (row: BatchRow, nowMs: number) =>
  row.availableAtMs <= nowMs && (row.claim === null || row.claim.expiresAtMs <= nowMs)

/**
 * The batches table.
 *
 * @since 0.1.0
 */
export const batchTable = (store: MemoryStore): BatchWrites => {
  const { batchBySourceKey, batches, openBatches } = store.tables
  const openOf = (sessionId: string): Array<BatchRow> => {
    const ids = openBatches.get(sessionId)
    if (ids === undefined) return []
    const rows: Array<BatchRow> = []
    for (const id of ids.keys()) rows.push(batches.get(id)!)
    return rows.sort(byEnqueueSeq)
  }
  const replace = (batchId: string, change: (row: BatchRow) => BatchRow) => {
    const row = batches.get(batchId)
    if (row !== undefined) writing(store).set(batches, batchId, change(row))
  }
  const close = (row: BatchRow) => {
    const open = openBatches.get(row.sessionId)
    if (open !== undefined) writing(store).delete(open, row.batchId)
  }
  return {
    read: (batchId) => Effect.sync(() => batches.get(batchId)),
    bySourceKey: (sessionId, sourceKey) =>
      Effect.sync(() => {
        const id = batchBySourceKey.get(pairKey(sessionId, sourceKey))
        return id === undefined ? undefined : batches.get(id)
      }),
    open: (sessionId) => Effect.sync(() => openOf(sessionId)),
    claimable: (sessionId, nowMs, limit) =>
      Effect.sync(() => openOf(sessionId).filter((row) => claimableAt(row, nowMs)).slice(0, Math.max(0, limit))),
    sessionsWithClaimable: (nowMs) =>
      Effect.sync(() => {
        const sessions: Array<string> = []
        for (const [sessionId, ids] of openBatches) {
          for (const id of ids.keys()) {
            if (claimableAt(batches.get(id)!, nowMs)) {
              sessions.push(sessionId)
              break
            }
          }
        }
        return sessions.sort(StorageEngine.compareCodePoints)
      }),
    insert: (row) =>
      Effect.sync(() => {
        const log = writing(store)
        log.set(batches, row.batchId, row)
        log.set(log.inner(openBatches, row.sessionId), row.batchId, true)
        if (row.sourceKey !== null) log.set(batchBySourceKey, pairKey(row.sessionId, row.sourceKey), row.batchId)
      }),
    setClaim: (batchId, claim, claimFencing) =>
      Effect.sync(() => replace(batchId, (row) => ({ ...row, claim, claimFencing }))),
    complete: (batchId) =>
      Effect.sync(() => {
        const row = batches.get(batchId)
        if (row === undefined) return
        writing(store).set(batches, batchId, { ...row, completed: true, claim: null })
        close(row)
      }),
    delete: (batchId) =>
      Effect.sync(() => {
        const row = batches.get(batchId)
        if (row === undefined) return
        const log = writing(store)
        log.delete(batches, batchId)
        close(row)
        if (row.sourceKey !== null) log.delete(batchBySourceKey, pairKey(row.sessionId, row.sourceKey))
      })
  }
}
