/**
 * `core.processes()`: start (as a `process` start effect), get, await, list and cancel.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ProcessId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { CoreProcesses } from "../LashCore.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type { CoreRuntime } from "./runtime.js"
import { processStartCodec } from "./triggers.js"
import type { Drivers } from "./worker.js"

/** Builds the process API of a core. */
export const makeProcessApi = (core: CoreRuntime, drivers: Drivers): CoreProcesses => ({
  start: (reg, scope) =>
    Effect.gen(function*() {
      const scoped = yield* core.controller.scoped(
        scope ?? { type: "runtime_operation", operationId: `process:${reg.id}` }
      )
      const record = yield* scoped.execute(
        {
          scope: scoped.scope,
          effectId: reg.id,
          kind: "process",
          replayKey: ReplayKeys.processStart(reg.id),
          command: { op: "start", registrationHash: Ids.registrationHash(reg) }
        },
        processStartCodec,
        Effect.gen(function*() {
          const { record } = yield* core.registry.register(reg)
          const grantee = reg.wakeTarget ??
            (reg.provenance.originator.type === "session" ? reg.provenance.originator.scope : undefined)
          if (grantee !== undefined) {
            yield* core.registry.grantHandle(grantee, reg.id, {
              kind: reg.identity.kind,
              ...(reg.identity.label === undefined ? {} : { label: reg.identity.label })
            })
          }
          return record
        })
      )
      yield* drivers.poke(reg.id)
      return record
    }),
  get: (id) => core.registry.get(id as ProcessId),
  await: (id) => core.registry.awaitProcess(id as ProcessId),
  list: (filter) => core.registry.list(filter),
  cancel: (id, reason) =>
    Effect.asVoid(
      core.registry.appendEvent(id as ProcessId, {
        eventType: "process.cancel_requested",
        payload: reason === undefined ? {} : { reason }
      })
    )
})
