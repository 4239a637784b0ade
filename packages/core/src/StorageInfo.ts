/**
 * `StorageInfo` (what a backend is and how durable it is) and the optional `StorageSignals` hints.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Stream } from "effect"
import type { StoreUnavailable } from "./Errors.js"
import type { ProcessId, SessionId } from "./Identifiers.js"
import type { DurabilityTier } from "./Model.js"

/** How a backend survives failures. @since 0.1.0 */
export interface DurabilityReport {
  readonly mechanism: string
  readonly crashSafety: "power-loss" | "process-crash" | "none"
  readonly details: Readonly<Record<string, string>>
}

/** The service shape of {@link StorageInfo}. @since 0.1.0 */
export interface StorageInfoService {
  readonly name: string
  readonly tier: DurabilityTier
  readonly durabilityReport: Effect.Effect<DurabilityReport, StoreUnavailable>
}

/**
 * Describes a backend: its name, tier and a durability report read from the live store.
 *
 * @since 0.1.0
 */
export class StorageInfo extends Context.Tag("@lash/core/StorageInfo")<StorageInfo, StorageInfoService>() {}

/** A storage hint. @since 0.1.0 */
export type StorageSignal =
  | { readonly kind: "process_event"; readonly processId: ProcessId; readonly sequence: number }
  | { readonly kind: "process_terminal"; readonly processId: ProcessId }
  | { readonly kind: "queue_changed"; readonly sessionId: SessionId }
  | { readonly kind: "runnable"; readonly processId: ProcessId }
  | { readonly kind: "poll" }

/**
 * Optional hints that something changed in storage. Correctness never depends on receiving one.
 *
 * @since 0.1.0
 */
export class StorageSignals extends Context.Tag("@lash/core/StorageSignals")<
  StorageSignals,
  { readonly subscribe: Stream.Stream<StorageSignal> }
>() {}
