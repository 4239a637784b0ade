/**
 * The runtime's own Lashlang modules (docs/lashlang.md, "Host surface"): `triggers.register`, `processes.list` (the
 * processes the caller may await: those granted to its session scope) and `triggers.list` / `triggers.cancel` (the
 * registrations of the caller's session; in a process started without a session, the ones that process made). A
 * program never sees another session's or another process's processes or registrations.
 *
 * @internal
 */
import {
  checkTriggerCompatibility,
  type HostEnvironment,
  HostFailure,
  type HostOperation,
  toJsonSchema,
  Value
} from "@lash/lashlang"
import { Effect, Option } from "effect"
import type { StoreError } from "../Errors.js"
import type { EnvRef, ProcessId, TriggerHandle } from "../Identifiers.js"
import { TriggerKeys } from "../Ids.js"
import type { Json } from "../Json.js"
import { lashlangEventTypes, type ProcessOriginator, type ProcessRecord, type SessionScope } from "../Process.js"
import * as TriggerReservation from "../storage/TriggerReservation.js"
import type { InputTemplateEntry, TriggerOwner, TriggerSubscriptionRecord } from "../Trigger.js"
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

/**
 * Whose registrations the caller lists and cancels: its session's, or, in a process started without a session, the
 * ones that process made itself (`TriggerOwner`); `undefined`: none.
 */
const ownerOf = (caller: ModuleCaller): TriggerOwner | undefined =>
  caller.originator.type === "session"
    ? caller.originator.scope.sessionId
    : caller.processId === undefined
    ? undefined
    : { processId: caller.processId }

const owns = (owner: TriggerOwner, sub: TriggerSubscriptionRecord): boolean =>
  TriggerReservation.ownedBy(
    { registrantSessionId: TriggerReservation.registrantSessionId(sub), registrationKey: sub.registrationKey },
    owner
  )

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
    const owner = ownerOf(caller)
    if (owner === undefined) return []
    const name = filter?.get("name")
    const sourceType = filter?.get("source_type")
    const enabled = filter?.get("enabled")
    const subs = yield* core.triggers.list({
      ...(typeof owner === "string" ? { sessionId: owner } : {}),
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof sourceType === "string" ? { sourceType } : {}),
      ...(typeof enabled === "boolean" ? { enabled } : {})
    })
    return subs
      .filter((sub) => owns(owner, sub))
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
    const owner = ownerOf(caller)
    if (owner === undefined) return false
    return yield* core.triggers.cancel(owner, id as TriggerHandle)
  })

/**
 * `triggers.register` (docs/architecture.md, "Triggers"): re-checks the inputs against the target's stored artifact,
 * then stores the subscription keyed by the call site, with the env the caller captures.
 */
export const registerTrigger = (
  caller: {
    readonly core: CoreRuntime
    readonly env: HostEnvironment
    readonly originator: ProcessOriginator
    readonly wakeTarget: SessionScope | undefined
  },
  op: Extract<HostOperation, { _tag: "TriggerRegister" }>,
  registrationKey: string,
  capturedEnv: Effect.Effect<EnvRef, StoreError>
): Effect.Effect<Value.Value, HostFailure | StoreError> =>
  Effect.gen(function*() {
    const { core, env } = caller
    const inputTemplate: Record<string, InputTemplateEntry> = {}
    for (const input of op.inputs) {
      inputTemplate[input.name] = input.binding.kind === "event"
        ? { type: "event" }
        : { type: "fixed", value: Value.toJson(input.binding.value) as Json }
    }
    const sourceType = op.source.typeName
    const eventTypeName = env.catalog.triggerSources[sourceType]?.eventType
    const eventType = eventTypeName === undefined ? undefined : env.catalog.namedDataTypes[eventTypeName]
    if (eventTypeName === undefined || eventType === undefined) {
      return yield* Effect.fail(new HostFailure({ message: `unknown trigger source ${sourceType}` }))
    }
    const artifact = yield* core.artifacts.get(op.target.moduleRef)
    const target = Option.getOrUndefined(artifact)?.exports.processes[op.target.processName]
    if (target === undefined) {
      return yield* Effect.fail(new HostFailure({ message: `trigger target ${op.target.processName} is not stored` }))
    }
    const incompatible = checkTriggerCompatibility(target, { name: eventTypeName, type: eventType }, op.inputs, env)
    if (incompatible !== undefined) return yield* Effect.fail(new HostFailure({ message: incompatible.message }))
    const resolveRef = (name: string): unknown => {
      const t = env.catalog.namedDataTypes[name]
      return t === undefined ? {} : toJsonSchema(t, { resolveRef, openObjects: true })
    }
    const payloadSchema = toJsonSchema(eventType, { resolveRef, openObjects: true }) as Json
    const source = Value.toJson(op.source.value) as Json
    const sourceKey = TriggerKeys.sourceKey(sourceType, source)
    const envRef = yield* capturedEnv
    const definition = {
      moduleRef: op.target.moduleRef,
      processRef: op.target.processRef,
      processName: op.target.processName
    }
    const record = yield* core.triggers
      .register({
        registrant: caller.originator,
        registrationKey,
        envRef,
        ...(caller.wakeTarget === undefined ? {} : { wakeTarget: caller.wakeTarget }),
        ...(op.name === undefined ? {} : { name: op.name }),
        sourceType,
        sourceKey,
        source,
        payloadSchema: payloadSchema as never,
        target: {
          type: "engine",
          kind: "lashlang",
          payload: { ...definition, hostRequirementsRef: op.target.hostRequirementsRef }
        },
        targetIdentity: { kind: "lashlang", ...(op.name === undefined ? {} : { label: op.name }), definition },
        eventTypes: lashlangEventTypes,
        inputTemplate
      })
      .pipe(
        Effect.catchTag("TriggerRegistrationConflict", () =>
          Effect.fail(new HostFailure({ message: "trigger registration conflict" })))
      )
    return Value.RecordValue.of([
      ["type", "trigger_handle"],
      ["id", record.handle],
      ["name", record.name ?? null],
      ["source_type", record.sourceType],
      ["source_key", record.sourceKey]
    ])
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
