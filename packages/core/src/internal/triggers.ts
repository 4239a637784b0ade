/**
 * Trigger deliveries (docs/architecture.md, "Triggers"): how one reserved delivery is started, set aside or recorded
 * as failed, and how its outcome is read back; shared by `core.triggers().emit` (`triggerEmit.ts`) and the worker
 * sweep.
 *
 * @internal
 */
import { Effect, Either, Schema } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import {
  type EffectReplayConflict,
  InvalidProcessRegistration,
  ProcessRegistrationConflict,
  type StoreError
} from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import { type ProcessLease, ProcessRecord, ProcessRegistration } from "../Process.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type {
  TriggerDeliveryError,
  TriggerDeliveryReservation,
  TriggerOccurrenceRecord,
  TriggerRegistration,
  TriggerSubscriptionRecord,
  UnreadableDelivery
} from "../Trigger.js"
import type { TriggerDeliveryStart } from "../TriggerStore.js"
import type { Drivers } from "./processEngine.js"
import { withRegistrationHash } from "./registrationHashes.js"
import type { CoreRuntime } from "./runtime.js"
import * as Telemetry from "./telemetry.js"

/** A reservation with its occurrence, as the sweep lists them. */
export interface UnstartedDelivery {
  readonly reservation: TriggerDeliveryReservation
  readonly occurrence: TriggerOccurrenceRecord
}

/** The journal codec of a `process` start effect: the record, or the registration's typed rejection. */
export const processStartCodec = {
  success: ProcessRecord as unknown as Schema.Schema<ProcessRecord, Json>,
  failure: Schema.Union(ProcessRegistrationConflict, InvalidProcessRegistration) as unknown as Schema.Schema<
    ProcessRegistrationConflict | InvalidProcessRegistration,
    Json
  >
}

/** The public view of a subscription. */
export const publicRegistration = (sub: TriggerSubscriptionRecord): TriggerRegistration => {
  const payload = sub.target.type === "engine" ? (sub.target.payload as { readonly processName?: Json }) : undefined
  const processName = typeof payload?.processName === "string" ? payload.processName : sub.targetIdentity.kind
  return {
    handle: sub.handle,
    ...(sub.name === undefined ? {} : { name: sub.name }),
    sourceType: sub.sourceType,
    sourceKey: sub.sourceKey,
    source: sub.source,
    enabled: sub.enabled,
    createdAtMs: sub.createdAtMs,
    target: {
      ...(sub.targetIdentity.label === undefined ? {} : { label: sub.targetIdentity.label }),
      processName,
      identity: sub.targetIdentity
    },
    registrant: sub.registrant
  }
}

const argsOf = (sub: TriggerSubscriptionRecord, payload: Json): Record<string, Json> => {
  const args: Record<string, Json> = {}
  for (const [name, entry] of Object.entries(sub.inputTemplate)) {
    args[name] = entry.type === "event"
      ? payload
      : entry.value
  }
  return args
}

/** Records a delivery as a failed `external` process (nothing retries it; the report reads it back). */
const failDelivery = (
  core: CoreRuntime,
  delivery: {
    readonly processId: ProcessId
    readonly subscriptionId: string
    readonly originator: ProcessRegistration["provenance"]["originator"]
  },
  occurrence: { readonly occurrenceId: TriggerOccurrenceRecord["occurrenceId"] },
  code: string,
  message: string,
  raw: Json
) =>
  Effect.gen(function*() {
    const reg = ProcessRegistration.make({
      id: delivery.processId,
      input: { type: "external", metadata: { subscriptionId: delivery.subscriptionId } },
      provenance: {
        originator: delivery.originator,
        causedBy: { type: "trigger_occurrence", occurrenceId: occurrence.occurrenceId }
      }
    })
    yield* core.registry.register(reg).pipe(
      Effect.catchTags({
        ProcessRegistrationConflict: () => Effect.void,
        InvalidProcessRegistration: () => Effect.void
      })
    )
    yield* core.registry
      .completeAsHost(delivery.processId, { type: "failure", code, message, raw })
      .pipe(Effect.catchTags({ ProcessEventRejected: () => Effect.void, ProcessNotFound: () => Effect.void }))
  })

/** The failure a delivery was recorded with, as `failDelivery` wrote it for each reservation of `reservation`. */
const reservationFailure = (reservation: TriggerDeliveryReservation) => ({
  processId: reservation.processId,
  subscriptionId: reservation.subscription.subscriptionId,
  originator: reservation.subscription.registrant
})

/**
 * Sets aside a delivery whose subscription row does not decode (docs/architecture.md, "Poison rows"): a failed
 * `external` process, `trigger_subscription_unreadable`, started by the host (the registrant is in the row that does
 * not decode), so it is never listed as unstarted again; the other deliveries of the occurrence go on.
 */
export const setAsideDelivery = (core: CoreRuntime, unreadable: UnreadableDelivery) =>
  failDelivery(
    core,
    { processId: unreadable.processId, subscriptionId: unreadable.subscriptionId, originator: { type: "host" } },
    unreadable,
    "trigger_subscription_unreadable",
    `subscription row ${unreadable.key} does not decode: ${unreadable.issue}`,
    { port: unreadable.port, key: unreadable.key, issue: unreadable.issue }
  )

/** The registration of a reserved delivery: args from the input template, provenance, env and wake target. */
const deliveryRegistration = (
  reservation: TriggerDeliveryReservation,
  occurrence: TriggerOccurrenceRecord
): ProcessRegistration => {
  const sub = reservation.subscription
  const target = sub.target
  const input = target.type === "engine" && typeof target.payload === "object" && target.payload !== null &&
      !Array.isArray(target.payload)
    ? { ...target, payload: { ...(target.payload as Record<string, Json>), args: argsOf(sub, occurrence.payload) } }
    : target
  return ProcessRegistration.make({
    id: reservation.processId,
    input,
    identity: sub.targetIdentity,
    eventTypes: sub.eventTypes,
    provenance: {
      originator: sub.registrant,
      causedBy: { type: "trigger_occurrence", occurrenceId: occurrence.occurrenceId }
    },
    envRef: sub.envRef,
    ...(sub.wakeTarget === undefined ? {} : { wakeTarget: sub.wakeTarget })
  })
}

/** The handle grant of a delivery's process: to the subscription's wake target, labelled with its name. */
const deliveryGrant = (sub: TriggerSubscriptionRecord, reg: ProcessRegistration) =>
  sub.wakeTarget === undefined ? undefined : {
    scope: sub.wakeTarget,
    descriptor: { kind: reg.identity.kind, ...(sub.name === undefined ? {} : { label: sub.name }) }
  }

/**
 * The start of a delivery in its reservation's unit (`TriggerStore.recordAndStart`): its registration, with the trace
 * context of the emit, and its grant; `undefined` when the payload does not match (the caller records the failure).
 */
export const plannedStart = (
  reservation: TriggerDeliveryReservation,
  occurrence: TriggerOccurrenceRecord,
  traceparent: string | undefined
): TriggerDeliveryStart | undefined => {
  if (JsonSchema.validate(reservation.subscription.payloadSchema, occurrence.payload).length > 0) return undefined
  const registration = Telemetry.withTraceparent(deliveryRegistration(reservation, occurrence), traceparent)
  const grant = deliveryGrant(reservation.subscription, registration)
  return grant === undefined ? { registration } : { registration, grant }
}

/**
 * How a delivery's process is registered: `emit` leases it for its worker in the same unit when a slot is free
 * (`Drivers.registerForRun`, one write unit instead of a register and a claim), and gives the lease back if the start
 * fails after that unit.
 */
export type DeliveryRegistrar = Pick<Drivers, "registerForRun" | "abandon">

/**
 * Starts one reserved delivery: validates the payload, builds the registration and runs the `process` start effect
 * (register + grant). Idempotent: a delivery whose process row exists is left alone. `lease` is set when `register`
 * leased the process in its unit: the caller launches it (or abandons it if the start failed after the unit).
 */
export const startDelivery = (
  core: CoreRuntime,
  scoped: ScopedEffects,
  reservation: TriggerDeliveryReservation,
  occurrence: TriggerOccurrenceRecord,
  registrar?: DeliveryRegistrar
): Effect.Effect<
  { readonly registered: boolean; readonly lease?: ProcessLease; readonly record?: ProcessRecord },
  StoreError | EffectReplayConflict
> =>
  Effect.gen(function*() {
    const sub = reservation.subscription
    const issues = JsonSchema.validate(sub.payloadSchema, occurrence.payload)
    if (issues.length > 0) {
      yield* failDelivery(
        core,
        reservationFailure(reservation),
        occurrence,
        "trigger_payload_invalid",
        `payload does not match ${sub.sourceType}: ${issues.join("; ")}`,
        [...issues]
      )
      return { registered: false }
    }
    const reg = deliveryRegistration(reservation, occurrence)
    // Inside `lash.trigger.emit` (or the sweep that starts a delivery left unstarted): the worker run links to it.
    const traced = yield* Telemetry.withTraceContext(reg)
    let lease: ProcessLease | undefined
    const registration = yield* Effect.either(
      withRegistrationHash(traced, (registrationHash) =>
        scoped.execute(
          {
            scope: scoped.scope,
            effectId: reservation.processId,
            kind: "process",
            replayKey: ReplayKeys.triggerDelivery(occurrence.occurrenceId, sub.subscriptionId),
            command: { op: "start", registrationHash }
          },
          processStartCodec,
          Effect.gen(function*() {
            const registered = yield* (registrar === undefined
              ? core.registry.register(traced)
              : registrar.registerForRun(traced))
            lease = registered.lease
            const { record } = registered
            const grant = deliveryGrant(sub, reg)
            if (grant !== undefined) yield* core.registry.grantHandle(grant.scope, reg.id, grant.descriptor)
            return record
          })
        )).pipe(
          Effect.onError(() => lease === undefined || registrar === undefined ? Effect.void : registrar.abandon(lease))
        )
    )
    if (Either.isRight(registration)) {
      return lease === undefined ? { registered: true } : { registered: true, lease, record: registration.right }
    }
    const error = registration.left
    if (error._tag === "InvalidProcessRegistration") {
      yield* failDelivery(
        core,
        reservationFailure(reservation),
        occurrence,
        "trigger_registration_invalid",
        `registration rejected: ${error.reason}`,
        { reason: error.reason }
      )
      return { registered: false }
    }
    if (error._tag === "ProcessRegistrationConflict") return { registered: false }
    return yield* Effect.fail(error)
  })

/** The failure recorded for a delivery, read back from its process row. */
export const deliveryFailure = (core: CoreRuntime, reservation: { readonly processId: ProcessId }) =>
  Effect.map(
    Effect.either(core.registry.get(reservation.processId)),
    (found): TriggerDeliveryError | "started" | "missing" => {
      if (found._tag === "Left") return "missing"
      const record = found.right
      if (record.input.type !== "external" || record.status.state !== "failed") return "started"
      const output = record.status.awaitOutput
      if (output.type !== "failure") return "started"
      if (output.code === "trigger_payload_invalid") {
        const raw = Array.isArray(output.raw) ? output.raw.filter((x): x is string => typeof x === "string") : []
        return { type: "payload_invalid", issues: raw }
      }
      if (output.code === "trigger_subscription_unreadable") {
        const raw = output.raw as { readonly key?: Json; readonly issue?: Json } | undefined
        return {
          type: "subscription_unreadable",
          key: typeof raw?.key === "string" ? raw.key : "",
          issue: typeof raw?.issue === "string" ? raw.issue : output.message
        }
      }
      if (output.code === "trigger_registration_invalid") {
        const reason = (output.raw as { readonly reason?: Json } | undefined)?.reason
        return {
          type: "registration_rejected",
          tag: "InvalidProcessRegistration",
          ...(typeof reason === "string" ? { reason } : {})
        }
      }
      return "started"
    }
  )
