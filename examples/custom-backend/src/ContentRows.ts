/**
 * Execution envs, module artifacts and the effect journal as key-value rows: each written once, first write wins.
 *
 * @since 0.1.0
 */
import type { ContentWrites, JournalWrites } from "@lash/core"
import { key, type KeyValueTransaction } from "./KeyValueTransaction.js"
import type { Sync } from "./Sync.js"

/**
 * A content-addressed table at `<kind>/<ref>`.
 *
 * @since 0.1.0
 */
export const content = (tx: KeyValueTransaction, kind: "env" | "artifact"): Sync<ContentWrites> => ({
  read: (ref) => tx.get(key(kind, ref)),
  insert: (row) => {
    if (tx.get(key(kind, row.ref)) === undefined) tx.put(key(kind, row.ref), row)
  }
})

/**
 * Journal entries at `journal/<scope>/<replayKey>`.
 *
 * @since 0.1.0
 */
export const journal = (tx: KeyValueTransaction): Sync<JournalWrites> => ({
  read: (scopeId, replayKey) => tx.get(key("journal", scopeId, replayKey)),
  insert: (row) => {
    if (tx.get(key("journal", row.scopeId, row.replayKey)) !== undefined) return false
    tx.put(key("journal", row.scopeId, row.replayKey), row)
    return true
  }
})
