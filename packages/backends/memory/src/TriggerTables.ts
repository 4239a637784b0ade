/**
 * The memory store's trigger tables: counters, subscriptions, occurrences and delivery reservations.
 *
 * @since 0.1.0
 */
import {
  type CounterWrites,
  type DeliveryWrites,
  type OccurrenceWrites,
  StorageEngine,
  type SubscriptionRow,
  type SubscriptionWrites
} from "@lash/core"
import { Effect } from "effect"
import { type MemoryStore, pairKey, writing } from "./MemoryStore.js"

/**
 * The named counters.
 *
 * @since 0.1.0
 */
export const counterTable = (store: MemoryStore): CounterWrites => {
  const { counters } = store.tables
  return {
    read: (name) => Effect.sync(() => counters.get(name) ?? 0),
    write: (name, value) => Effect.sync(() => writing(store).set(counters, name, value))
  }
}

/**
 * The subscriptions, with their registration-key and handle indexes.
 *
 * @since 0.1.0
 */
export const subscriptionTable = (store: MemoryStore): SubscriptionWrites => {
  const { subscriptionByHandle, subscriptionByRegistrationKey, subscriptions } = store.tables
  const byId = (id: string | undefined) => (id === undefined ? undefined : subscriptions.get(id))
  return {
    read: (subscriptionId) => Effect.sync(() => subscriptions.get(subscriptionId)),
    byRegistrationKey: (scopeId, registrationKey) =>
      Effect.sync(() => byId(subscriptionByRegistrationKey.get(pairKey(scopeId, registrationKey)))),
    byHandle: (handle) => Effect.sync(() => byId(subscriptionByHandle.get(handle))),
    list: () =>
      Effect.sync(() =>
        [...subscriptions.values()].sort((a, b) =>
          StorageEngine.compareCodePoints(a.registrantScopeId, b.registrantScopeId) || a.handleNo - b.handleNo
        )
      ),
    matching: (sourceType, sourceKey, maxHandleNo) =>
      Effect.sync(() => {
        const out: Array<SubscriptionRow> = []
        for (const row of subscriptions.values()) {
          if (
            row.enabled && row.sourceType === sourceType && row.sourceKey === sourceKey && row.handleNo <= maxHandleNo
          ) {
            out.push(row)
          }
        }
        return out.sort((a, b) => a.handleNo - b.handleNo)
      }),
    insert: (row) =>
      Effect.sync(() => {
        const registrationKey = pairKey(row.registrantScopeId, row.registrationKey)
        if (subscriptions.has(row.subscriptionId) || subscriptionByRegistrationKey.has(registrationKey)) return false
        const log = writing(store)
        log.set(subscriptions, row.subscriptionId, row)
        log.set(subscriptionByRegistrationKey, registrationKey, row.subscriptionId)
        log.set(subscriptionByHandle, row.handle, row.subscriptionId)
        return true
      }),
    setEnabled: (subscriptionId, enabled) =>
      Effect.sync(() => {
        const row = subscriptions.get(subscriptionId)
        if (row !== undefined) writing(store).set(subscriptions, subscriptionId, { ...row, enabled })
      })
  }
}

/**
 * The occurrences.
 *
 * @since 0.1.0
 */
export const occurrenceTable = (store: MemoryStore): OccurrenceWrites => {
  const { occurrences } = store.tables
  return {
    read: (occurrenceId) => Effect.sync(() => occurrences.get(occurrenceId)),
    insert: (row) =>
      Effect.sync(() => {
        if (occurrences.has(row.occurrenceId)) return false
        writing(store).set(occurrences, row.occurrenceId, row)
        return true
      })
  }
}

/**
 * The delivery reservations.
 *
 * @since 0.1.0
 */
export const deliveryTable = (store: MemoryStore): DeliveryWrites => {
  const { deliveries, occurrences, processes, subscriptions } = store.tables
  return {
    ofOccurrence: (occurrenceId) =>
      Effect.sync(() =>
        [...(deliveries.get(occurrenceId)?.values() ?? [])]
          .sort((a, b) => a.handleNo - b.handleNo)
          .map((delivery) => ({ delivery, subscription: subscriptions.get(delivery.subscriptionId)! }))
      ),
    unstarted: (limit) =>
      Effect.sync(() => {
        const pending = []
        for (const reserved of deliveries.values()) {
          for (const delivery of reserved.values()) if (!processes.has(delivery.processId)) pending.push(delivery)
        }
        return pending
          .sort((a, b) =>
            a.reservedAtMs - b.reservedAtMs || StorageEngine.compareCodePoints(a.occurrenceId, b.occurrenceId) ||
            a.handleNo - b.handleNo
          )
          .slice(0, Math.max(0, limit))
          .map((delivery) => ({
            delivery,
            subscription: subscriptions.get(delivery.subscriptionId)!,
            occurrence: occurrences.get(delivery.occurrenceId)!
          }))
      }),
    insert: (row) =>
      Effect.sync(() => {
        if (deliveries.get(row.occurrenceId)?.has(row.subscriptionId) === true) return false
        const log = writing(store)
        log.set(log.inner(deliveries, row.occurrenceId), row.subscriptionId, row)
        return true
      })
  }
}
