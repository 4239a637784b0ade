/**
 * `core.processes()`: start (as a `process` start effect), get, await, list and cancel.
 *
 * @internal
 */
import { Deferred, Effect, Option } from "effect"
import type { ProcessId, SessionId } from "../Identifiers.js"
import type { CoreProcesses } from "../LashCore.js"
import type { ProcessLease, ProcessRecord } from "../Process.js"
import { ReplayKeys } from "../ReplayKeys.js"
import { withRegistrationHash } from "./registrationHashes.js"
import type { CoreRuntime } from "./runtime.js"
import { deliverSignal } from "./signals.js"
import * as Telemetry from "./telemetry.js"
import { processStartCodec } from "./triggers.js"
import type { Drivers } from "./worker.js"

/** The turn ids a session's history holds (a turn's nodes are `node:<turnId>:<n>`, see `TurnDelta`). */
const committedTurnIds = (core: CoreRuntime, sessionId: SessionId) =>
  Effect.map(core.store.load(sessionId), (stored) => {
    const ids = new Set<string>()
    if (Option.isNone(stored)) return ids
    for (const node of stored.value.graph.nodes) {
      const id = node.nodeId
      if (id.startsWith("node:")) ids.add(id.slice("node:".length, id.lastIndexOf(":")))
    }
    return ids
  })

/**
 * Processes started inside a turn that its session's history does not hold: the turn is still running, or it never
 * committed and was never re-driven (docs/architecture.md, "Effects and replay").
 */
const uncommitted = (core: CoreRuntime) =>
  Effect.gen(function*() {
    const bySession = new Map<SessionId, Array<{ readonly record: ProcessRecord; readonly turnId: string }>>()
    for (const record of yield* core.registry.list({})) {
      const cause = record.provenance.causedBy
      if (cause?.type !== "turn") continue
      const list = bySession.get(cause.sessionId) ?? []
      list.push({ record, turnId: cause.turnId })
      bySession.set(cause.sessionId, list)
    }
    const out: Array<ProcessRecord> = []
    for (const [sessionId, started] of bySession) {
      const committed = yield* committedTurnIds(core, sessionId)
      for (const { record, turnId } of started) if (!committed.has(turnId)) out.push(record)
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  })

/** Builds the process API of a core. */
export const makeProcessApi = (core: CoreRuntime, drivers: Drivers): CoreProcesses => ({
  start: (reg, scope) =>
    Effect.gen(function*() {
      const scoped = yield* core.controller.scoped(
        scope ?? { type: "runtime_operation", operationId: `process:${reg.id}` }
      )
      // Set when the registering unit also leased the process for this worker (a free slot): no claim unit follows.
      let lease: ProcessLease | undefined
      // The span current here (the turn, the tool call, the host's) is the one the worker run links to.
      const traced = yield* Telemetry.withTraceContext(reg)
      const record = yield* withRegistrationHash(traced, (registrationHash) =>
        scoped.execute(
          {
            scope: scoped.scope,
            effectId: reg.id,
            kind: "process",
            replayKey: ReplayKeys.processStart(reg.id),
            command: { op: "start", registrationHash }
          },
          processStartCodec,
          Effect.gen(function*() {
            const registered = yield* drivers.registerForRun(traced)
            lease = registered.lease
            const { record } = registered
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
        )).pipe(Effect.onError(() => (lease === undefined ? Effect.void : drivers.abandon(lease))))
      yield* lease === undefined ? drivers.poke(reg.id) : drivers.launch(lease, record)
      return record
    }),
  get: (id) => core.registry.get(id as ProcessId),
  // A run this core launched answers its own await: the outcome its terminal write stored, no read. Without one (not
  // launched here, or it ended without a terminal write) the registry answers.
  await: (id) =>
    Effect.suspend(() => {
      const local = drivers.localOutcome(id as ProcessId)
      // Built only when the registry answers (building a registry wait is not free).
      const stored = () => core.registry.awaitProcess(id as ProcessId)
      return local === undefined
        ? stored()
        : Effect.flatMap(
          Deferred.await(local),
          (outcome) => (outcome === undefined ? stored() : Effect.succeed(outcome))
        )
    }),
  list: (filter) => core.registry.listing(filter),
  uncommitted: () => uncommitted(core),
  signal: (id, name, payload, options) =>
    deliverSignal(
      core,
      drivers,
      id as ProcessId,
      name,
      payload,
      options?.idempotencyKey === undefined ? undefined : `host-signal:${options.idempotencyKey}`
    ),
  cancel: (id, reason) =>
    core.registry.appendEvent(id as ProcessId, {
      eventType: "process.cancel_requested",
      payload: reason === undefined ? {} : { reason }
    }).pipe(
      // A parked process was unparked by the request: the poke runs it now, and the run ends cancelled.
      Effect.zipRight(drivers.poke(id as ProcessId))
    )
})
