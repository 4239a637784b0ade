/**
 * The runtime's own Lashlang modules (docs/lashlang.md, "Host surface"): `processes.list` (the processes the caller may
 * await: those granted to its session scope) and `triggers.list` / `triggers.cancel` (the registrations of the
 * caller's session). A program never sees another session's processes or registrations.
 *
 * @internal
 */
import { HostFailure, Value } from "@lash/lashlang"
import { Effect } from "effect"
import type { StoreError } from "../Errors.js"
import type { ProcessId, TriggerHandle } from "../Identifiers.js"
import type { ProcessOriginator, ProcessRecord, SessionScope } from "../Process.js"
import type { TriggerSubscriptionRecord } from "../Trigger.js"
import type { CoreRuntime } from "./runtime.js"

/** Who is asking: the scope its handles are granted to, the originator its registrations carry, the process it is. */
export interface ModuleCaller {
  readonly grantee: SessionScope | undefined
  readonly originator: ProcessOriginator
  readonly processId: ProcessId | undefined
}

/** The host operations served here. */
export const runtimeModuleOperations: ReadonlySet<string> = new Set([
  "processes.list",
  "triggers.list",
  "triggers.cancel"
])

const argOf = (args: ReadonlyArray<Value.Value>): Value.RecordValue | undefined => {
  const arg = args[0]
  return Value.isRecord(arg) ? arg : undefined
}

const processEntry = (record: ProcessRecord): Value.Value =>
  Value.RecordValue.of([
    ["__handle__", "process"],
    ["id", record.id],
    ["name", record.identity.label ?? record.identity.kind],
    ["status", record.status.state]
  ])

const triggerEntry = (sub: TriggerSubscriptionRecord): Value.Value =>
  Value.RecordValue.of([
    ["type", "trigger_handle"],
    ["id", sub.handle],
    ["name", sub.name ?? null],
    ["source_type", sub.sourceType],
    ["source_key", sub.sourceKey],
    ["enabled", sub.enabled]
  ])

const listProcesses = (core: CoreRuntime, caller: ModuleCaller, status: Value.Value | undefined) =>
  Effect.gen(function*() {
    const wanted = (record: ProcessRecord) =>
      status === undefined || status === null ||
      (status === "running" ? record.status.state === "running" : record.status.state !== "running")
    let records: ReadonlyArray<ProcessRecord>
    if (caller.grantee !== undefined) {
      const grants = yield* core.registry.listHandleGrants(caller.grantee)
      const found: Array<ProcessRecord> = []
      for (const grant of grants) {
        const record = yield* core.registry.get(grant.processId).pipe(
          Effect.catchTag("ProcessNotFound", () => Effect.succeed(undefined))
        )
        if (record !== undefined) found.push(record)
      }
      records = found
    } else {
      // A host-started process without a session: the processes it started itself.
      const self = caller.processId
      records = self === undefined ?
        [] :
        (yield* core.registry.list({})).filter((r) =>
          r.provenance.causedBy?.type === "process" && r.provenance.causedBy.processId === self
        )
    }
    return records.filter(wanted).map(processEntry)
  })

const sessionOf = (originator: ProcessOriginator) =>
  originator.type === "session" ? originator.scope.sessionId : undefined

const targetMatches = (sub: TriggerSubscriptionRecord, target: Value.Value | undefined): boolean => {
  if (target === undefined || target === null) return true
  if (!Value.isTaggedKind(target) || target._tag !== "ProcessDef") return false
  // The same declaration (its content hash) under the same name, whichever module it was linked in.
  const payload = sub.target.type === "engine"
    ? (sub.target.payload as { readonly processName?: unknown; readonly processRef?: { readonly component?: unknown } })
    : undefined
  return payload?.processName === target.processName &&
    payload?.processRef?.component === target.processRef.component
}

const listTriggers = (core: CoreRuntime, caller: ModuleCaller, filter: Value.RecordValue | undefined) =>
  Effect.gen(function*() {
    const sessionId = sessionOf(caller.originator)
    const name = filter?.get("name")
    const sourceType = filter?.get("source_type")
    const enabled = filter?.get("enabled")
    const subs = yield* core.triggers.list({
      ...(sessionId === undefined ? {} : { sessionId }),
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof sourceType === "string" ? { sourceType } : {}),
      ...(typeof enabled === "boolean" ? { enabled } : {})
    })
    return subs
      .filter((sub) => sessionId !== undefined || sub.registrant.type === "host")
      .filter((sub) => targetMatches(sub, filter?.get("target")))
      .map(triggerEntry)
  })

const cancelTrigger = (core: CoreRuntime, caller: ModuleCaller, arg: Value.RecordValue | undefined) =>
  Effect.gen(function*() {
    const handle = arg?.get("handle")
    const id = typeof handle === "string" ? handle : Value.isRecord(handle) ? handle.get("id") : undefined
    if (typeof id !== "string") {
      return yield* Effect.fail(new HostFailure({ message: "triggers.cancel needs a trigger handle or its id" }))
    }
    const sessionId = sessionOf(caller.originator)
    // Only the registrant session may cancel; a host-started caller has no session and cancels nothing.
    if (sessionId === undefined) return false
    return yield* core.triggers.cancel(sessionId, id as TriggerHandle)
  })

/** Performs one of {@link runtimeModuleOperations}. */
export const performRuntimeModule = (
  core: CoreRuntime,
  caller: ModuleCaller,
  hostOperation: string,
  args: ReadonlyArray<Value.Value>
): Effect.Effect<Value.Value, HostFailure | StoreError> => {
  const arg = argOf(args)
  switch (hostOperation) {
    case "processes.list":
      return listProcesses(core, caller, arg?.get("status"))
    case "triggers.list":
      return listTriggers(core, caller, arg)
    case "triggers.cancel":
      return cancelTrigger(core, caller, arg)
    default:
      return Effect.fail(new HostFailure({ message: `unknown operation ${hostOperation}` }))
  }
}
