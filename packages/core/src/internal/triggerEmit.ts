/**
 * `core.triggers().emit` (docs/architecture.md, "Triggers"): records an occurrence, reserves its deliveries, starts
 * them (each as `triggers.ts` starts one) and hands the started processes to the worker, then reports each delivery.
 *
 * @internal
 */
import { Effect, Either } from "effect"
import type { ExecutionScope } from "../Effects.js"
import { InvalidTriggerRequest, TriggerDeliveryFailed } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { CoreTriggers } from "../LashCore.js"
import type { ProcessRecord, ProcessRegistration } from "../Process.js"
import type {
  TriggerDeliveryError,
  TriggerEmitReport,
  TriggerOccurrenceRequest,
  TriggerSubscriptionRecord
} from "../Trigger.js"
import type { Drivers } from "./processEngine.js"
import type { CoreRuntime } from "./runtime.js"
import * as Telemetry from "./telemetry.js"
import { deliveryFailure, plannedStart, setAsideDelivery, startDelivery } from "./triggers.js"

/** The occurrence and its reservations in two units, for a store without `recordAndStart` (nothing started). */
const recordThenReserve = (core: CoreRuntime, request: TriggerOccurrenceRequest) =>
  Effect.gen(function*() {
    const occurrence = yield* core.triggers.recordOccurrence(request)
    const { reserved, unreadable } = yield* core.triggers.reserveDeliveriesReport(occurrence.occurrenceId)
    return { occurrence, reserved, unreadable, started: [] as ReadonlyArray<ProcessRecord> }
  })

/** The errors of `emit`: those `CoreTriggers.emit` declares (LashCore.ts). */
type EmitError = Effect.Effect.Error<ReturnType<CoreTriggers["emit"]>>

/** `core.triggers().emit` (docs/architecture.md, "Triggers"). */
export const emit = (
  core: CoreRuntime,
  request: TriggerOccurrenceRequest,
  scope: ExecutionScope | undefined,
  /**
   * The worker: a delivery registered with a lease (a free slot) is launched at once; the others are poked (targeted,
   * not a sweep) after every start of this emit.
   */
  worker: Pick<Drivers, "registerForRun" | "abandon" | "launch" | "poke">
): Effect.Effect<TriggerEmitReport, EmitError> =>
  Effect.gen(function*() {
    if (request.sourceType.length === 0) return yield* Effect.fail(new InvalidTriggerRequest({ field: "sourceType" }))
    if (request.sourceKey.length === 0) return yield* Effect.fail(new InvalidTriggerRequest({ field: "sourceKey" }))
    if (request.idempotencyKey.length === 0) {
      return yield* Effect.fail(new InvalidTriggerRequest({ field: "idempotencyKey" }))
    }
    const scoped = yield* core.controller.scoped(
      scope ?? { type: "runtime_operation", operationId: `trigger:${request.idempotencyKey}` }
    )
    // One unit records the occurrence, reserves its deliveries and starts the new ones (registration and grant) when
    // the store can (TriggerStore.recordAndStart); a crash leaves all of it or none. `plans` keeps the registrations
    // of the last run of the unit's body (a driver may run it again on contention).
    const plans = new Map<ProcessId, ProcessRegistration>()
    const traceparent = yield* Telemetry.currentTraceparent
    const { occurrence, reserved: reservations, started: startedInUnit, unreadable } =
      core.triggers.recordAndStart === undefined
        ? yield* recordThenReserve(core, request)
        : yield* core.triggers.recordAndStart(request, (reservation, occurrence) => {
          const start = plannedStart(reservation, occurrence, traceparent)
          if (start !== undefined) plans.set(reservation.processId, start.registration)
          return start
        })
    const inUnit = new Set(startedInUnit.map((record) => record.id))
    yield* Telemetry.triggerReserved(occurrence.occurrenceId, reservations.length + unreadable.length)
    // A subscription that does not decode never blocks the others: its delivery is set aside and reported.
    for (const delivery of unreadable) {
      const exists = yield* Effect.either(core.registry.get(delivery.processId))
      const unstarted = exists._tag === "Left"
        ? exists.left._tag === "ProcessNotFound"
        : exists.right.input.type === "external" && exists.right.status.state === "running"
      if (unstarted) yield* setAsideDelivery(core, delivery)
    }
    const registered = new Set<ProcessId>()
    const conflicts = new Set<string>()
    const unleased: Array<ProcessId> = []
    for (const reservation of reservations) {
      const planned = plans.get(reservation.processId)
      if (inUnit.has(reservation.processId) && planned !== undefined) {
        // Registered in the emit's unit: lease it for this worker when a slot is free (one unit, no registry.get).
        registered.add(reservation.processId)
        const leased = yield* Effect.either(worker.registerForRun(planned))
        if (Either.isRight(leased) && leased.right.lease !== undefined) {
          yield* worker.launch(leased.right.lease, leased.right.record)
        } else unleased.push(reservation.processId)
        continue
      }
      const exists = yield* Effect.either(core.registry.get(reservation.processId))
      if (
        exists._tag === "Right" && !(exists.right.input.type === "external" && exists.right.status.state === "running")
      ) continue
      const started = yield* startDelivery(core, scoped, reservation, occurrence, worker)
      if (started.lease !== undefined && started.record !== undefined) {
        registered.add(reservation.processId)
        yield* worker.launch(started.lease, started.record)
      } else if (started.registered) {
        registered.add(reservation.processId)
        unleased.push(reservation.processId)
      } else {
        const after = yield* Effect.either(core.registry.get(reservation.processId))
        if (after._tag === "Right" && after.right.input.type !== "external") conflicts.add(reservation.processId)
      }
    }
    yield* Effect.forEach(unleased, worker.poke, { discard: true })
    const started: Array<ProcessId> = []
    const failures: Array<
      { subscriptionId: TriggerSubscriptionRecord["subscriptionId"]; error: TriggerDeliveryError }
    > = []
    for (const reservation of reservations) {
      // A start this emit just committed is a started delivery (every failed start returns registered: false):
      // no need to read its row back.
      const verdict = registered.has(reservation.processId) ? "started" : yield* deliveryFailure(core, reservation)
      if (verdict === "started" && !conflicts.has(reservation.processId)) started.push(reservation.processId)
      else if (verdict === "missing" || conflicts.has(reservation.processId)) {
        failures.push({
          subscriptionId: reservation.subscription.subscriptionId,
          error: { type: "registration_rejected", tag: "ProcessRegistrationConflict" }
        })
      } else if (verdict !== "started") {
        failures.push({ subscriptionId: reservation.subscription.subscriptionId, error: verdict })
      }
    }
    for (const delivery of unreadable) {
      // Started before its subscription broke (a re-emit): still a started delivery.
      const verdict = yield* deliveryFailure(core, delivery)
      if (verdict === "started") started.push(delivery.processId)
      else {
        failures.push({
          subscriptionId: delivery.subscriptionId,
          error: verdict === "missing"
            ? { type: "subscription_unreadable", key: delivery.key, issue: delivery.issue }
            : verdict
        })
      }
    }
    yield* Telemetry.triggerDelivered(started.length, failures.length)
    if (reservations.length + unreadable.length > 0 && started.length === 0) {
      return yield* Effect.fail(
        new TriggerDeliveryFailed({
          occurrenceId: occurrence.occurrenceId,
          failures: failures as unknown as ReadonlyArray<Json>
        })
      )
    }
    return { occurrenceId: occurrence.occurrenceId, startedProcessIds: started, failures }
  }).pipe(Telemetry.triggerEmitSpan(request))
