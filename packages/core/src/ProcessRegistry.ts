/**
 * The `ProcessRegistry` port: process rows, their event logs, leases and handle grants.
 * Storage semantics per method: docs/storage-contract.md, "Process registry"
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option, type Scope } from "effect"
import type {
  CorruptRecord,
  InvalidProcessRegistration,
  LeaseHeld,
  LeaseLost,
  ProcessEventRejected,
  ProcessNotFound,
  ProcessRegistrationConflict,
  StoreError
} from "./Errors.js"
import type { ProcessId } from "./Identifiers.js"
import type { DurabilityTier } from "./Model.js"
import type {
  AppendEventRequest,
  ProcessAwaitOutput,
  ProcessEvent,
  ProcessFilter,
  ProcessLease,
  ProcessListing,
  ProcessRecord,
  ProcessRegistration,
  ProcessWakeDelivery,
  SessionScope
} from "./Process.js"

/** A handle grant descriptor. @since 0.1.0 */
export interface HandleDescriptor {
  readonly kind?: string
  readonly label?: string
}

/** The service shape of {@link ProcessRegistry}. @since 0.1.0 */
export interface ProcessRegistryService {
  readonly tier: DurabilityTier
  /** True: `appendEvent` also enqueues the wake batch in the same unit. */
  readonly atomicWakeEnqueue: boolean
  /**
   * Registers a process (a repeat of the same registration answers the stored record). With `claim`, the same unit
   * also leases the process when it is runnable (running, not external, no live lease) and answers the `lease`: a
   * worker with a free slot starts its run without a second write unit. A registry may ignore `claim` (no `lease`);
   * the caller then pokes its worker as without it.
   */
  register(
    reg: ProcessRegistration,
    options?: { readonly claim?: { readonly ownerId: string; readonly ttlMs: number } }
  ): Effect.Effect<
    { readonly record: ProcessRecord; readonly created: boolean; readonly lease?: ProcessLease },
    StoreError | ProcessRegistrationConflict | InvalidProcessRegistration
  >
  get(id: ProcessId): Effect.Effect<ProcessRecord, StoreError | ProcessNotFound>
  /** The rows that decode and match the filter, ascending id (the unreadable ones are left out: {@link listing}). */
  list(filter: ProcessFilter): Effect.Effect<ReadonlyArray<ProcessRecord>, StoreError>
  /** {@link list}, naming the rows that do not decode (`ProcessListing`), from one snapshot. */
  listing(filter: ProcessFilter): Effect.Effect<ProcessListing, StoreError>
  /** Ascending id (code point) order. */
  listNonTerminalIds(): Effect.Effect<ReadonlyArray<ProcessId>, StoreError>
  listNonTerminal(): Effect.Effect<ReadonlyArray<ProcessRecord>, StoreError>
  appendEvent(
    id: ProcessId,
    req: AppendEventRequest
  ): Effect.Effect<
    { readonly event: ProcessEvent; readonly wakeDelivery: Option.Option<ProcessWakeDelivery> },
    StoreError | ProcessNotFound | ProcessEventRejected
  >
  eventsAfter(id: ProcessId, sequence: number): Effect.Effect<ReadonlyArray<ProcessEvent>, StoreError | ProcessNotFound>
  /** Blocks until an event of `eventType` with a sequence greater than `sequence` exists. */
  waitEventAfter(
    id: ProcessId,
    eventType: string,
    sequence: number
  ): Effect.Effect<ProcessEvent, StoreError | ProcessNotFound>
  /**
   * Optional: registers a wait for an event of `eventType` after `sequence` now (until the scope closes) and answers
   * it; the wait reads only after a signal concerning the process, never first, and a process not registered yet has
   * no events. For a caller about to register the process (the worker's cancel watcher): `waitEventAfter` without
   * its first read. Without it, use `waitEventAfter`.
   */
  watchEventAfter?(
    id: ProcessId,
    eventType: string,
    sequence: number
  ): Effect.Effect<Effect.Effect<ProcessEvent, StoreError>, never, Scope.Scope>
  /** Blocks until the process is terminal. */
  awaitProcess(id: ProcessId): Effect.Effect<ProcessAwaitOutput, StoreError | ProcessNotFound>
  claimLease(
    id: ProcessId,
    ownerId: string,
    ttlMs: number
  ): Effect.Effect<ProcessLease, StoreError | ProcessNotFound | LeaseHeld>
  /** Leases up to `limit` running, non-external, unleased processes in id order. */
  claimRunnable(req: {
    readonly ownerId: string
    readonly ttlMs: number
    readonly limit: number
  }): Effect.Effect<ReadonlyArray<ProcessLease>, StoreError>
  renewLease(lease: ProcessLease, ttlMs: number): Effect.Effect<ProcessLease, StoreError | LeaseLost>
  /** A stale lease is a no-op. */
  releaseLease(lease: ProcessLease): Effect.Effect<void, StoreError>
  /** One unit: verify the live lease and fence, append the terminal event, release. */
  completeWithLease(
    lease: ProcessLease,
    output: ProcessAwaitOutput
  ): Effect.Effect<ProcessRecord, StoreError | LeaseLost | ProcessEventRejected>
  /**
   * One unit: verify the live lease, then park the process (docs/architecture.md, "Processes and leases"): the lease
   * is given up and no worker claims the process until `untilMs` (`null`: until a `process.signal` event). A signal
   * appended later unparks a process waiting for one; a `process.cancel_requested` unparks any. When an event newer
   * than `seenSequence` exists, or the deadline has passed, the process is released runnable instead
   * (`parked: false`).
   */
  park(
    lease: ProcessLease,
    req: { readonly untilMs: number | null; readonly seenSequence: number; readonly reason: "sleep" | "signal" }
  ): Effect.Effect<{ readonly parked: boolean }, StoreError | LeaseLost>
  /** The parked processes, with their deadline (`null`: waiting for a signal). Ascending process id. */
  listParked(): Effect.Effect<
    ReadonlyArray<
      { readonly processId: ProcessId; readonly reason: "sleep" | "signal"; readonly untilMs: number | null }
    >,
    StoreError
  >
  /**
   * One unit: verify the live lease; when the process row does not decode, quarantine it (docs/architecture.md,
   * "Poison rows"): a `process.quarantined` event naming the row and the decode failure, the row terminal with its
   * record text left as stored, the lease released. Answers the `CorruptRecord`, or `None` when the row decodes
   * (nothing written).
   */
  quarantine(lease: ProcessLease): Effect.Effect<Option.Option<CorruptRecord>, StoreError | LeaseLost>
  /** Terminal write for `external` rows (no lease). */
  completeAsHost(
    id: ProcessId,
    output: ProcessAwaitOutput
  ): Effect.Effect<ProcessRecord, StoreError | ProcessNotFound | ProcessEventRejected>
  grantHandle(scope: SessionScope, id: ProcessId, descriptor: HandleDescriptor): Effect.Effect<void, StoreError>
  hasHandleGrant(scope: SessionScope, id: ProcessId): Effect.Effect<boolean, StoreError>
  listHandleGrants(
    scope: SessionScope
  ): Effect.Effect<ReadonlyArray<{ readonly processId: ProcessId; readonly descriptor: HandleDescriptor }>, StoreError>
}

/**
 * The process registry port.
 *
 * @since 0.1.0
 */
export class ProcessRegistry
  extends Context.Tag("@lash/core/ProcessRegistry")<ProcessRegistry, ProcessRegistryService>()
{}
