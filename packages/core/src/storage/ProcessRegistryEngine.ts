/**
 * The `ProcessRegistry` port over a driver: registration, the event log (with the atomic wake enqueue), the fenced
 * completion and quarantine, blocking waits (`Signals.makeWaiters`); the lease operations are `ProcessLeases`, handle
 * grants `HandleGrants`.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option } from "effect"
import { type CorruptRecord, ProcessNotFound, ProcessRegistrationConflict, type StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import { registrationHashOf } from "../internal/registrationHashes.js"
import type { DurabilityTier } from "../Model.js"
import {
  type AppendEventRequest,
  ProcessEvent,
  type ProcessFilter,
  type ProcessLease,
  type ProcessRecord,
  type ProcessRegistration
} from "../Process.js"
import type { ProcessRegistryService } from "../ProcessRegistry.js"
import type { WriteTransaction } from "./Driver.js"
import type { LeaseColumns, ProcessRecordUpdate, ProcessRow } from "./DriverRows.js"
import * as EventAppend from "./EventAppend.js"
import * as HandleGrants from "./HandleGrants.js"
import * as Lease from "./Lease.js"
import * as ProcessLeases from "./ProcessLeases.js"
import { encodeRecord, eventOf, recordEither, recordOf } from "./ProcessRecords.js"
import * as Quarantine from "./Quarantine.js"
import * as QueuedWorkEngine from "./QueuedWorkEngine.js"
import * as RecordCodec from "./RecordCodec.js"
import type * as Signals from "./Signals.js"
import type { Unit, Units } from "./Unit.js"
import * as WakeDelivery from "./WakeDelivery.js"

const PORT = "ProcessRegistry"

const found = (processId: ProcessId, row: ProcessRow | undefined) =>
  row === undefined ? Effect.fail(new ProcessNotFound({ processId })) : Effect.succeed(row)

/**
 * One append inside a write unit: decide, write the event and the record, enqueue the wake in the same unit. With
 * `leaseAfter` (a fenced completion's release), the record write stores those lease columns too; a replay writes no
 * record, so the caller then writes the lease itself.
 */
const appendIn = (
  unit: Unit<WriteTransaction>,
  row: ProcessRow,
  req: AppendEventRequest,
  leaseAfter?: LeaseColumns
) =>
  Effect.gen(function*() {
    const { tx } = unit
    const record = yield* recordOf(row)
    // A row with no event yet (`lastEventSeq` 0: every event insert sets it in the same unit) has none to replay.
    const stored = req.replayKey === undefined || row.lastEventSeq === 0
      ? undefined
      : yield* tx.events.byReplayKey(row.processId, req.replayKey)
    const existing = stored === undefined ? Option.none() : Option.some(yield* eventOf(stored))
    const nowMs = yield* unit.now
    const decision = yield* Either.match(
      EventAppend.decide({ record, lastSequence: row.lastEventSeq, existing, req, nowMs }),
      { onLeft: Effect.fail, onRight: Effect.succeed }
    )
    if (decision.type === "replay") return { decision, record }
    const terminal = EventAppend.isTerminal(decision.record.status)
    yield* tx.events.insert({
      processId: row.processId,
      sequence: decision.event.sequence,
      eventType: decision.event.eventType,
      replayKey: req.replayKey ?? null,
      eventJson: RecordCodec.encode(ProcessEvent, decision.event),
      recordVersion: RecordCodec.RECORD_VERSION
    })
    const update: ProcessRecordUpdate = {
      processId: row.processId,
      recordJson: encodeRecord(decision.record),
      recordVersion: RecordCodec.RECORD_VERSION,
      terminal,
      lastEventSeq: decision.event.sequence,
      updatedAtMs: nowMs
    }
    yield* leaseAfter === undefined
      ? tx.processes.updateRecord(update)
      : ProcessLeases.updateRecordAndLease(tx, update, leaseAfter, row.lease.fencing)
    if (Option.isSome(decision.wakeDelivery)) {
      // The atomic wake enqueue: an unknown target session enqueues nothing and the event still commits.
      yield* QueuedWorkEngine.enqueueIn(unit, WakeDelivery.batchDraft(decision.wakeDelivery.value))
    }
    unit.signal({ kind: "process_event", processId: decision.event.processId, sequence: decision.event.sequence })
    if (terminal) unit.signal({ kind: "process_terminal", processId: decision.event.processId })
    // A signal wakes a process parked waiting for one; a cancel request wakes any parked process (it then ends).
    const reason = Lease.parkedReason(row.lease, nowMs)
    if (
      !terminal && reason !== undefined &&
      (req.eventType === "process.cancel_requested" || (req.eventType === "process.signal" && reason === "signal"))
    ) {
      yield* tx.processes.setLease(row.processId, Lease.released(row.lease), row.lease.fencing)
      unit.signal({ kind: "runnable", processId: decision.event.processId })
    }
    return { decision, record: decision.record }
  })

/**
 * `register` inside a write unit (docs/storage-contract.md, "Process registry"), for a cross-port unit of the engine
 * (storage/TriggerStoreEngine.ts starts a trigger delivery in its reservation's unit). A rejection
 * (`InvalidProcessRegistration`, `ProcessRegistrationConflict`) is decided before any write.
 *
 * @since 0.1.0
 */
export const registerIn = (
  unit: Unit<WriteTransaction>,
  reg: ProcessRegistration,
  options?: Parameters<ProcessRegistryService["register"]>[1]
) =>
  Effect.gen(function*() {
    yield* Either.match(EventAppend.validateRegistration(reg), {
      onLeft: Effect.fail,
      onRight: () => Effect.void
    })
    const { tx } = unit
    const claim = options?.claim
    // The lease of `claim`, taken in this unit when the row is runnable (Lease.next: fencing + 1).
    const leased = (row: ProcessRow, nowMs: number) =>
      Effect.gen(function*() {
        if (claim === undefined || row.terminal || row.external || Lease.isHeld(row.lease, nowMs)) {
          return undefined
        }
        const lease = Lease.next(reg.id, claim.ownerId, row.lease, nowMs, claim.ttlMs)
        if (!(yield* tx.processes.setLease(reg.id, Lease.columns(lease), row.lease.fencing))) {
          return yield* Effect.dieMessage(`process ${reg.id}: the guarded lease update matched no row`)
        }
        return lease
      })
    // A stored registration: the same one is a repeat, another one a conflict.
    const registered = (
      row: ProcessRow
    ): Effect.Effect<
      { record: ProcessRecord; created: boolean; lease?: ProcessLease },
      StoreError | CorruptRecord | ProcessRegistrationConflict
    > =>
      row.registrationHash === registrationHashOf(reg)
        ? Effect.gen(function*() {
          const record = yield* recordOf(row)
          const lease = yield* leased(row, yield* unit.now)
          return lease === undefined ? { record, created: false } : { record, created: false, lease }
        })
        : Effect.fail(new ProcessRegistrationConflict({ processId: reg.id }))
    const existing = yield* tx.processes.read(reg.id)
    if (existing !== undefined) return yield* registered(existing)
    const nowMs = yield* unit.now
    const record = EventAppend.newRecord(reg, nowMs)
    const external = reg.input.type === "external"
    // Leased at insert when the caller claims it: one row write, no `runnable` signal (nobody else may run it).
    const lease = claim === undefined || external
      ? undefined
      : Lease.next(reg.id, claim.ownerId, Lease.unleased, nowMs, claim.ttlMs)
    const inserted = yield* tx.processes.insert({
      processId: reg.id,
      registrationHash: record.registrationHash,
      recordJson: encodeRecord(record),
      recordVersion: RecordCodec.RECORD_VERSION,
      terminal: false,
      external,
      lastEventSeq: 0,
      lease: lease === undefined ? Lease.unleased : Lease.columns(lease),
      createdAtMs: nowMs,
      updatedAtMs: nowMs
    })
    // A shared store can lose the first-insert race to a unit that committed meanwhile: answer as its repeat.
    if (!inserted) return yield* Effect.flatMap(tx.processes.read(reg.id), (row) => registered(row!))
    if (lease !== undefined) return { record, created: true, lease }
    if (!external) unit.signal({ kind: "runnable", processId: reg.id })
    return { record, created: true }
  })

/**
 * Builds the process registry.
 *
 * @since 0.1.0
 */
export const make = (units: Units, tier: DurabilityTier, waiters: Signals.Waiters): ProcessRegistryService => {
  const terminalWrite = (
    unit: Unit<WriteTransaction>,
    row: ProcessRow,
    output: Parameters<ProcessRegistryService["completeAsHost"]>[1],
    leaseAfter?: LeaseColumns
  ) => appendIn(unit, row, EventAppend.terminalRequest(row.processId, output), leaseAfter)

  const listing = (filter: ProcessFilter) =>
    units.read(PORT, "list", (unit) =>
      Effect.gen(function*() {
        const terminal = filter.status === undefined ? undefined : filter.status === "terminal"
        const { readable, unreadable } = yield* RecordCodec.partitionListing(
          yield* unit.tx.processes.list(terminal),
          recordEither
        )
        const processes = readable.filter((record) =>
          (filter.kind === undefined || record.identity.kind === filter.kind) &&
          (filter.originatorSessionId === undefined ||
            (record.provenance.originator.type === "session" &&
              record.provenance.originator.scope.sessionId === filter.originatorSessionId))
        )
        return {
          processes,
          unreadable: unreadable.map(([row, corrupt]) => Quarantine.unreadableProcess(row, corrupt))
        }
      }))

  return {
    tier,
    atomicWakeEnqueue: true,
    ...HandleGrants.make(units),
    ...ProcessLeases.make(units),

    register: (reg, options) => units.write(PORT, "register", (unit) => registerIn(unit, reg, options)),

    get: (id) =>
      units.read(
        PORT,
        "get",
        (unit) => Effect.flatMap(Effect.flatMap(unit.tx.processes.read(id), (row) => found(id, row)), recordOf)
      ),

    list: (filter) => Effect.map(listing(filter), (listed) => listed.processes),

    listing: (filter) => listing(filter),

    listNonTerminalIds: () =>
      units.read(
        PORT,
        "listNonTerminalIds",
        (unit) => Effect.map(unit.tx.processes.ids(false), (ids) => ids as ReadonlyArray<ProcessId>)
      ),

    listNonTerminal: () =>
      units.read(
        PORT,
        "listNonTerminal",
        (unit) => Effect.flatMap(unit.tx.processes.list(false), (rows) => RecordCodec.decodeListing(rows, recordEither))
      ),

    appendEvent: (id, req) =>
      units.write(PORT, "appendEvent", (unit) =>
        Effect.gen(function*() {
          const row = yield* found(id, yield* unit.tx.processes.read(id))
          const { decision } = yield* appendIn(unit, row, req)
          return { event: decision.event, wakeDelivery: decision.wakeDelivery }
        })),

    eventsAfter: (id, sequence) =>
      units.read(PORT, "eventsAfter", (unit) =>
        Effect.gen(function*() {
          yield* found(id, yield* unit.tx.processes.read(id))
          return yield* Effect.forEach(yield* unit.tx.events.after(id, sequence), eventOf)
        })),

    watchEventAfter: (id, eventType, sequence) =>
      waiters.watch(
        { kind: "process_event", processId: id },
        units.read(PORT, "waitEventAfter", (unit) =>
          Effect.gen(function*() {
            // Not registered yet (the watch is taken before the registering unit commits): no events.
            if ((yield* unit.tx.processes.read(id)) === undefined) return Option.none<ProcessEvent>()
            const rows = yield* unit.tx.events.after(id, sequence, eventType, 1)
            return rows[0] === undefined ? Option.none<ProcessEvent>() : Option.some(yield* eventOf(rows[0]))
          }))
      ),

    waitEventAfter: (id, eventType, sequence) =>
      waiters.waitFor(
        { kind: "process_event", processId: id },
        units.read(PORT, "waitEventAfter", (unit) =>
          Effect.gen(function*() {
            yield* found(id, yield* unit.tx.processes.read(id))
            const rows = yield* unit.tx.events.after(id, sequence, eventType, 1)
            return rows[0] === undefined ? Option.none<ProcessEvent>() : Option.some(yield* eventOf(rows[0]))
          }))
      ),

    awaitProcess: (id) =>
      waiters.waitFor(
        { kind: "process_terminal", processId: id },
        units.read(PORT, "awaitProcess", (unit) =>
          Effect.gen(function*() {
            const row = yield* found(id, yield* unit.tx.processes.read(id))
            // Decoded while still running too: an await on a corrupt row fails with the CorruptRecord naming it,
            // instead of waiting for an end that row can never show.
            const record = yield* recordOf(row)
            if (!row.terminal) return Option.none()
            return record.status.state === "running" ? Option.none() : Option.some(record.status.awaitOutput)
          }))
      ),

    completeWithLease: (lease, output) =>
      units.write(PORT, "completeWithLease", (unit) =>
        Effect.gen(function*() {
          const row = yield* ProcessLeases.currentLeaseRow(unit, lease)
          const released = Lease.released(row.lease)
          // The release rides on the record write (one row write); a replayed end writes only the release.
          const { decision, record } = yield* terminalWrite(unit, row, output, released)
          if (decision.type === "replay") {
            yield* unit.tx.processes.setLease(lease.processId, released, row.lease.fencing)
          }
          return record
        })),

    quarantine: (lease) =>
      units.write(
        PORT,
        "quarantine",
        (unit) =>
          Effect.flatMap(ProcessLeases.currentLeaseRow(unit, lease), (row) =>
            Quarantine.quarantineIn(unit, row, recordEither))
      ),

    completeAsHost: (id, output) =>
      units.write(PORT, "completeAsHost", (unit) =>
        Effect.flatMap(
          Effect.flatMap(unit.tx.processes.read(id), (row) => found(id, row)),
          (row) => Effect.map(terminalWrite(unit, row, output), (out) => out.record)
        ))
  }
}
