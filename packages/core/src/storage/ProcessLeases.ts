/**
 * The lease half of the `ProcessRegistry` port over a driver: claiming (one process or a sweep of runnable ones),
 * renewing, releasing and parking a process lease, and the parked listing. The lease arithmetic and fencing are
 * `Lease`; the fenced writes that end or quarantine a run stay with the event log (storage/ProcessRegistryEngine.ts).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { LeaseHeld, LeaseLost, ProcessNotFound } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { ProcessLease } from "../Process.js"
import type { ProcessRegistryService } from "../ProcessRegistry.js"
import type { WriteTransaction } from "./Driver.js"
import type { LeaseColumns, ProcessRecordUpdate } from "./DriverRows.js"
import * as Lease from "./Lease.js"
import type { Unit, Units } from "./Unit.js"

const PORT = "ProcessRegistry"

/**
 * The process row whose live lease is `lease` (renewals and fenced completions), or `LeaseLost`.
 *
 * @since 0.1.0
 */
export const currentLeaseRow = (unit: Unit<WriteTransaction>, lease: ProcessLease) =>
  Effect.gen(function*() {
    const row = yield* unit.tx.processes.read(lease.processId)
    if (row === undefined || !Lease.isCurrent(row.lease, lease, yield* unit.now)) {
      return yield* Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
    }
    return row
  })

const claimRunnableIn = (
  unit: Unit<WriteTransaction>,
  req: { readonly ownerId: string; readonly ttlMs: number; readonly limit: number }
) =>
  Effect.gen(function*() {
    const { tx } = unit
    const nowMs = yield* unit.now
    const expiresAtMs = Lease.expiry(nowMs, req.ttlMs)
    const fastPath = tx.processes.claimRunnable
    if (fastPath !== undefined) {
      const claimed = yield* fastPath({ ownerId: req.ownerId, nowMs, expiresAtMs, limit: req.limit })
      return claimed.map(({ fencing, processId }) =>
        Lease.fromFencing(processId as ProcessId, req.ownerId, fencing, nowMs, expiresAtMs)
      )
    }
    const rows = yield* tx.processes.runnable(nowMs, req.limit)
    const leases: Array<ProcessLease> = []
    for (const row of rows) {
      const lease = Lease.next(row.processId as ProcessId, req.ownerId, row.lease, nowMs, req.ttlMs)
      if (!(yield* tx.processes.setLease(row.processId, Lease.columns(lease), row.lease.fencing))) {
        return yield* Effect.dieMessage(`process ${row.processId}: the guarded lease update matched no row`)
      }
      leases.push(lease)
    }
    return leases
  })

/**
 * The record update of an append and the lease columns `lease` it leaves, fenced by the row's stored fencing: one
 * statement when the driver has `updateRecordAndLease`, else `updateRecord` then `setLease`.
 *
 * @since 0.1.0
 */
export const updateRecordAndLease = (
  tx: WriteTransaction,
  update: ProcessRecordUpdate,
  lease: LeaseColumns,
  expectedFencing: number
) => {
  const fastPath = tx.processes.updateRecordAndLease
  if (fastPath === undefined) {
    return Effect.zipRight(
      tx.processes.updateRecord(update),
      tx.processes.setLease(update.processId, lease, expectedFencing)
    )
  }
  // The unit read the row with this fencing and keeps it as read: a miss is a broken driver.
  return Effect.flatMap(fastPath(update, lease, expectedFencing), (matched) =>
    matched
      ? Effect.void
      : Effect.dieMessage(`process ${update.processId}: the guarded record and lease update matched no row`))
}

/**
 * The lease operations of the process registry.
 *
 * @since 0.1.0
 */
export const make = (
  units: Units
): Pick<
  ProcessRegistryService,
  "claimLease" | "claimRunnable" | "renewLease" | "releaseLease" | "park" | "listParked"
> => ({
  claimLease: (id, ownerId, ttlMs) =>
    units.write(PORT, "claimLease", (unit) =>
      Effect.gen(function*() {
        const row = yield* unit.tx.processes.read(id)
        if (row === undefined) return yield* Effect.fail(new ProcessNotFound({ processId: id }))
        const nowMs = yield* unit.now
        if (Lease.isHeld(row.lease, nowMs)) return yield* Effect.fail(new LeaseHeld({ processId: id }))
        const lease = Lease.next(id, ownerId, row.lease, nowMs, ttlMs)
        if (!(yield* unit.tx.processes.setLease(id, Lease.columns(lease), row.lease.fencing))) {
          return yield* Effect.dieMessage(`process ${id}: the guarded lease update matched no row`)
        }
        return lease
      })),

  claimRunnable: (req) =>
    req.limit <= 0
      ? Effect.succeed([])
      : units.write(PORT, "claimRunnable", (unit) => claimRunnableIn(unit, req)),

  renewLease: (lease, ttlMs) =>
    units.write(PORT, "renewLease", (unit) =>
      Effect.gen(function*() {
        const row = yield* currentLeaseRow(unit, lease)
        const renewed = Lease.renewed(lease, yield* unit.now, ttlMs)
        yield* unit.tx.processes.setLease(lease.processId, Lease.columns(renewed), row.lease.fencing)
        return renewed
      })),

  releaseLease: (lease) =>
    units.write(PORT, "releaseLease", (unit) =>
      Effect.gen(function*() {
        const row = yield* unit.tx.processes.read(lease.processId)
        if (row !== undefined && Lease.isStored(row.lease, lease)) {
          yield* unit.tx.processes.setLease(lease.processId, Lease.released(row.lease), row.lease.fencing)
        }
      })),

  park: (lease, req) =>
    units.write(PORT, "park", (unit) =>
      Effect.gen(function*() {
        const row = yield* currentLeaseRow(unit, lease)
        const nowMs = yield* unit.now
        // Something arrived after the run last looked (a signal, a cancel): run again instead of parking.
        const due = req.untilMs !== null && req.untilMs <= nowMs
        if (row.lastEventSeq > req.seenSequence || due) {
          yield* unit.tx.processes.setLease(lease.processId, Lease.released(row.lease), row.lease.fencing)
          unit.signal({ kind: "runnable", processId: lease.processId })
          return { parked: false }
        }
        yield* unit.tx.processes.setLease(
          lease.processId,
          Lease.parked(row.lease, req.reason, req.untilMs, nowMs),
          row.lease.fencing
        )
        return { parked: true }
      })),

  listParked: () =>
    units.read(PORT, "listParked", (unit) =>
      Effect.gen(function*() {
        const nowMs = yield* unit.now
        const rows = yield* unit.tx.processes.list(false)
        return rows.flatMap((row) => {
          const reason = Lease.parkedReason(row.lease, nowMs)
          return reason === undefined ? [] : [{
            processId: row.processId as ProcessId,
            reason,
            untilMs: row.lease.expiresAtMs === Lease.NO_DEADLINE ? null : row.lease.expiresAtMs
          }]
        })
      }))
})
