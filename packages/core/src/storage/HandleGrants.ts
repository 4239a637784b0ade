/**
 * The handle-grant half of the `ProcessRegistry` port over a driver: which session scope may `await` or `cancel` a
 * process (docs/architecture.md), with the descriptor it was granted under.
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema } from "effect"
import type { ProcessId } from "../Identifiers.js"
import { type SessionScope, sessionScopeId } from "../Process.js"
import type { HandleDescriptor, ProcessRegistryService } from "../ProcessRegistry.js"
import type { WriteTransaction } from "./Driver.js"
import * as RecordCodec from "./RecordCodec.js"
import type { Unit, Units } from "./Unit.js"

const PORT = "ProcessRegistry"
const { RecordKeys } = RecordCodec

/** The stored form of a handle-grant descriptor. */
const HandleDescriptorRecord = Schema.Struct({
  kind: Schema.optionalWith(Schema.String, { exact: true }),
  label: Schema.optionalWith(Schema.String, { exact: true })
})

/**
 * `grantHandle` inside a write unit, for a cross-port unit of the engine (storage/TriggerStoreEngine.ts grants a
 * trigger delivery's handle in its reservation's unit). An upsert: granting again keeps one grant.
 *
 * @since 0.1.0
 */
export const grantIn = (
  unit: Unit<WriteTransaction>,
  scope: SessionScope,
  id: ProcessId,
  descriptor: HandleDescriptor
) =>
  Effect.flatMap(unit.now, (nowMs) =>
    unit.tx.grants.upsert({
      scopeId: sessionScopeId(scope),
      processId: id,
      descriptorJson: RecordCodec.encode(HandleDescriptorRecord, descriptor),
      grantedAtMs: nowMs
    }))

/**
 * The handle-grant methods of the process registry.
 *
 * @since 0.1.0
 */
export const make = (
  units: Units
): Pick<ProcessRegistryService, "grantHandle" | "hasHandleGrant" | "listHandleGrants"> => ({
  grantHandle: (scope, id, descriptor: HandleDescriptor) =>
    units.write(PORT, "grantHandle", (unit) => grantIn(unit, scope, id, descriptor)),

  hasHandleGrant: (scope, id) =>
    units.read(
      PORT,
      "hasHandleGrant",
      (unit) => Effect.map(unit.tx.grants.read(sessionScopeId(scope), id), (row) => row !== undefined)
    ),

  listHandleGrants: (scope) =>
    units.read(
      PORT,
      "listHandleGrants",
      (unit) =>
        Effect.flatMap(unit.tx.grants.list(sessionScopeId(scope)), (rows) =>
          RecordCodec.decodeListing(rows, (row) =>
            Either.map(
              RecordCodec.decodeEither(
                HandleDescriptorRecord,
                PORT,
                RecordKeys.grant(row.scopeId, row.processId),
                row.descriptorJson,
                RecordCodec.RECORD_VERSION
              ),
              (descriptor) => ({ processId: row.processId as ProcessId, descriptor })
            )))
    )
})
