/**
 * The memory store's session tables: heads, graph nodes and turn stamps.
 *
 * @since 0.1.0
 */
import { type NodeWrites, type SessionRow, type SessionWrites, type StampWrites, StorageEngine } from "@lash/core"
import { Effect } from "effect"
import { type MemoryStore, pairKey, writing } from "./MemoryStore.js"

/**
 * The session heads.
 *
 * @since 0.1.0
 */
export const sessionTable = (store: MemoryStore): SessionWrites => {
  const { sessions } = store.tables
  return {
    exists: (sessionId) => Effect.sync(() => sessions.has(sessionId)),
    read: (sessionId) => Effect.sync(() => sessions.get(sessionId)),
    list: ({ after, limit }) =>
      Effect.sync(() => {
        const newestFirst = (a: Pick<SessionRow, "updatedAtMs" | "sessionId">, b: typeof a) =>
          b.updatedAtMs - a.updatedAtMs || StorageEngine.compareCodePoints(a.sessionId, b.sessionId)
        return [...sessions.values()]
          .filter((row) => after === undefined || newestFirst(row, after) > 0)
          .sort(newestFirst)
          .slice(0, Math.max(0, limit))
      }),
    insert: (row) =>
      Effect.sync(() => {
        if (sessions.has(row.sessionId)) return false
        writing(store).set(sessions, row.sessionId, row)
        return true
      }),
    updateHead: (update, expectedRevision) =>
      Effect.sync(() => {
        const current = sessions.get(update.sessionId)
        if (current === undefined || current.headRevision !== expectedRevision) return false
        writing(store).set(sessions, update.sessionId, { ...current, ...update })
        return true
      }),
    setNextEnqueueSeq: (sessionId, next) =>
      Effect.sync(() => {
        const current = sessions.get(sessionId)
        if (current !== undefined) writing(store).set(sessions, sessionId, { ...current, nextEnqueueSeq: next })
      })
  }
}

/**
 * The graph nodes (append-only).
 *
 * @since 0.1.0
 */
export const nodeTable = (store: MemoryStore): NodeWrites => {
  const { nodes } = store.tables
  return {
    byId: (sessionId, nodeId) => Effect.sync(() => nodes.get(sessionId)?.byId.get(nodeId)),
    inOrder: (sessionId, belowSeq) =>
      Effect.sync(() => (nodes.get(sessionId)?.bySeq ?? []).slice(0, Math.max(0, belowSeq))),
    insert: (row) =>
      Effect.sync(() => {
        const log = writing(store)
        let session = nodes.get(row.sessionId)
        if (session === undefined) {
          session = { bySeq: [], byId: new Map() }
          log.set(nodes, row.sessionId, session)
        }
        // Seqs are dense from 0, so `bySeq[i].seq === i`: a seq below the length is taken.
        if (session.byId.has(row.nodeId) || row.seq < session.bySeq.length) return false
        log.push(session.bySeq, row)
        log.set(session.byId, row.nodeId, row)
        return true
      })
  }
}

/**
 * The turn stamps.
 *
 * @since 0.1.0
 */
export const stampTable = (store: MemoryStore): StampWrites => {
  const { stamps } = store.tables
  return {
    read: (sessionId, turnId) => Effect.sync(() => stamps.get(pairKey(sessionId, turnId))),
    insert: (row) => Effect.sync(() => writing(store).set(stamps, pairKey(row.sessionId, row.turnId), row))
  }
}
