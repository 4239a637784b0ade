/**
 * The `TriggerStore` port over a driver: registrations, occurrences and delivery reservations, decided by
 * `TriggerReservation`.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import type { CorruptRecord, TriggerIdempotencyConflict, TriggerRegistrationConflict } from "../Errors.js"
import type { OccurrenceId, ProcessId, SubscriptionId, TriggerHandle } from "../Identifiers.js"
import type { DurabilityTier } from "../Model.js"
import type { ProcessRecord } from "../Process.js"
import {
  type TriggerDeliveryReservation,
  TriggerOccurrenceRecord,
  type TriggerOccurrenceRequest,
  type TriggerSubscriptionFilter,
  TriggerSubscriptionRecord,
  type UnreadableDelivery,
  type UnreadableSubscription
} from "../Trigger.js"
import type { TriggerStoreService } from "../TriggerStore.js"
import type { WriteTransaction } from "./Driver.js"
import type { OccurrenceRow, SubscriptionRow } from "./DriverRows.js"
import * as HandleGrants from "./HandleGrants.js"
import * as ProcessRegistryEngine from "./ProcessRegistryEngine.js"
import * as RecordCodec from "./RecordCodec.js"
import * as TriggerReservation from "./TriggerReservation.js"
import type { Unit, Units } from "./Unit.js"

const PORT = "TriggerStore"
const { RecordKeys } = RecordCodec

/** The stored record with the live `enabled` flag of its row (`cancel` flips only the flag). */
const subscriptionEither = (row: SubscriptionRow) =>
  Either.map(
    RecordCodec.decodeEither(
      TriggerSubscriptionRecord,
      PORT,
      RecordKeys.subscription(row.subscriptionId),
      row.recordJson,
      row.recordVersion
    ),
    (
      record
    ): TriggerSubscriptionRecord => (record.enabled === row.enabled ? record : { ...record, enabled: row.enabled })
  )

const occurrenceEither = (row: OccurrenceRow) =>
  RecordCodec.decodeEither(
    TriggerOccurrenceRecord,
    PORT,
    RecordKeys.occurrence(row.occurrenceId),
    row.recordJson,
    row.recordVersion
  )

/**
 * The subscriptions that match `filter`, and the matching rows that do not decode, named. The filter is applied to the
 * row's projected columns before decoding, so it holds for the unreadable rows too.
 */
const listing = (units: Units, filter: TriggerSubscriptionFilter) =>
  units.read(PORT, "list", (unit) =>
    Effect.gen(function*() {
      const rows = (yield* unit.tx.subscriptions.list()).filter((row) =>
        (filter.sessionId === undefined || row.registrantSessionId === filter.sessionId) &&
        (filter.sourceType === undefined || row.sourceType === filter.sourceType) &&
        (filter.sourceKey === undefined || row.sourceKey === filter.sourceKey) &&
        (filter.name === undefined || row.name === filter.name) &&
        (filter.handle === undefined || row.handle === filter.handle) &&
        (filter.enabled === undefined || row.enabled === filter.enabled)
      )
      const { readable, unreadable } = yield* RecordCodec.partitionListing(rows, subscriptionEither)
      return {
        subscriptions: readable,
        unreadable: unreadable.map(([row, corrupt]): UnreadableSubscription => ({
          port: corrupt.port,
          key: corrupt.key,
          issue: corrupt.issue,
          subscriptionId: row.subscriptionId as SubscriptionId,
          handle: row.handle as TriggerHandle,
          sourceType: row.sourceType,
          enabled: row.enabled
        }))
      }
    }))

/** The unstarted reservations, oldest first; those whose subscription or occurrence does not decode are named. */
const unstarted = (units: Units, limit: number) =>
  units.read(PORT, "listUnstartedDeliveries", (unit) =>
    Effect.gen(function*() {
      const { readable, unreadable } = yield* RecordCodec.partitionListing(
        yield* unit.tx.deliveries.unstarted(Math.max(0, limit)),
        ({ delivery, occurrence, subscription }) =>
          Either.flatMap(occurrenceEither(occurrence), (decodedOccurrence) =>
            Either.map(subscriptionEither(subscription), (record) => ({
              reservation: {
                occurrenceId: decodedOccurrence.occurrenceId,
                subscription: record,
                processId: delivery.processId as ProcessId,
                isNew: false
              },
              occurrence: decodedOccurrence
            })))
      )
      return {
        deliveries: readable,
        unreadable: unreadable.map(([{ delivery }, corrupt]): UnreadableDelivery => ({
          occurrenceId: delivery.occurrenceId as OccurrenceId,
          subscriptionId: delivery.subscriptionId as SubscriptionId,
          processId: delivery.processId as ProcessId,
          port: corrupt.port,
          key: corrupt.key,
          issue: corrupt.issue
        }))
      }
    }))

/** Reserves the occurrence's deliveries; the reservations whose subscription does not decode are named. */
const reserve = (units: Units, occurrenceId: OccurrenceId) =>
  units.write(PORT, "reserveDeliveries", (unit) =>
    Effect.gen(function*() {
      const stored = yield* unit.tx.occurrences.read(occurrenceId)
      if (stored === undefined) return { reserved: [], unreadable: [] }
      return yield* reserveIn(unit, yield* RecordCodec.orFail(occurrenceEither(stored)))
    }))

/** {@link reserve} inside a write unit, for an occurrence the unit already read or recorded. */
const reserveIn = (unit: Unit<WriteTransaction>, occurrence: TriggerOccurrenceRecord) =>
  Effect.gen(function*() {
    const { tx } = unit
    const { occurrenceId } = occurrence
    const matching = yield* tx.subscriptions.matching(
      occurrence.sourceType,
      occurrence.sourceKey,
      occurrence.subscriptionHighWater
    )
    const nowMs = yield* unit.now
    const inserted = new Set<string>()
    let seq = yield* tx.counters.read("reservation_seq")
    for (const subscription of matching) {
      const { processId, subscriptionId } = TriggerReservation.reservationOf(occurrenceId, subscription.handleNo)
      const isNew = yield* tx.deliveries.insert({
        occurrenceId,
        subscriptionId,
        processId,
        handleNo: subscription.handleNo,
        reservedAtMs: nowMs,
        seq: seq + 1
      })
      if (isNew) {
        seq++
        inserted.add(subscriptionId)
      }
    }
    if (inserted.size > 0) yield* tx.counters.write("reservation_seq", seq)
    const { readable, unreadable } = yield* RecordCodec.partitionListing(
      yield* tx.deliveries.ofOccurrence(occurrenceId),
      ({ delivery, subscription }) =>
        Either.map(subscriptionEither(subscription), (record): TriggerDeliveryReservation => ({
          occurrenceId,
          subscription: record,
          processId: delivery.processId as ProcessId,
          isNew: inserted.has(delivery.subscriptionId)
        }))
    )
    return {
      reserved: readable,
      unreadable: unreadable.map(([{ delivery }, corrupt]): UnreadableDelivery => ({
        occurrenceId,
        subscriptionId: delivery.subscriptionId as SubscriptionId,
        processId: delivery.processId as ProcessId,
        port: corrupt.port,
        key: corrupt.key,
        issue: corrupt.issue
      }))
    }
  })

/** The occurrence of `req`, recorded once per id; a recorded one with other content is a conflict. */
const recordIn = (unit: Unit<WriteTransaction>, req: TriggerOccurrenceRequest) =>
  Effect.gen(function*() {
    const { tx } = unit
    const identity = TriggerReservation.occurrenceIdentity(req)
    // A recorded occurrence: the same content is a repeat, other content a conflict.
    const recorded = (
      row: OccurrenceRow
    ): Effect.Effect<TriggerOccurrenceRecord, CorruptRecord | TriggerIdempotencyConflict> => {
      const conflict = TriggerReservation.idempotencyConflict(
        req,
        identity.occurrenceId,
        row.contentHash,
        identity.contentHash
      )
      return conflict === undefined ? RecordCodec.orFail(occurrenceEither(row)) : Effect.fail(conflict)
    }
    const existing = yield* tx.occurrences.read(identity.occurrenceId)
    if (existing !== undefined) return yield* recorded(existing)
    const nowMs = yield* unit.now
    const record = TriggerReservation.newOccurrence(req, identity, yield* tx.counters.read("trigger_handle"), nowMs)
    const inserted = yield* tx.occurrences.insert({
      occurrenceId: record.occurrenceId,
      contentHash: record.contentHash,
      recordJson: RecordCodec.encode(TriggerOccurrenceRecord, record),
      recordVersion: RecordCodec.RECORD_VERSION
    })
    // A shared store can lose the first-insert race: answer as a repeat.
    if (!inserted) return yield* Effect.flatMap(tx.occurrences.read(identity.occurrenceId), (row) => recorded(row!))
    return record
  })

/**
 * The start of the reservations of `reserved` that have no process row yet, in the caller's unit: each one `plan`
 * names is registered (ProcessRegistryEngine.registerIn) and its handle granted (HandleGrants.grantIn); a registration
 * the registry rejects writes nothing (registerIn decides before it writes) and is left to the caller.
 */
const startIn = (
  unit: Unit<WriteTransaction>,
  occurrence: TriggerOccurrenceRecord,
  reserved: ReadonlyArray<TriggerDeliveryReservation>,
  plan: Parameters<NonNullable<TriggerStoreService["recordAndStart"]>>[1]
) =>
  Effect.gen(function*() {
    const started: Array<ProcessRecord> = []
    for (const reservation of reserved) {
      if ((yield* unit.tx.processes.read(reservation.processId)) !== undefined) continue
      const start = plan(reservation, occurrence)
      if (start === undefined) continue
      const registered = yield* ProcessRegistryEngine.registerIn(unit, start.registration).pipe(
        Effect.map((out) => out.record),
        Effect.catchTags({
          InvalidProcessRegistration: () => Effect.succeed(undefined),
          ProcessRegistrationConflict: () => Effect.succeed(undefined)
        })
      )
      if (registered === undefined) continue
      if (start.grant !== undefined) {
        yield* HandleGrants.grantIn(unit, start.grant.scope, registered.id, start.grant.descriptor)
      }
      started.push(registered)
    }
    return started
  })

/**
 * Builds the trigger store.
 *
 * @since 0.1.0
 */
export const make = (units: Units, tier: DurabilityTier): TriggerStoreService => ({
  tier,

  register: (draft) =>
    units.write(PORT, "register", (unit) =>
      Effect.gen(function*() {
        const { tx } = unit
        const scopeId = TriggerReservation.registrantScopeId(draft)
        // A stored registration under the key: the same draft is a repeat, another one a conflict.
        const registered = (
          row: SubscriptionRow
        ): Effect.Effect<TriggerSubscriptionRecord, CorruptRecord | TriggerRegistrationConflict> => {
          const conflict = TriggerReservation.registrationConflict(draft, row.draftHash)
          return conflict === undefined ? RecordCodec.orFail(subscriptionEither(row)) : Effect.fail(conflict)
        }
        const existing = yield* tx.subscriptions.byRegistrationKey(scopeId, draft.registrationKey)
        if (existing !== undefined) return yield* registered(existing)
        const nowMs = yield* unit.now
        const record = TriggerReservation.newSubscription(draft, yield* tx.counters.read("trigger_handle"), nowMs)
        const inserted = yield* tx.subscriptions.insert({
          subscriptionId: record.subscriptionId,
          handle: record.handle,
          handleNo: record.handleNo,
          registrantScopeId: scopeId,
          registrantSessionId: TriggerReservation.registrantSessionId(draft),
          registrationKey: draft.registrationKey,
          draftHash: record.draftHash,
          name: draft.name ?? null,
          sourceType: draft.sourceType,
          sourceKey: draft.sourceKey,
          enabled: true,
          recordJson: RecordCodec.encode(TriggerSubscriptionRecord, record),
          recordVersion: RecordCodec.RECORD_VERSION,
          createdAtMs: nowMs
        })
        // A shared store can lose the first-insert race: answer as a repeat; the handle number stays unused.
        if (!inserted) {
          return yield* Effect.flatMap(
            tx.subscriptions.byRegistrationKey(scopeId, draft.registrationKey),
            (row) => registered(row!)
          )
        }
        yield* tx.counters.write("trigger_handle", record.handleNo)
        return record
      })),

  list: (filter) => Effect.map(listing(units, filter), (listed) => listed.subscriptions),

  listing: (filter) => listing(units, filter),

  cancel: (owner, handle) =>
    units.write(PORT, "cancel", (unit) =>
      Effect.gen(function*() {
        const row = yield* unit.tx.subscriptions.byHandle(handle)
        // Only the owner's own live handle.
        if (row === undefined || !TriggerReservation.ownedBy(row, owner) || !row.enabled) return false
        yield* unit.tx.subscriptions.setEnabled(row.subscriptionId, false)
        return true
      })),

  recordOccurrence: (req) => units.write(PORT, "recordOccurrence", (unit) => recordIn(unit, req)),

  reserveDeliveries: (occurrenceId) =>
    Effect.map(reserve(units, occurrenceId), (reservations) => reservations.reserved),

  reserveDeliveriesReport: (occurrenceId) => reserve(units, occurrenceId),

  recordAndStart: (req, plan) =>
    units.write(PORT, "recordAndStart", (unit) =>
      Effect.gen(function*() {
        const occurrence = yield* recordIn(unit, req)
        const { reserved, unreadable } = yield* reserveIn(unit, occurrence)
        const started = yield* startIn(unit, occurrence, reserved, plan)
        return { occurrence, reserved, unreadable, started }
      })),

  listUnstartedDeliveries: (limit) => Effect.map(unstarted(units, limit), (listed) => listed.deliveries),

  listUnstartedDeliveriesReport: (limit) => unstarted(units, limit)
})
