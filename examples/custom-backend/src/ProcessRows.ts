/**
 * Processes, their event logs and handle grants as key-value rows.
 *
 * @since 0.1.0
 */
import type { EventRow, EventWrites, GrantRow, GrantWrites, ProcessRow, ProcessWrites } from "@lash/core"
import { StorageEngine } from "@lash/core"
import { below, key, type KeyValueTransaction } from "./KeyValueTransaction.js"
import type { Sync } from "./Sync.js"

const byProcessId = (a: { readonly processId: string }, b: { readonly processId: string }) =>
  StorageEngine.compareCodePoints(a.processId, b.processId)

/**
 * Processes at `process/<id>` (listings sort by id in code-point order, as SQL's `BINARY` collation does).
 *
 * @since 0.1.0
 */
export const processes = (tx: KeyValueTransaction): Sync<ProcessWrites> => {
  const read = (processId: string) => tx.get<ProcessRow>(key("process", processId))
  const list = (terminal?: boolean) =>
    tx.scan<ProcessRow>("process/").filter((row) => terminal === undefined || row.terminal === terminal).sort(
      byProcessId
    )
  return {
    read,
    list,
    ids: (terminal) => list(terminal).map((row) => row.processId),
    runnable: (nowMs, limit) =>
      list(false)
        .filter((row) => !row.external && (row.lease.ownerId === null || row.lease.expiresAtMs <= nowMs))
        .slice(0, limit),
    insert: (row) => {
      if (read(row.processId) !== undefined) return false
      tx.put(key("process", row.processId), row)
      return true
    },
    updateRecord: (update) => {
      const row = read(update.processId)
      if (row !== undefined) tx.put(key("process", update.processId), { ...row, ...update })
    },
    setLease: (processId, lease, expectedFencing) => {
      const row = read(processId)
      if (row === undefined || row.lease.fencing !== expectedFencing) return false
      tx.put(key("process", processId), { ...row, lease })
      return true
    }
  }
}

/**
 * Events at `event/<process>/<sequence>`, and `replay-key/<process>/<key>` → sequence.
 *
 * @since 0.1.0
 */
export const events = (tx: KeyValueTransaction): Sync<EventWrites> => ({
  byReplayKey: (processId, replayKey) => {
    const sequence = tx.get<number>(key("replay-key", processId, replayKey))
    return sequence === undefined ? undefined : tx.get<EventRow>(key("event", processId, sequence))
  },
  after: (processId, afterSequence, eventType, limit) =>
    tx.scan<EventRow>(below("event", processId))
      .filter((row) => row.sequence > afterSequence && (eventType === undefined || row.eventType === eventType))
      .slice(0, limit),
  insert: (row) => {
    tx.put(key("event", row.processId, row.sequence), row)
    if (row.replayKey !== null) tx.put(key("replay-key", row.processId, row.replayKey), row.sequence)
  }
})

/**
 * Grants at `grant/<scope>/<process>`.
 *
 * @since 0.1.0
 */
export const grants = (tx: KeyValueTransaction): Sync<GrantWrites> => ({
  read: (scopeId, processId) => tx.get(key("grant", scopeId, processId)),
  list: (scopeId) => tx.scan<GrantRow>(below("grant", scopeId)).sort(byProcessId),
  upsert: (row) => {
    const existing = tx.get<GrantRow>(key("grant", row.scopeId, row.processId))
    tx.put(
      key("grant", row.scopeId, row.processId),
      existing === undefined ? row : { ...existing, descriptorJson: row.descriptorJson }
    )
  }
})
