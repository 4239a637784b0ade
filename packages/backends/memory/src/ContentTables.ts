/**
 * The memory store's insert-if-absent tables: execution envs, module artifacts and the effect journal.
 *
 * @since 0.1.0
 */
import type { ContentRow, ContentWrites, JournalWrites } from "@lash/core"
import { Effect } from "effect"
import { type MemoryStore, pairKey, writing } from "./MemoryStore.js"

/**
 * A content-addressed table (first write wins).
 *
 * @since 0.1.0
 */
export const contentTable = (store: MemoryStore, rows: Map<string, ContentRow>): ContentWrites => ({
  read: (ref) => Effect.sync(() => rows.get(ref)),
  insert: (row) => Effect.sync(() => void (rows.has(row.ref) || writing(store).set(rows, row.ref, row)))
})

/**
 * The effect journal.
 *
 * @since 0.1.0
 */
export const journalTable = (store: MemoryStore): JournalWrites => {
  const { journal } = store.tables
  return {
    read: (scopeId, replayKey) => Effect.sync(() => journal.get(pairKey(scopeId, replayKey))),
    insert: (row) =>
      Effect.sync(() => {
        const key = pairKey(row.scopeId, row.replayKey)
        if (journal.has(key)) return false
        writing(store).set(journal, key, row)
        return true
      })
  }
}
