/**
 * Counters, trigger subscriptions, occurrences and delivery reservations as key-value rows.
 *
 * @since 0.1.0
 */
import type * as Driver from "@lash/core"
import { StorageEngine } from "@lash/core"
import { below, key, type KeyValueTransaction } from "./KeyValueTransaction.js"
import type { Sync } from "./Sync.js"

/**
 * Counters at `counter/<name>`.
 *
 * @since 0.1.0
 */
export const counters = (tx: KeyValueTransaction): Sync<Driver.CounterWrites> => ({
  read: (name) => tx.get<number>(key("counter", name)) ?? 0,
  write: (name, value) => tx.put(key("counter", name), value)
})

/**
 * Subscriptions at `subscription/<id>`, with `registration/<scope>/<key>` → id and `handle/<handle>` → id.
 *
 * @since 0.1.0
 */
export const subscriptions = (tx: KeyValueTransaction): Sync<Driver.SubscriptionWrites> => {
  const read = (subscriptionId: string) => tx.get<Driver.SubscriptionRow>(key("subscription", subscriptionId))
  const via = (index: string) => {
    const id = tx.get<string>(index)
    return id === undefined ? undefined : read(id)
  }
  const all = () =>
    tx.scan<Driver.SubscriptionRow>("subscription/").sort((a, b) =>
      StorageEngine.compareCodePoints(a.registrantScopeId, b.registrantScopeId) || a.handleNo - b.handleNo
    )
  return {
    read,
    byRegistrationKey: (scopeId, registrationKey) => via(key("registration", scopeId, registrationKey)),
    byHandle: (handle) => via(key("handle", handle)),
    list: all,
    matching: (sourceType, sourceKey, maxHandleNo) =>
      all()
        .filter((row) =>
          row.enabled && row.sourceType === sourceType && row.sourceKey === sourceKey && row.handleNo <= maxHandleNo
        )
        .sort((a, b) => a.handleNo - b.handleNo),
    insert: (row) => {
      if (
        read(row.subscriptionId) !== undefined || via(key("registration", row.registrantScopeId, row.registrationKey))
      ) {
        return false
      }
      tx.put(key("subscription", row.subscriptionId), row)
      tx.put(key("registration", row.registrantScopeId, row.registrationKey), row.subscriptionId)
      tx.put(key("handle", row.handle), row.subscriptionId)
      return true
    },
    setEnabled: (subscriptionId, enabled) => {
      const row = read(subscriptionId)
      if (row !== undefined) tx.put(key("subscription", subscriptionId), { ...row, enabled })
    }
  }
}

/**
 * Occurrences at `occurrence/<id>`.
 *
 * @since 0.1.0
 */
export const occurrences = (tx: KeyValueTransaction): Sync<Driver.OccurrenceWrites> => ({
  read: (occurrenceId) => tx.get(key("occurrence", occurrenceId)),
  insert: (row) => {
    if (tx.get(key("occurrence", row.occurrenceId)) !== undefined) return false
    tx.put(key("occurrence", row.occurrenceId), row)
    return true
  }
})

/**
 * Reservations at `delivery/<occurrence>/<subscription>`.
 *
 * @since 0.1.0
 */
export const deliveries = (tx: KeyValueTransaction): Sync<Driver.DeliveryWrites> => {
  const withSubscription = (delivery: Driver.DeliveryRow) => ({
    delivery,
    subscription: tx.get<Driver.SubscriptionRow>(key("subscription", delivery.subscriptionId))!
  })
  return {
    ofOccurrence: (occurrenceId) =>
      tx.scan<Driver.DeliveryRow>(below("delivery", occurrenceId)).sort((a, b) => a.handleNo - b.handleNo).map(
        withSubscription
      ),
    unstarted: (limit) =>
      tx.scan<Driver.DeliveryRow>("delivery/")
        .filter((delivery) => tx.get(key("process", delivery.processId)) === undefined)
        .sort((a, b) =>
          a.reservedAtMs - b.reservedAtMs || StorageEngine.compareCodePoints(a.occurrenceId, b.occurrenceId) ||
          a.handleNo - b.handleNo
        )
        .slice(0, limit)
        .map((delivery) => ({
          ...withSubscription(delivery),
          occurrence: tx.get<Driver.OccurrenceRow>(key("occurrence", delivery.occurrenceId))!
        })),
    insert: (row) => {
      if (tx.get(key("delivery", row.occurrenceId, row.subscriptionId)) !== undefined) return false
      tx.put(key("delivery", row.occurrenceId, row.subscriptionId), row)
      return true
    }
  }
}
