/**
 * The `TriggerStore` port: subscriptions, occurrences and delivery reservations. Semantics: docs/storage-contract.md, "Trigger store"
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { StoreError, TriggerIdempotencyConflict, TriggerRegistrationConflict } from "./Errors.js"
import type { OccurrenceId, TriggerHandle } from "./Identifiers.js"
import type { DurabilityTier } from "./Model.js"
import type { ProcessRecord, ProcessRegistration, SessionScope } from "./Process.js"
import type { HandleDescriptor } from "./ProcessRegistry.js"
import type {
  TriggerDeliveryReservation,
  TriggerListing,
  TriggerOccurrenceRecord,
  TriggerOccurrenceRequest,
  TriggerOwner,
  TriggerReservations,
  TriggerSubscriptionDraft,
  TriggerSubscriptionFilter,
  TriggerSubscriptionRecord,
  UnreadableDelivery
} from "./Trigger.js"

/**
 * How an emit starts one reserved delivery in its reservation's unit: the process registration and, when the
 * subscription names a wake target, the handle grant that goes with it. @since 0.1.0
 */
export interface TriggerDeliveryStart {
  readonly registration: ProcessRegistration
  readonly grant?: { readonly scope: SessionScope; readonly descriptor: HandleDescriptor }
}

/** What {@link TriggerStoreService.recordAndStart} answers. @since 0.1.0 */
export interface TriggerStartReport extends TriggerReservations {
  readonly occurrence: TriggerOccurrenceRecord
  /** The processes this unit registered (and granted), as stored, in reservation order. */
  readonly started: ReadonlyArray<ProcessRecord>
}

/** The service shape of {@link TriggerStore}. @since 0.1.0 */
export interface TriggerStoreService {
  readonly tier: DurabilityTier
  /** Idempotent on (registrant scope, registrationKey) when `h(draft)` is equal; otherwise a conflict. */
  register(
    draft: TriggerSubscriptionDraft
  ): Effect.Effect<TriggerSubscriptionRecord, StoreError | TriggerRegistrationConflict>
  /** Sorted by (registrant scope id, handle number). */
  list(filter: TriggerSubscriptionFilter): Effect.Effect<ReadonlyArray<TriggerSubscriptionRecord>, StoreError>
  /**
   * {@link list}, naming the matching rows that do not decode (the filter applies to their stored columns), from one
   * snapshot.
   */
  listing(filter: TriggerSubscriptionFilter): Effect.Effect<TriggerListing, StoreError>
  /** True only if it was enabled and `owner` may cancel it ({@link TriggerOwner}): its own handles only. */
  cancel(owner: TriggerOwner, handle: TriggerHandle): Effect.Effect<boolean, StoreError>
  recordOccurrence(
    req: TriggerOccurrenceRequest
  ): Effect.Effect<TriggerOccurrenceRecord, StoreError | TriggerIdempotencyConflict>
  /** Reserves once per matching enabled subscription up to the occurrence's high-water mark; returns all, by handle. */
  reserveDeliveries(occurrenceId: OccurrenceId): Effect.Effect<ReadonlyArray<TriggerDeliveryReservation>, StoreError>
  /**
   * {@link reserveDeliveries}, also naming the reservations whose subscription row does not decode (reserved like the
   * others, each with its process id), so an emit delivers to every readable subscription and reports the others.
   */
  reserveDeliveriesReport(occurrenceId: OccurrenceId): Effect.Effect<TriggerReservations, StoreError>
  /**
   * {@link recordOccurrence}, {@link reserveDeliveriesReport} and the start of every readable reservation whose process
   * row does not exist yet, as one unit (docs/storage-contract.md, "Trigger store"): `plan` (pure; it may be called
   * again when the unit is retried) names each one's registration and grant, or `undefined` to leave it to the caller.
   * A registration the registry rejects (`InvalidProcessRegistration`, `ProcessRegistrationConflict`) writes nothing
   * and is left to the caller too. Optional: without it the runtime records, reserves and starts in separate units.
   */
  readonly recordAndStart?: (
    req: TriggerOccurrenceRequest,
    plan: (
      reservation: TriggerDeliveryReservation,
      occurrence: TriggerOccurrenceRecord
    ) => TriggerDeliveryStart | undefined
  ) => Effect.Effect<TriggerStartReport, StoreError | TriggerIdempotencyConflict>
  /** Reservations whose process row does not exist yet, oldest first. */
  listUnstartedDeliveries(limit: number): Effect.Effect<
    ReadonlyArray<{ readonly reservation: TriggerDeliveryReservation; readonly occurrence: TriggerOccurrenceRecord }>,
    StoreError
  >
  /**
   * {@link listUnstartedDeliveries}, also naming the unstarted reservations whose subscription or occurrence row does
   * not decode (counted in `limit`), so a sweep can set them aside instead of meeting them forever.
   */
  listUnstartedDeliveriesReport(limit: number): Effect.Effect<
    {
      readonly deliveries: ReadonlyArray<
        { readonly reservation: TriggerDeliveryReservation; readonly occurrence: TriggerOccurrenceRecord }
      >
      readonly unreadable: ReadonlyArray<UnreadableDelivery>
    },
    StoreError
  >
}

/**
 * The trigger store port.
 *
 * @since 0.1.0
 */
export class TriggerStore extends Context.Tag("@lash/core/TriggerStore")<TriggerStore, TriggerStoreService>() {}
