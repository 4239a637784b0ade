/**
 * Processes: durable, globally addressable units of background work. The schemas of a registration and of what is
 * stored of a process (record, events, wakes, lease); the event types a process declares are in `ProcessEventTypes.ts`,
 * re-exported here.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { EnvRef, ModuleRef, ProcessId, SessionId, ToolId, WakeId } from "./Identifiers.js"
import { nextId } from "./IdGenerator.js"
import { Json, opt } from "./Json.js"
import { SessionPolicy } from "./Model.js"
import { coreEventTypes, mergeEventTypes, ProcessEventType, TerminalState } from "./ProcessEventTypes.js"
import { CausalRef, PluginOptions, SessionRelation } from "./Session.js"
import { PreparedToolCall, ToolOutputContract } from "./Tool.js"
import { TurnInput } from "./Turn.js"

export * from "./ProcessEventTypes.js"

/** A session (and optional frame) a process belongs to or wakes. @since 0.1.0 */
export const SessionScope = Schema.Struct({ sessionId: SessionId, frameId: opt(Schema.String) })
/** @since 0.1.0 */
export interface SessionScope extends Schema.Schema.Type<typeof SessionScope> {}

/** The scope id of a session scope: `session:<sid>` or `session:<sid>/frame:<fid>`. @since 0.1.0 */
export const sessionScopeId = (scope: SessionScope): string =>
  scope.frameId === undefined ? `session:${scope.sessionId}` : `session:${scope.sessionId}/frame:${scope.frameId}`

const SessionCreateRequestSchema = Schema.Struct({
  sessionId: SessionId,
  relation: SessionRelation,
  startPoint: Schema.Literal("empty"),
  policy: SessionPolicy,
  pluginOptions: PluginOptions,
  usageSource: Schema.String
})
/** How a child session is created by a `session_turn` process. @since 0.1.0 */
export interface SessionCreateRequest extends Schema.Schema.Type<typeof SessionCreateRequestSchema> {}

/**
 * Schema and constructor of {@link SessionCreateRequest}. `child` mints the child's id once
 * (`child:` + `IdGenerator.next("session")`), when the request is built, so it is fixed inside the registration.
 *
 * @since 0.1.0
 */
export const SessionCreateRequest = Object.assign(SessionCreateRequestSchema, {
  child: (
    parentId: string,
    options: {
      readonly startPoint: "empty"
      readonly policy: SessionPolicy
      readonly pluginOptions: PluginOptions
      readonly usageSource: string
    }
  ): Effect.Effect<SessionCreateRequest> =>
    Effect.map(nextId("session"), (id) => ({
      sessionId: `child:${id}` as SessionId,
      relation: { type: "child" as const, parentSessionId: parentId as SessionId },
      startPoint: options.startPoint,
      policy: options.policy,
      pluginOptions: options.pluginOptions,
      usageSource: options.usageSource
    }))
})

/** The input of a Lashlang engine process (the `payload` of an `engine` input of kind `lashlang`). @since 0.1.0 */
export const LashlangProcessInput = Schema.Struct({
  moduleRef: ModuleRef,
  processRef: Schema.Struct({ component: Schema.String, pos: Schema.NonNegativeInt }),
  hostRequirementsRef: Schema.String,
  processName: Schema.String,
  args: Schema.Record({ key: Schema.String, value: Json })
})
/** @since 0.1.0 */
export interface LashlangProcessInput extends Schema.Schema.Type<typeof LashlangProcessInput> {}

/** What a process runs. @since 0.1.0 */
export const ProcessInput = Schema.Union(
  Schema.Struct({ type: Schema.Literal("tool_call"), call: PreparedToolCall }),
  Schema.Struct({ type: Schema.Literal("engine"), kind: Schema.String, payload: Json }),
  Schema.Struct({
    type: Schema.Literal("session_turn"),
    createRequest: SessionCreateRequest,
    turnInput: TurnInput,
    outputContract: ToolOutputContract
  }),
  Schema.Struct({ type: Schema.Literal("external"), metadata: Json })
)
/** @since 0.1.0 */
export type ProcessInput = typeof ProcessInput.Type

/** Who started a process. @since 0.1.0 */
export const ProcessOriginator = Schema.Union(
  Schema.Struct({ type: Schema.Literal("host") }),
  Schema.Struct({ type: Schema.Literal("session"), scope: SessionScope })
)
/** @since 0.1.0 */
export type ProcessOriginator = typeof ProcessOriginator.Type

/** Who started a process and what caused it. @since 0.1.0 */
const ProcessProvenanceSchema = Schema.Struct({ originator: ProcessOriginator, causedBy: opt(CausalRef) })
/** @since 0.1.0 */
export interface ProcessProvenance extends Schema.Schema.Type<typeof ProcessProvenanceSchema> {}

/**
 * Schema of {@link ProcessProvenance}, with `host(causedBy?)` and `session(scope, causedBy?)` constructors.
 *
 * @since 0.1.0
 */
export const ProcessProvenance = Object.assign(ProcessProvenanceSchema, {
  /** Started by the host application. */
  host: (causedBy?: CausalRef): ProcessProvenance =>
    causedBy === undefined ? { originator: { type: "host" } } : { originator: { type: "host" }, causedBy },
  /** Started from a session scope. */
  session: (scope: SessionScope, causedBy?: CausalRef): ProcessProvenance =>
    causedBy === undefined
      ? { originator: { type: "session", scope } }
      : { originator: { type: "session", scope }, causedBy }
})

/** A process identity (its kind and optional label/definition). @since 0.1.0 */
export const ProcessIdentity = Schema.Struct({ kind: Schema.String, label: opt(Schema.String), definition: opt(Json) })
/** @since 0.1.0 */
export interface ProcessIdentity extends Schema.Schema.Type<typeof ProcessIdentity> {}

/**
 * The W3C trace context of the span that started a process (`traceparent`, version 00): the worker's
 * `lash.worker.run` links to it, in whichever OS process it runs (docs/observability.md, "Links").
 *
 * @since 0.1.0
 */
export const TraceContext = Schema.Struct({
  traceparent: Schema.String.pipe(
    Schema.pattern(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, {
      message: () => "a W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>"
    })
  )
})
/** @since 0.1.0 */
export interface TraceContext extends Schema.Schema.Type<typeof TraceContext> {}

/**
 * A registration: everything needed to run a process later, from storage alone. `traceContext` is where it was
 * started from (set by the core when a tracer is installed); it is not part of the registration hash, so a repeated
 * start from another trace is the same registration.
 *
 * @since 0.1.0
 */
export const ProcessRegistrationSchema = Schema.Struct({
  id: ProcessId,
  input: ProcessInput,
  identity: ProcessIdentity,
  eventTypes: Schema.Array(ProcessEventType),
  provenance: ProcessProvenance,
  envRef: opt(EnvRef),
  wakeTarget: opt(SessionScope),
  traceContext: opt(TraceContext)
})
/** @since 0.1.0 */
export interface ProcessRegistration extends Schema.Schema.Type<typeof ProcessRegistrationSchema> {}

/** The awaited result of a terminal process. @since 0.1.0 */
export const ProcessAwaitOutput = Schema.Union(
  Schema.Struct({ type: Schema.Literal("success"), value: Json }),
  Schema.Struct({ type: Schema.Literal("failure"), code: Schema.String, message: Schema.String, raw: opt(Json) }),
  Schema.Struct({ type: Schema.Literal("cancelled"), message: Schema.String })
)
/** @since 0.1.0 */
export type ProcessAwaitOutput = typeof ProcessAwaitOutput.Type

/** The terminal event type for a terminal output. @since 0.1.0 */
export const terminalEventType = (output: ProcessAwaitOutput): string =>
  output.type === "success" ? "process.completed" : output.type === "failure" ? "process.failed" : "process.cancelled"

/** Process status. @since 0.1.0 */
export const ProcessStatus = Schema.Union(
  Schema.Struct({ state: Schema.Literal("running") }),
  Schema.Struct({ state: TerminalState, awaitOutput: ProcessAwaitOutput })
)
/** @since 0.1.0 */
export type ProcessStatus = typeof ProcessStatus.Type

/** A stored process. @since 0.1.0 */
export const ProcessRecord = Schema.Struct({
  ...ProcessRegistrationSchema.fields,
  registrationHash: Schema.String,
  createdAtMs: Schema.NonNegativeInt,
  updatedAtMs: Schema.NonNegativeInt,
  status: ProcessStatus
})
/** @since 0.1.0 */
export interface ProcessRecord extends Schema.Schema.Type<typeof ProcessRecord> {}

/** One event of a process's append-only log. @since 0.1.0 */
export const ProcessEvent = Schema.Struct({
  processId: ProcessId,
  sequence: Schema.Int.pipe(Schema.positive()),
  eventType: Schema.String,
  payload: Json,
  replayKey: opt(Schema.String),
  wake: opt(Schema.Struct({ input: Schema.String, dedupeKey: Schema.String })),
  occurredAtMs: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface ProcessEvent extends Schema.Schema.Type<typeof ProcessEvent> {}

/** A wake to be delivered to a session as queued work. @since 0.1.0 */
export const ProcessWakeDelivery = Schema.Struct({
  wakeId: WakeId,
  targetSessionId: SessionId,
  targetScopeId: Schema.String,
  processId: ProcessId,
  sequence: Schema.Int.pipe(Schema.positive()),
  eventType: Schema.String,
  processCausedBy: opt(CausalRef),
  dedupeKey: Schema.String,
  input: Schema.String,
  createdAtMs: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface ProcessWakeDelivery extends Schema.Schema.Type<typeof ProcessWakeDelivery> {}

/** A process lease: time-bounded exclusive ownership, fenced by a token that only increases. @since 0.1.0 */
export const ProcessLease = Schema.Struct({
  processId: ProcessId,
  ownerId: Schema.String,
  leaseToken: Schema.String,
  fencingToken: Schema.Int.pipe(Schema.positive()),
  claimedAtMs: Schema.NonNegativeInt,
  expiresAtMs: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface ProcessLease extends Schema.Schema.Type<typeof ProcessLease> {}

/** The env a process runs under: plugin options and policy (unknown keys rejected). @since 0.1.0 */
export const ProcessExecutionEnvSpec = Schema.Struct({ pluginOptions: PluginOptions, policy: SessionPolicy })
/** @since 0.1.0 */
export interface ProcessExecutionEnvSpec extends Schema.Schema.Type<typeof ProcessExecutionEnvSpec> {}

/** A request to append a process event. @since 0.1.0 */
export interface AppendEventRequest {
  readonly eventType: string
  readonly payload: Json
  readonly replayKey?: string
  readonly wakeTargetScope?: SessionScope
}

/**
 * A stored row a listing could not decode, named by its port and row key (the `CorruptRecord` it would fail a point
 * read with). @since 0.1.0
 */
export interface UnreadableRecord {
  readonly port: string
  readonly key: string
  readonly issue: string
}

/**
 * An unreadable process row. `quarantined`: a worker set it aside (terminal, never claimed again, its reason in a
 * `process.quarantined` event); otherwise no worker has leased it since it became unreadable (docs/architecture.md,
 * "Poison rows"). @since 0.1.0
 */
export interface UnreadableProcess extends UnreadableRecord {
  readonly processId: ProcessId
  readonly quarantined: boolean
}

/**
 * A process listing: the rows that decode and match the filter, and the rows that do not decode, named. An unreadable
 * row matches a `status` filter by its stored state (quarantined rows are terminal); the `kind` and
 * `originatorSessionId` filters cannot be checked on it, so it is named under every such filter. @since 0.1.0
 */
export interface ProcessListing {
  readonly processes: ReadonlyArray<ProcessRecord>
  readonly unreadable: ReadonlyArray<UnreadableProcess>
}

/** A filter for `ProcessRegistry.list`. @since 0.1.0 */
export interface ProcessFilter {
  readonly status?: "running" | "terminal"
  readonly originatorSessionId?: SessionId
  readonly kind?: string
}

const makeRegistration = (p: {
  readonly id: ProcessId
  readonly input: ProcessInput
  readonly provenance: ProcessProvenance
  readonly identity?: ProcessIdentity
  readonly eventTypes?: ReadonlyArray<ProcessEventType>
  readonly envRef?: EnvRef
  readonly wakeTarget?: SessionScope
}): ProcessRegistration => {
  const reg: {
    -readonly [K in keyof ProcessRegistration]: ProcessRegistration[K]
  } = {
    id: p.id,
    input: p.input,
    identity: p.identity ?? { kind: p.input.type === "engine" ? p.input.kind : p.input.type },
    eventTypes: mergeEventTypes(coreEventTypes, p.eventTypes ?? []),
    provenance: p.provenance
  }
  if (p.envRef !== undefined) reg.envRef = p.envRef
  if (p.wakeTarget !== undefined) reg.wakeTarget = p.wakeTarget
  return reg
}

/**
 * Schema and constructors of {@link ProcessRegistration}. `make` fills the default identity and adds the core event
 * types (deduplicated by name, sorted by name); `toolCall` builds the registration of one tool call.
 *
 * @since 0.1.0
 */
export const ProcessRegistration = Object.assign(ProcessRegistrationSchema, {
  make: makeRegistration,
  /**
   * A `tool_call` process: a worker runs the tool `toolName` once with `args`, under the execution env `envRef` (what
   * `core.processEnv.persist(spec)` returns; a `tool_call` process needs one). `id` and `toolId` (default
   * `tool:<toolName>`) are checked by the `ProcessId` and `ToolId` schemas, so an empty one throws, as their `make`
   * does. `callId` defaults to `<id>:call`, `provenance` to the host's. E.g.
   * `core.processes().start(ProcessRegistration.toolCall({ id: "nap-1", toolName: "nap", args: { seconds: 5 }, envRef }))`.
   */
  toolCall: (p: {
    readonly id: string
    readonly toolName: string
    readonly args: Json
    readonly envRef: EnvRef
    readonly toolId?: string
    readonly callId?: string
    readonly provenance?: ProcessProvenance
  }): ProcessRegistration =>
    makeRegistration({
      id: ProcessId.make(p.id),
      input: {
        type: "tool_call",
        call: {
          callId: p.callId ?? `${p.id}:call`,
          toolId: ToolId.make(p.toolId ?? `tool:${p.toolName}`),
          toolName: p.toolName,
          args: p.args,
          preparedPayload: null
        }
      },
      provenance: p.provenance ?? ProcessProvenance.host(),
      envRef: p.envRef
    })
})
