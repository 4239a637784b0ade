/**
 * The fixtures every scenario builds its rows from (packages/testing/README.md, "Fixtures"). All of them are made
 * with `@lash/core` and `@lash/lashlang` constructors and hash helpers, so a backend cannot pass by agreeing with a
 * private copy of the hashing rules. Ids and strings are fixed: nothing here is random.
 *
 * @since 0.1.0
 */
import {
  type EnvRef,
  Ids,
  type ProcessEventType,
  type ProcessExecutionEnvSpec,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  type QueuedWorkBatchDraft,
  type QueuedWorkClaim,
  type RuntimeCommit,
  type SessionId,
  type SessionNode,
  type SessionScope,
  TriggerKeys,
  type TriggerSubscriptionDraft,
  TurnInput
} from "@lash/core"
import { type HostEnvironment, link, parse } from "@lash/lashlang"
import { Effect, Option } from "effect"

/** A process id. @since 0.1.0 */
export const pid = (id: string) => id as ProcessId
/** A session id. @since 0.1.0 */
export const sid = (s: string) => s as SessionId
/** A session scope, optionally a frame of it. @since 0.1.0 */
export const scope = (sessionId: string, frameId?: string): SessionScope =>
  frameId === undefined ? { sessionId: sid(sessionId) } : { sessionId: sid(sessionId), frameId }

/** JSON with object keys sorted (values with a `toJSON`, such as `Option`, use it). @since 0.1.0 */
export const stableJson = (value: unknown): string =>
  JSON.stringify(
    value,
    (_key, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v) && !("toJSON" in v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v
  ) ?? "undefined"

/** Deep equality independent of key order (stores may canonicalize). @since 0.1.0 */
export const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b)

// ---------------------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------------------

/** An event type whose wake input is `/wake_input` and whose dedupe key is the event identity. @since 0.1.0 */
export const wakeType = (name: string): ProcessEventType => ({
  name,
  payloadSchema: { type: "object", properties: { line: { type: "string" }, wake_input: { type: "string" } } },
  semantics: { wake: { input: { type: "pointer", pointer: "/wake_input" }, dedupeKey: { type: "event_identity" } } }
})

/** A plain event type requiring `line`. @since 0.1.0 */
export const lineType = (name: string): ProcessEventType => ({
  name,
  payloadSchema: {
    type: "object",
    properties: { line: { type: "string" }, wake_input: { type: "string" } },
    required: ["line"]
  },
  semantics: {}
})

/** An event type that accepts any payload and has no semantics. @since 0.1.0 */
export const plainType = (name: string): ProcessEventType => ({ name, payloadSchema: {}, semantics: {} })

/** A runnable (engine) registration, or an external one. @since 0.1.0 */
export const reg = (
  id: string,
  options: {
    readonly eventTypes?: ReadonlyArray<ProcessEventType>
    readonly external?: boolean
    readonly wakeTarget?: SessionScope
    readonly originator?: string
    readonly kind?: string
  } = {}
) =>
  ProcessRegistration.make({
    id: pid(id),
    input: options.external === true
      ? { type: "external", metadata: null }
      : { type: "engine", kind: options.kind ?? "conformance", payload: null },
    provenance: options.originator === undefined
      ? ProcessProvenance.host()
      : ProcessProvenance.session(scope(options.originator)),
    ...(options.kind === undefined ? {} : { identity: { kind: options.kind } }),
    ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
    ...(options.wakeTarget === undefined ? {} : { wakeTarget: options.wakeTarget }),
    ...(options.external === true ? {} : { envRef: "env:conformance" as EnvRef })
  })

// ---------------------------------------------------------------------------------------------------------------
// Sessions and queued work
// ---------------------------------------------------------------------------------------------------------------

/** The session policy of every scenario session. @since 0.1.0 */
export const policy = { providerId: "", model: { id: "conformance-model", limits: { contextWindowTokens: 4096 } } }

/** Creates a root session. @since 0.1.0 */
export const createRequest = (sessionId: string) => ({
  sessionId: sid(sessionId),
  relation: { type: "root" as const },
  policy
})

/** A message node (parent, leaf and cause are the caller's). @since 0.1.0 */
export const messageNode = (nodeId: string, text: string, parentNodeId?: string): SessionNode => ({
  nodeId,
  ...(parentNodeId === undefined ? {} : { parentNodeId }),
  timestampMs: 0,
  payload: {
    kind: "message",
    message: { id: `${nodeId}:msg`, role: "user", parts: [{ id: `${nodeId}:part`, kind: "text", content: text }] }
  }
})

/** Stamps a commit with a turn stamp over its own content hash. @since 0.1.0 */
export const stamped = (commit: RuntimeCommit, turnId: string): RuntimeCommit => {
  const { turnStamp: _old, ...base } = commit
  return { ...base, turnStamp: { turnId: turnId as never, hash: Ids.turnStampHash(base) } }
}

/** A one-message commit with a turn stamp over its own content hash. @since 0.1.0 */
export const commitOf = (
  sessionId: string,
  expected: number,
  turnId: string,
  options: {
    readonly turnIndex?: number
    readonly text?: string
    readonly completing?: ReadonlyArray<QueuedWorkClaim>
  } = {}
): RuntimeCommit => {
  // Changed content gets its own node id, so a backend that wrongly accepts it fails an invariant, not on a duplicate.
  const node = messageNode(
    options.text === undefined ? `${turnId}:node` : `${turnId}:node:${options.text}`,
    options.text ?? turnId
  )
  const base: RuntimeCommit = {
    sessionId: sid(sessionId),
    expectedHeadRevision: expected,
    config: policy,
    frames: [{ frameId: "main", assignment: { policy, pluginOptions: { plugins: {} } }, protocolOptions: null }],
    currentFrameId: "main",
    graph: { type: "append", nodes: [node], leafNodeId: node.nodeId },
    checkpoint: { turnIndex: options.turnIndex ?? expected, usage: { input: 0, output: 0 } },
    usageDeltas: [],
    completedClaims: (options.completing ?? []).map((c) => completionOf(c))
  }
  return stamped(base, turnId)
}

/** The completion of a whole claim (its own token). @since 0.1.0 */
export const completionOf = (claim: QueuedWorkClaim, leaseToken = claim.leaseToken) => ({
  claimId: claim.claimId,
  leaseToken,
  batchIds: claim.batches.map((b) => b.batchId)
})

/** A queued turn input. @since 0.1.0 */
export const batchDraft = (
  sessionId: string,
  text: string,
  sourceKey?: string,
  options: {
    readonly slot?: "join" | "exclusive"
    readonly delivery?: "earliest_safe_boundary" | "after_current_turn_commit"
    readonly group?: string
    readonly availableAtMs?: number
  } = {}
): QueuedWorkBatchDraft => ({
  sessionId: sid(sessionId),
  ...(sourceKey === undefined ? {} : { sourceKey }),
  deliveryPolicy: options.delivery ?? "earliest_safe_boundary",
  slotPolicy: options.slot ?? "join",
  mergeKey: options.group === undefined ? { type: "never" } : { type: "group", key: options.group },
  availableAtMs: options.availableAtMs ?? 0,
  payloads: [{ type: "turn_input", input: TurnInput.text(text) }]
})

/** The texts of the batches of a claim (`null` for no claim). @since 0.1.0 */
export const claimTexts = (
  claim: Option.Option<
    { readonly batches: ReadonlyArray<{ readonly items: ReadonlyArray<{ readonly payload: unknown }> }> }
  >
) => Option.match(claim, { onNone: () => null, onSome: (c) => batchTexts(c.batches) })

/** The first text of each batch. @since 0.1.0 */
export const batchTexts = (
  batches: ReadonlyArray<{ readonly items: ReadonlyArray<{ readonly payload: unknown }> }>
): ReadonlyArray<string | undefined> =>
  batches.map((b) =>
    (b.items[0]?.payload as { readonly input?: { readonly items: ReadonlyArray<{ readonly text?: string }> } })
      .input?.items[0]?.text
  )

// ---------------------------------------------------------------------------------------------------------------
// Triggers
// ---------------------------------------------------------------------------------------------------------------

/** The source type of the trigger scenarios. @since 0.1.0 */
export const BUTTON_SOURCE = "ui.button.pressed"
/** The source key of the trigger scenarios. @since 0.1.0 */
export const buttonKey = TriggerKeys.sourceKey(BUTTON_SOURCE, { panel: "main" })

/** A subscription draft of the TriggerStore scenarios. @since 0.1.0 */
export const triggerDraft = (
  session: string,
  sourceKey: string,
  name: string,
  registrationKey = `reg:${name}`
): TriggerSubscriptionDraft => ({
  registrant: { type: "session", scope: { sessionId: sid(session) } },
  registrationKey,
  envRef: `process-env:${session}` as EnvRef,
  wakeTarget: { sessionId: sid(session) },
  name,
  sourceType: BUTTON_SOURCE,
  sourceKey,
  source: {},
  payloadSchema: {
    type: "object",
    properties: { button: { type: "string" } },
    required: ["button"],
    additionalProperties: false
  },
  target: { type: "engine", kind: "test", payload: { process: name } },
  targetIdentity: { kind: "test", label: name, definition: { process_name: name } },
  eventTypes: [],
  inputTemplate: { event: { type: "event" } }
})

/** A button occurrence. @since 0.1.0 */
export const button = (sourceKey: string, idempotencyKey: string, color = "Blue") => ({
  sourceType: BUTTON_SOURCE,
  sourceKey,
  payload: { button: color },
  idempotencyKey,
  source: {}
})

// ---------------------------------------------------------------------------------------------------------------
// Envs and artifacts
// ---------------------------------------------------------------------------------------------------------------

/** An env spec with nested plugin options (unicode, numbers, nulls, a 100 KiB string). @since 0.1.0 */
export const envSpec = (note: string): ProcessExecutionEnvSpec => ({
  pluginOptions: {
    plugins: {
      "conformance-plugin": { note, unicode: "héllo ✓ 日本", n: 1.5, none: null, big: "x".repeat(100 * 1024) }
    }
  },
  policy: {
    providerId: "conformance-provider",
    model: { id: "conformance-model", limits: { contextWindowTokens: 200_000 } }
  }
})

const emptyEnv: HostEnvironment = {
  catalog: { modules: [], resourceTypes: {}, namedDataTypes: {}, constructors: {}, triggerSources: {} },
  abilities: { processes: true, sleep: false, processSignals: false, triggers: false },
  features: { labels: false },
  readOnlyBindings: {}
}

/** A tiny linked module with one process export. @since 0.1.0 */
export const moduleArtifact = Effect.map(
  Effect.flatMap(parse("process double(n: int) -> int { finish n * 2 }\nsubmit 1"), (p) => link(p, emptyEnv)),
  (linked) => linked.artifact
)
