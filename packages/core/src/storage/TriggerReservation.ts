/**
 * Trigger registration numbering and delivery reservation, written once (docs/architecture.md, "Triggers"):
 * - a registration is keyed on (registrant scope, registration key): the same draft returns the stored record,
 *   another draft conflicts; a new one takes handle number `trigger_handle + 1` from the stored counter (never reused);
 * - an occurrence is recorded once per id with the handle counter as its high-water mark: only subscriptions that
 *   existed when it was first recorded are ever reserved for it;
 * - a reservation is one per (occurrence, enabled matching subscription), with a deterministic process id; `isNew`
 *   only for the rows this call inserted.
 *
 * @since 0.1.0
 */
import { TriggerIdempotencyConflict, TriggerRegistrationConflict } from "../Errors.js"
import type { OccurrenceId, SubscriptionId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import { sessionScopeId } from "../Process.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type {
  TriggerOccurrenceRecord,
  TriggerOccurrenceRequest,
  TriggerOwner,
  TriggerSubscriptionDraft,
  TriggerSubscriptionRecord
} from "../Trigger.js"

/**
 * The scope id a draft is registered under (`host`, or the registrant session's scope id).
 *
 * @since 0.1.0
 */
export const registrantScopeId = (draft: TriggerSubscriptionDraft): string =>
  draft.registrant.type === "host" ? "host" : sessionScopeId(draft.registrant.scope)

/**
 * The registrant session of a draft, when a session registered it.
 *
 * @since 0.1.0
 */
export const registrantSessionId = (draft: TriggerSubscriptionDraft): string | null =>
  draft.registrant.type === "session" ? draft.registrant.scope.sessionId : null

/**
 * Whether `owner` may cancel a subscription row ({@link TriggerOwner}): the registrant session, or, for a host
 * registration, the process whose run made it.
 *
 * @since 0.1.0
 */
export const ownedBy = (
  row: { readonly registrantSessionId: string | null; readonly registrationKey: string },
  owner: TriggerOwner
): boolean =>
  typeof owner === "string"
    ? row.registrantSessionId === owner
    : row.registrantSessionId === null && ReplayKeys.isSiteOfProcessRun(row.registrationKey, owner.processId)

/**
 * The conflict of a registration key reused with another draft, or `undefined` when the stored hash is the draft's.
 *
 * @since 0.1.0
 */
export const registrationConflict = (
  draft: TriggerSubscriptionDraft,
  storedDraftHash: string
): TriggerRegistrationConflict | undefined =>
  storedDraftHash === Ids.draftHash(draft)
    ? undefined
    : new TriggerRegistrationConflict({
      registrantScopeId: registrantScopeId(draft),
      registrationKey: draft.registrationKey
    })

/**
 * The record a new registration is stored as, numbered after `handleCounter`.
 *
 * @since 0.1.0
 */
export const newSubscription = (
  draft: TriggerSubscriptionDraft,
  handleCounter: number,
  nowMs: number
): TriggerSubscriptionRecord => {
  const n = handleCounter + 1
  return {
    ...draft,
    subscriptionId: Ids.subscriptionId(n),
    handle: Ids.triggerHandle(n),
    handleNo: n,
    draftHash: Ids.draftHash(draft),
    enabled: true,
    createdAtMs: nowMs
  }
}

/**
 * The id and content hash of an occurrence request.
 *
 * @since 0.1.0
 */
export const occurrenceIdentity = (
  req: TriggerOccurrenceRequest
): { readonly occurrenceId: OccurrenceId; readonly contentHash: string } => ({
  occurrenceId: Ids.occurrenceId(req.sourceType, req.sourceKey, req.idempotencyKey),
  contentHash: Ids.occurrenceContentHash(req.sourceType, req.sourceKey, req.payload, req.source)
})

/**
 * The conflict of an idempotency key reused with other content, or `undefined` when the content is the same.
 *
 * @since 0.1.0
 */
export const idempotencyConflict = (
  req: TriggerOccurrenceRequest,
  occurrenceId: string,
  storedContentHash: string,
  contentHash: string
): TriggerIdempotencyConflict | undefined =>
  storedContentHash === contentHash
    ? undefined
    : new TriggerIdempotencyConflict({ idempotencyKey: req.idempotencyKey, occurrenceId })

/**
 * The record of a first-recorded occurrence, its high-water mark the current handle counter.
 *
 * @since 0.1.0
 */
export const newOccurrence = (
  req: TriggerOccurrenceRequest,
  identity: { readonly occurrenceId: OccurrenceId; readonly contentHash: string },
  handleCounter: number,
  nowMs: number
): TriggerOccurrenceRecord => ({
  ...req,
  occurrenceId: identity.occurrenceId,
  contentHash: identity.contentHash,
  occurredAtMs: nowMs,
  subscriptionHighWater: handleCounter
})

/**
 * The reservation of an occurrence for the subscription numbered `handleNo`: its subscription id and process id.
 *
 * @since 0.1.0
 */
export const reservationOf = (
  occurrenceId: OccurrenceId,
  handleNo: number
): { readonly subscriptionId: SubscriptionId; readonly processId: string } => {
  const subscriptionId = Ids.subscriptionId(handleNo)
  return { subscriptionId, processId: Ids.deliveryProcessId(occurrenceId, subscriptionId) }
}
