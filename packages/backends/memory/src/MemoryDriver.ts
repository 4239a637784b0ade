/**
 * The memory driver (inline tier): a `StorageDriver` over one private `MemoryStore`. Units run one at a time under a
 * single permit, reads included (a write unit applies its rows as it goes, so a reader must not run in between);
 * the clock is Effect's `Clock`, so `TestClock` moves leases. A write unit that fails, dies or is interrupted is
 * rolled back from its undo log. Every writer lives in this process, so the driver has no `changes` stream.
 *
 * @since 0.1.0
 */
import type { StorageDriver, WriteTransaction } from "@lash/core"
import { Clock, Effect, Exit } from "effect"
import { contentTable, journalTable } from "./ContentTables.js"
import { emptyStore, type MemoryStore, UndoLog } from "./MemoryStore.js"
import { eventTable, grantTable, processTable } from "./ProcessTables.js"
import { batchTable } from "./QueueTable.js"
import { nodeTable, sessionTable, stampTable } from "./SessionTables.js"
import { counterTable, deliveryTable, occurrenceTable, subscriptionTable } from "./TriggerTables.js"

/** The tables of a store, built once: they read `store.log` for the unit that is writing. */
const transactionOver = (store: MemoryStore): WriteTransaction => ({
  now: Clock.currentTimeMillis,
  sessions: sessionTable(store),
  nodes: nodeTable(store),
  stamps: stampTable(store),
  batches: batchTable(store),
  processes: processTable(store),
  events: eventTable(store),
  grants: grantTable(store),
  envs: contentTable(store, store.tables.envs),
  artifacts: contentTable(store, store.tables.artifacts),
  journal: journalTable(store),
  counters: counterTable(store),
  subscriptions: subscriptionTable(store),
  occurrences: occurrenceTable(store),
  deliveries: deliveryTable(store)
})

/**
 * A driver over a new, empty store, and the store itself (for the backend's test internals).
 *
 * @since 0.1.0
 */
export const make: Effect.Effect<{ readonly driver: StorageDriver; readonly store: MemoryStore }> = Effect.map(
  Effect.makeSemaphore(1),
  (permit) => {
    const store = emptyStore()
    const tx = transactionOver(store)
    const driver: StorageDriver = {
      name: "memory",
      tier: "inline",
      read: (_unit, body) => permit.withPermits(1)(body(tx)),
      write: (_unit, body) =>
        permit.withPermits(1)(
          Effect.suspend(() => {
            const log = new UndoLog()
            store.log = log
            return Effect.onExit(body(tx), (exit) =>
              Effect.sync(() => {
                store.log = undefined
                if (!Exit.isSuccess(exit)) log.rollback()
              }))
          })
        ),
      durabilityReport: Effect.succeed({ mechanism: "memory", crashSafety: "none", details: {} })
    }
    return { driver, store }
  }
)
