/**
 * Triggers: subscriptions (registrations), occurrences and deliveries.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { SessionId } from "./Identifiers.js"
import { EnvRef, OccurrenceId, ProcessId, SubscriptionId, TriggerHandle } from "./Identifiers.js"
import { Json, JsonSchemaDoc, opt } from "./Json.js"
import { ProcessEventType, ProcessIdentity, ProcessInput, ProcessOriginator, SessionScope } from "./Process.js"

/** One world event offered to `emit`. @since 0.1.0 */
export const TriggerOccurrenceRequest = Schema.Struct({
  sourceType: Schema.String,
  sourceKey: Schema.String,
  payload: Json,
  idempotencyKey: Schema.String,
  source: opt(Json)
})
/** @since 0.1.0 */
export interface TriggerOccurrenceRequest extends Schema.Schema.Type<typeof TriggerOccurrenceRequest> {}

/** A recorded occurrence. @since 0.1.0 */
export const TriggerOccurrenceRecord = Schema.Struct({
  ...TriggerOccurrenceRequest.fields,
  occurrenceId: OccurrenceId,
  contentHash: Schema.String,
  occurredAtMs: Schema.NonNegativeInt,
  subscriptionHighWater: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface TriggerOccurrenceRecord extends Schema.Schema.Type<typeof TriggerOccurrenceRecord> {}

/** How one process argument is built from an occurrence. @since 0.1.0 */
export const InputTemplateEntry = Schema.Union(
  Schema.Struct({ type: Schema.Literal("event") }),
  Schema.Struct({ type: Schema.Literal("fixed"), value: Json })
)
/** @since 0.1.0 */
export type InputTemplateEntry = typeof InputTemplateEntry.Type

/** A subscription before the store numbers it. @since 0.1.0 */
export const TriggerSubscriptionDraft = Schema.Struct({
  registrant: ProcessOriginator,
  registrationKey: Schema.String,
  envRef: EnvRef,
  wakeTarget: opt(SessionScope),
  name: opt(Schema.String),
  sourceType: Schema.String,
  sourceKey: Schema.String,
  source: Json,
  /**
   * Every occurrence's payload is validated against it when a delivery starts; a payload that fails it is recorded
   * as a failed delivery process (`trigger_payload_invalid`, naming the issues) and the target never runs.
   */
  payloadSchema: JsonSchemaDoc,
  target: ProcessInput,
  targetIdentity: ProcessIdentity,
  eventTypes: Schema.Array(ProcessEventType),
  inputTemplate: Schema.Record({ key: Schema.String, value: InputTemplateEntry })
})
/** @since 0.1.0 */
export interface TriggerSubscriptionDraft extends Schema.Schema.Type<typeof TriggerSubscriptionDraft> {}

/** A stored subscription. @since 0.1.0 */
export const TriggerSubscriptionRecord = Schema.Struct({
  ...TriggerSubscriptionDraft.fields,
  subscriptionId: SubscriptionId,
  handle: TriggerHandle,
  handleNo: Schema.Int.pipe(Schema.positive()),
  draftHash: Schema.String,
  enabled: Schema.Boolean,
  createdAtMs: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface TriggerSubscriptionRecord extends Schema.Schema.Type<typeof TriggerSubscriptionRecord> {}

/** The public view of a subscription. @since 0.1.0 */
export const TriggerRegistration = Schema.Struct({
  handle: TriggerHandle,
  name: opt(Schema.String),
  sourceType: Schema.String,
  sourceKey: Schema.String,
  source: Json,
  enabled: Schema.Boolean,
  createdAtMs: Schema.NonNegativeInt,
  target: Schema.Struct({ label: opt(Schema.String), processName: Schema.String, identity: ProcessIdentity }),
  registrant: ProcessOriginator
})
/** @since 0.1.0 */
export interface TriggerRegistration extends Schema.Schema.Type<typeof TriggerRegistration> {}

/** A filter over subscriptions. @since 0.1.0 */
export interface TriggerSubscriptionFilter {
  readonly sessionId?: SessionId
  readonly sourceType?: string
  readonly sourceKey?: string
  readonly name?: string
  readonly handle?: TriggerHandle
  readonly enabled?: boolean
}

/**
 * Who may cancel a registration: a session id cancels the registrations its session made; a process cancels the
 * host registrations (registrant `host`) it made itself, i.e. those whose registration key is a Lashlang site of one
 * of its runs (`ReplayKeys.isSiteOfProcessRun`). Nobody cancels another session's or another process's.
 *
 * @since 0.1.0
 */
export type TriggerOwner = SessionId | { readonly processId: ProcessId }

/** A reserved delivery of an occurrence to one subscription. @since 0.1.0 */
export interface TriggerDeliveryReservation {
  readonly occurrenceId: OccurrenceId
  readonly subscription: TriggerSubscriptionRecord
  readonly processId: ProcessId
  readonly isNew: boolean
}

/**
 * A reserved delivery whose subscription row does not decode, named by row key and reason (docs/architecture.md,
 * "Poison rows"). @since 0.1.0
 */
export interface UnreadableDelivery {
  readonly occurrenceId: OccurrenceId
  readonly subscriptionId: SubscriptionId
  readonly processId: ProcessId
  readonly port: string
  readonly key: string
  readonly issue: string
}

/**
 * A subscription row a listing could not decode, named by row key and reason, with the columns stored beside the
 * record (docs/architecture.md, "Poison rows"). @since 0.1.0
 */
export interface UnreadableSubscription {
  readonly port: string
  readonly key: string
  readonly issue: string
  readonly subscriptionId: SubscriptionId
  readonly handle: TriggerHandle
  readonly sourceType: string
  readonly enabled: boolean
}

/** A subscription listing: the records that decode, and the matching rows that do not, named. @since 0.1.0 */
export interface TriggerListing {
  readonly subscriptions: ReadonlyArray<TriggerSubscriptionRecord>
  readonly unreadable: ReadonlyArray<UnreadableSubscription>
}

/** The reservations of an occurrence: those whose subscription decodes, and those whose does not. @since 0.1.0 */
export interface TriggerReservations {
  readonly reserved: ReadonlyArray<TriggerDeliveryReservation>
  readonly unreadable: ReadonlyArray<UnreadableDelivery>
}

/**
 * Why one delivery failed. `subscription_unreadable`: the subscription's row does not decode (`key`, `issue`); the
 * delivery is set aside as a failed process and the other subscriptions get theirs. @since 0.1.0
 */
export const TriggerDeliveryError = Schema.Union(
  Schema.Struct({ type: Schema.Literal("payload_invalid"), issues: Schema.Array(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("subscription_unreadable"), key: Schema.String, issue: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("registration_rejected"),
    tag: Schema.Literal("ProcessRegistrationConflict", "InvalidProcessRegistration"),
    reason: opt(Schema.String)
  })
)
/** @since 0.1.0 */
export type TriggerDeliveryError = typeof TriggerDeliveryError.Type

/** What an emit did. The report is derived from storage, so every emit of one occurrence returns the same. @since 0.1.0 */
export const TriggerEmitReport = Schema.Struct({
  occurrenceId: OccurrenceId,
  startedProcessIds: Schema.Array(ProcessId),
  failures: Schema.Array(Schema.Struct({ subscriptionId: SubscriptionId, error: TriggerDeliveryError }))
})
/** @since 0.1.0 */
export interface TriggerEmitReport extends Schema.Schema.Type<typeof TriggerEmitReport> {}

/**
 * A trigger source a plugin declares. It claims the source type `alias.event` (e.g. `clock.Alarm`) for the plugin:
 * a second plugin declaring the same source type fails the session's plugins with `PluginConflict`. Payloads are not
 * checked against this `payloadSchema`; what an occurrence's payload must match, at delivery, is the subscription's
 * `payloadSchema` (see `TriggerSubscriptionDraft`), which a Lashlang registration derives from the plugin's catalog
 * event type. Keep the two in agreement (docs/plugins.md, "Trigger sources").
 *
 * @since 0.1.0
 */
export const TriggerEventDecl = Schema.Struct({
  resourceType: Schema.String,
  alias: Schema.String,
  event: Schema.String,
  payloadSchema: JsonSchemaDoc
})
/** @since 0.1.0 */
export interface TriggerEventDecl extends Schema.Schema.Type<typeof TriggerEventDecl> {}
