/**
 * The memory store's process tables: process rows, event logs and handle grants.
 *
 * @since 0.1.0
 */
import { type EventWrites, type GrantWrites, type ProcessRow, type ProcessWrites, StorageEngine } from "@lash/core"
import { Effect } from "effect"
import { type MemoryStore, type ProcessEvents, writing } from "./MemoryStore.js"

const byProcessId = (a: ProcessRow, b: ProcessRow) => StorageEngine.compareCodePoints(a.processId, b.processId)

/**
 * The process rows.
 *
 * @since 0.1.0
 */
export const processTable = (store: MemoryStore): ProcessWrites => {
  const { processes } = store.tables
  const rows = (terminal: boolean | undefined) => {
    const out: Array<ProcessRow> = []
    for (const row of processes.values()) if (terminal === undefined || row.terminal === terminal) out.push(row)
    return out.sort(byProcessId)
  }
  /** Writes `next(row)` where the stored fencing is `expectedFencing`; answers whether the row matched. */
  const fenced = (processId: string, expectedFencing: number, next: (row: ProcessRow) => ProcessRow) =>
    Effect.sync(() => {
      const row = processes.get(processId)
      if (row === undefined || row.lease.fencing !== expectedFencing) return false
      writing(store).set(processes, processId, next(row))
      return true
    })
  return {
    read: (processId) => Effect.sync(() => processes.get(processId)),
    list: (terminal) => Effect.sync(() => rows(terminal)),
    ids: (terminal) => Effect.sync(() => rows(terminal).map((row) => row.processId)),
    runnable: (nowMs, limit) =>
      Effect.sync(() =>
        rows(false)
          .filter((row) => !row.external && (row.lease.ownerId === null || row.lease.expiresAtMs <= nowMs))
          .slice(0, Math.max(0, limit))
      ),
    insert: (row) =>
      Effect.sync(() => {
        if (processes.has(row.processId)) return false
        writing(store).set(processes, row.processId, row)
        return true
      }),
    updateRecord: (update) =>
      Effect.sync(() => {
        const row = processes.get(update.processId)
        if (row !== undefined) writing(store).set(processes, update.processId, { ...row, ...update })
      }),
    setLease: (processId, lease, expectedFencing) => fenced(processId, expectedFencing, (row) => ({ ...row, lease })),
    // One row write instead of two (the fallback's `updateRecord` then `setLease`), the same row after it.
    updateRecordAndLease: (update, lease, expectedFencing) =>
      fenced(update.processId, expectedFencing, (row) => ({ ...row, ...update, lease }))
  }
}

/**
 * The event logs.
 *
 * @since 0.1.0
 */
export const eventTable = (store: MemoryStore): EventWrites => {
  const { events } = store.tables
  return {
    byReplayKey: (processId, replayKey) => Effect.sync(() => events.get(processId)?.byReplayKey.get(replayKey)),
    after: (processId, afterSequence, eventType, limit) =>
      Effect.sync(() => {
        // Sequences are dense from 1: event n sits at index n - 1.
        const log = events.get(processId)?.bySequence ?? []
        const out = []
        for (let i = Math.max(0, afterSequence); i < log.length; i++) {
          const row = log[i]!
          if (eventType !== undefined && row.eventType !== eventType) continue
          out.push(row)
          if (limit !== undefined && out.length >= limit) break
        }
        return out
      }),
    insert: (row) =>
      Effect.sync(() => {
        const log = writing(store)
        let process: ProcessEvents | undefined = events.get(row.processId)
        if (process === undefined) {
          process = { bySequence: [], byReplayKey: new Map() }
          log.set(events, row.processId, process)
        }
        log.push(process.bySequence, row)
        if (row.replayKey !== null) log.set(process.byReplayKey, row.replayKey, row)
      })
  }
}

/**
 * The handle grants.
 *
 * @since 0.1.0
 */
export const grantTable = (store: MemoryStore): GrantWrites => {
  const { grants } = store.tables
  return {
    read: (scopeId, processId) => Effect.sync(() => grants.get(scopeId)?.get(processId)),
    list: (scopeId) =>
      Effect.sync(() =>
        [...(grants.get(scopeId)?.values() ?? [])].sort((a, b) =>
          StorageEngine.compareCodePoints(a.processId, b.processId)
        )
      ),
    upsert: (row) =>
      Effect.sync(() => {
        const log = writing(store)
        const existing = grants.get(row.scopeId)?.get(row.processId)
        log.set(
          log.inner(grants, row.scopeId),
          row.processId,
          existing === undefined ? row : { ...existing, descriptorJson: row.descriptorJson }
        )
      })
  }
}
