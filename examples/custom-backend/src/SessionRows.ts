/**
 * Sessions, graph nodes, turn stamps and queued batches as key-value rows. Each row is one JSON value; the indexes the
 * driver contract needs (a node by id, a session's open batches in order, a batch by source key) are keys of their own,
 * written in the same transaction as the row.
 *
 * @since 0.1.0
 */
import type { BatchRow, BatchWrites, NodeRow, NodeWrites, SessionRow, SessionWrites, StampWrites } from "@lash/core"
import { StorageEngine } from "@lash/core"
import { below, key, type KeyValueTransaction } from "./KeyValueTransaction.js"
import type { Sync } from "./Sync.js"

/**
 * Session heads at `session/<id>`.
 *
 * @since 0.1.0
 */
export const sessions = (tx: KeyValueTransaction): Sync<SessionWrites> => ({
  exists: (sessionId) => tx.get(key("session", sessionId)) !== undefined,
  read: (sessionId) => tx.get<SessionRow>(key("session", sessionId)),
  list: ({ after, limit }) => {
    const newestFirst = (a: Pick<SessionRow, "updatedAtMs" | "sessionId">, b: typeof a) =>
      b.updatedAtMs - a.updatedAtMs || StorageEngine.compareCodePoints(a.sessionId, b.sessionId)
    return tx.scan<SessionRow>(below("session"))
      .filter((row) => after === undefined || newestFirst(row, after) > 0)
      .sort(newestFirst)
      .slice(0, Math.max(0, limit))
  },
  insert: (row) => {
    if (tx.get(key("session", row.sessionId)) !== undefined) return false
    tx.put(key("session", row.sessionId), row)
    return true
  },
  updateHead: (update, expectedRevision) => {
    const row = tx.get<SessionRow>(key("session", update.sessionId))
    if (row === undefined || row.headRevision !== expectedRevision) return false
    tx.put(key("session", update.sessionId), { ...row, ...update })
    return true
  },
  setNextEnqueueSeq: (sessionId, next) => {
    const row = tx.get<SessionRow>(key("session", sessionId))
    if (row !== undefined) tx.put(key("session", sessionId), { ...row, nextEnqueueSeq: next })
  }
})

/**
 * Nodes at `node/<session>/<seq>`, and `node-id/<session>/<nodeId>` → seq.
 *
 * @since 0.1.0
 */
export const nodes = (tx: KeyValueTransaction): Sync<NodeWrites> => {
  const byId = (sessionId: string, nodeId: string) => {
    const seq = tx.get<number>(key("node-id", sessionId, nodeId))
    return seq === undefined ? undefined : tx.get<NodeRow>(key("node", sessionId, seq))
  }
  return {
    byId,
    inOrder: (sessionId, belowSeq) => tx.scan<NodeRow>(below("node", sessionId)).filter((row) => row.seq < belowSeq),
    insert: (row) => {
      if (byId(row.sessionId, row.nodeId) !== undefined || tx.get(key("node", row.sessionId, row.seq)) !== undefined) {
        return false
      }
      tx.put(key("node", row.sessionId, row.seq), row)
      tx.put(key("node-id", row.sessionId, row.nodeId), row.seq)
      return true
    }
  }
}

/**
 * Turn stamps at `stamp/<session>/<turnId>`.
 *
 * @since 0.1.0
 */
export const stamps = (tx: KeyValueTransaction): Sync<StampWrites> => ({
  read: (sessionId, turnId) => tx.get(key("stamp", sessionId, turnId)),
  insert: (row) => tx.put(key("stamp", row.sessionId, row.turnId), row)
})

/** A batch is claimable when available and under no live claim (live iff now < expiry). */
const claimableAt = (row: BatchRow, nowMs: number) =>
  row.availableAtMs <= nowMs && (row.claim === null || row.claim.expiresAtMs <= nowMs)

/**
 * Batches at `batch/<id>`; `open/<session>/<enqueueSeq>` → id while the batch is open; `source-key/<session>/<key>`
 * → id for keyed batches, tombstones included.
 *
 * @since 0.1.0
 */
export const batches = (tx: KeyValueTransaction): Sync<BatchWrites> => {
  const read = (batchId: string) => tx.get<BatchRow>(key("batch", batchId))
  const open = (sessionId: string) => tx.scan<string>(below("open", sessionId)).map((id) => read(id)!)
  const update = (batchId: string, change: (row: BatchRow) => BatchRow) => {
    const row = read(batchId)
    if (row !== undefined) tx.put(key("batch", batchId), change(row))
    return row
  }
  return {
    read,
    bySourceKey: (sessionId, sourceKey) => {
      const id = tx.get<string>(key("source-key", sessionId, sourceKey))
      return id === undefined ? undefined : read(id)
    },
    open,
    claimable: (sessionId, nowMs, limit) => open(sessionId).filter((row) => claimableAt(row, nowMs)).slice(0, limit),
    sessionsWithClaimable: (nowMs) => {
      const sessionIds = new Set<string>()
      for (const id of tx.scan<string>("open/")) {
        const row = read(id)!
        if (claimableAt(row, nowMs)) sessionIds.add(row.sessionId)
      }
      return [...sessionIds].sort(StorageEngine.compareCodePoints)
    },
    insert: (row) => {
      tx.put(key("batch", row.batchId), row)
      tx.put(key("open", row.sessionId, row.enqueueSeq), row.batchId)
      if (row.sourceKey !== null) tx.put(key("source-key", row.sessionId, row.sourceKey), row.batchId)
    },
    setClaim: (batchId, claim, claimFencing) => void update(batchId, (row) => ({ ...row, claim, claimFencing })),
    complete: (batchId) => {
      const row = update(batchId, (current) => ({ ...current, completed: true, claim: null }))
      if (row !== undefined) tx.delete(key("open", row.sessionId, row.enqueueSeq))
    },
    delete: (batchId) => {
      const row = read(batchId)
      if (row === undefined) return
      tx.delete(key("batch", batchId))
      tx.delete(key("open", row.sessionId, row.enqueueSeq))
      if (row.sourceKey !== null) tx.delete(key("source-key", row.sessionId, row.sourceKey))
    }
  }
}
