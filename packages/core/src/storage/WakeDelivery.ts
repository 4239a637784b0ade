/**
 * Wake delivery, written once (docs/architecture.md, "Wakes and queued work"): the wake an event carries (its input
 * and dedupe key, picked from the payload by the event type's selectors), the delivery it becomes for its target
 * session, and the batch draft that delivery is enqueued as. The engine enqueues that draft in the same unit as the
 * event append (atomic wake enqueue), so a wake costs one write unit and no crash can leave an event without its wake.
 * A replay rebuilds the same delivery from the stored event (`createdAtMs` = the event's `occurredAtMs`).
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import { Option } from "effect"
import type { WakeId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { Json } from "../Json.js"
import type {
  ProcessEvent,
  ProcessEventType,
  ProcessRecord,
  ProcessWakeDelivery,
  SessionScope,
  ValueSelector
} from "../Process.js"
import { sessionScopeId } from "../Process.js"
import type { QueuedWorkBatchDraft } from "../QueuedWork.js"

const readPointer = (value: Json, pointer: string): Json | undefined => {
  if (pointer === "") return value
  let current: Json | undefined = value
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(current)) current = current[Number(key)]
    else if (current !== null && typeof current === "object") current = (current as Record<string, Json>)[key]
    else return undefined
  }
  return current
}

/**
 * The value a selector picks from an event payload (`undefined` when the pointer does not resolve).
 *
 * @since 0.1.0
 */
export const selectValue = (selector: ValueSelector, payload: Json): Json | undefined =>
  selector.type === "payload"
    ? payload
    : selector.type === "const"
    ? selector.value
    : readPointer(payload, selector.pointer)

const selectText = (selector: ValueSelector, payload: Json): string => {
  const value = selectValue(selector, payload)
  return value === undefined ? "" : typeof value === "string" ? value : Canonical.canonicalJsonUnsafe(value)
}

/**
 * The wake a new event of `type` carries, or `undefined` when the type declares none.
 *
 * @since 0.1.0
 */
export const wakeOf = (
  type: ProcessEventType,
  processId: string,
  sequence: number,
  payload: Json
): { readonly input: string; readonly dedupeKey: string } | undefined => {
  const wake = type.semantics.wake
  if (wake === undefined) return undefined
  const dedupeKey = wake.dedupeKey.type === "event_identity"
    ? `${processId}:${sequence}`
    : wake.dedupeKey.type === "const"
    ? wake.dedupeKey.value
    : selectText(wake.dedupeKey.selector, payload)
  return { input: selectText(wake.input, payload), dedupeKey }
}

/**
 * The delivery of a stored event's wake to `target`, or `None` when the event has no wake or there is no target.
 *
 * @since 0.1.0
 */
export const deliveryFor = (
  record: ProcessRecord,
  event: ProcessEvent,
  target: SessionScope | undefined
): Option.Option<ProcessWakeDelivery> => {
  if (event.wake === undefined || target === undefined) return Option.none()
  const targetScopeId = sessionScopeId(target)
  const delivery: { -readonly [K in keyof ProcessWakeDelivery]: ProcessWakeDelivery[K] } = {
    wakeId: Ids.wakeId(targetScopeId, event.wake.dedupeKey) as WakeId,
    targetSessionId: target.sessionId,
    targetScopeId,
    processId: record.id,
    sequence: event.sequence,
    eventType: event.eventType,
    dedupeKey: event.wake.dedupeKey,
    input: event.wake.input,
    createdAtMs: event.occurredAtMs
  }
  if (record.provenance.causedBy !== undefined) delivery.processCausedBy = record.provenance.causedBy
  return Option.some(delivery)
}

/**
 * The batch draft a delivery is enqueued as: keyed by the event (`process:<pid>:event:<seq>:wake`), so a repeat of
 * the enqueue returns the same batch, exclusive, available from the event's time.
 *
 * @since 0.1.0
 */
export const batchDraft = (delivery: ProcessWakeDelivery): QueuedWorkBatchDraft => ({
  sessionId: delivery.targetSessionId,
  sourceKey: Ids.wakeSourceKey(delivery.processId, delivery.sequence),
  deliveryPolicy: "earliest_safe_boundary",
  slotPolicy: "exclusive",
  mergeKey: { type: "payload_default" },
  availableAtMs: delivery.createdAtMs,
  payloads: [{ type: "process_wake", wake: delivery }]
})
