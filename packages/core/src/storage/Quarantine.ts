/**
 * Poison process rows, decided once (docs/architecture.md, "Poison rows"; docs/storage-drivers.md, "Corrupt rows").
 *
 * A process row whose record does not decode can never run: a worker that leased it quarantines it in one unit, under
 * its live lease, without decoding or rewriting the record text:
 * - a `process.quarantined` event is appended (the next sequence), its payload naming the row and what failed to
 *   decode (`{ port, key, issue }`): the reason is durable and readable through `eventsAfter`;
 * - the row is marked terminal (the driver's projection), so no claim ever selects it again and listings of running
 *   processes leave it out; the record text stays as stored, for an operator to inspect or repair;
 * - the lease is released, and waiters are signalled: an `await` fails with the `CorruptRecord` naming the row.
 *
 * No wake is delivered (the wake target lives in the undecodable record). Listings name such a row as unreadable and
 * `quarantined` (`ProcessListing`).
 *
 * A queued batch that does not decode is set aside by the claim that meets it ({@link batchSetAside}), so later
 * batches of its session are claimed and the session stops counting as having pending work.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option } from "effect"
import type { CorruptRecord, StoreError } from "../Errors.js"
import type { BatchId, ProcessId } from "../Identifiers.js"
import { ProcessEvent, type ProcessRecord, type UnreadableProcess } from "../Process.js"
import type { UnreadableBatch } from "../QueuedWork.js"
import type { WriteTransaction } from "./Driver.js"
import type { BatchClaim, BatchRow, ProcessRow } from "./DriverRows.js"
import * as Lease from "./Lease.js"
import * as ProcessLeases from "./ProcessLeases.js"
import * as RecordCodec from "./RecordCodec.js"
import type { Unit } from "./Unit.js"

/**
 * The event type a quarantine appends.
 *
 * @since 0.1.0
 */
export const QUARANTINED_EVENT = "process.quarantined"

/**
 * Quarantines `row` (whose live lease the caller checked) when its record does not decode; answers the
 * `CorruptRecord` that made it, or `None` when the record decodes (nothing is written).
 *
 * @since 0.1.0
 */
export const quarantineIn = (
  unit: Unit<WriteTransaction>,
  row: ProcessRow,
  decode: (row: ProcessRow) => Either.Either<ProcessRecord, CorruptRecord>
): Effect.Effect<Option.Option<CorruptRecord>, StoreError> =>
  Effect.gen(function*() {
    const decoded = decode(row)
    if (Either.isRight(decoded)) return Option.none()
    const corrupt = decoded.left
    const { tx } = unit
    const nowMs = yield* unit.now
    const sequence = row.lastEventSeq + 1
    const processId = row.processId as ProcessId
    const event: ProcessEvent = {
      processId,
      sequence,
      eventType: QUARANTINED_EVENT,
      payload: { port: corrupt.port, key: corrupt.key, issue: corrupt.issue },
      occurredAtMs: nowMs
    }
    yield* tx.events.insert({
      processId: row.processId,
      sequence,
      eventType: QUARANTINED_EVENT,
      replayKey: null,
      eventJson: RecordCodec.encode(ProcessEvent, event),
      recordVersion: RecordCodec.RECORD_VERSION
    })
    // The record text and version are written back as stored: nothing of the row is decoded or lost.
    // One fenced statement where the driver has it: the record marked terminal, the lease released.
    yield* ProcessLeases.updateRecordAndLease(
      tx,
      {
        processId: row.processId,
        recordJson: row.recordJson,
        recordVersion: row.recordVersion,
        terminal: true,
        lastEventSeq: sequence,
        updatedAtMs: nowMs
      },
      Lease.released(row.lease),
      row.lease.fencing
    )
    unit.signal({ kind: "process_event", processId, sequence })
    unit.signal({ kind: "process_terminal", processId })
    return Option.some(corrupt)
  })

/**
 * How a listing names a process row it cannot decode (`quarantined`: the row is terminal, set aside by a worker).
 *
 * @since 0.1.0
 */
export const unreadableProcess = (row: ProcessRow, corrupt: CorruptRecord): UnreadableProcess => ({
  port: corrupt.port,
  key: corrupt.key,
  issue: corrupt.issue,
  processId: row.processId as ProcessId,
  quarantined: row.terminal
})

/**
 * The claim columns a queued batch that does not decode is set aside with, in the unit of the claim that met it: a
 * claim that never expires (`Lease.NO_DEADLINE`) and that no claimer carries, so every backend's `claimable` and
 * `sessionsWithClaimable` skip the row for good while it stays open, listed (and named) for an operator. No driver
 * change, no new column.
 *
 * @since 0.1.0
 */
export const batchSetAside: BatchClaim = {
  claimId: "quarantined",
  token: "quarantined:unreadable",
  expiresAtMs: Lease.NO_DEADLINE
}

/**
 * How a listing names an open batch row it cannot decode (`setAside`: a claim met it and set it aside).
 *
 * @since 0.1.0
 */
export const unreadableBatch = (row: BatchRow, corrupt: CorruptRecord): UnreadableBatch => ({
  port: corrupt.port,
  key: corrupt.key,
  issue: corrupt.issue,
  batchId: row.batchId as BatchId,
  enqueueSeq: row.enqueueSeq,
  sourceKey: row.sourceKey,
  setAside: row.claim !== null && row.claim.claimId === batchSetAside.claimId
})
