/**
 * Deterministic ids and content hashes: the only place each formula of docs/architecture.md, "Ids and hashes" is written.
 * Backends and the test kit call these helpers; they never recompute a formula.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import type { ExecutionScope } from "./Effects.js"
import type {
  BatchId,
  ClaimId,
  EnvRef,
  OccurrenceId,
  ProcessId,
  SessionId,
  SubscriptionId,
  TriggerHandle,
  WakeId
} from "./Identifiers.js"
import { setBounded } from "./internal/boundedMap.js"
import type { Json } from "./Json.js"
import type { ProcessExecutionEnvSpec, ProcessRegistration } from "./Process.js"
import type { RuntimeCommit, SessionGraph, SessionNode } from "./Session.js"
import type { TriggerSubscriptionDraft } from "./Trigger.js"

const h = Canonical.sha256Hex

/**
 * The lease tokens derived lately, by their inputs (a pure function, remembered): a run's lease is derived at its
 * claim and checked against its token again at every fenced write (`storage/Lease.ts`).
 */
const leaseTokens = new Map<string, string>()

const LEASE_TOKENS = 256

const scrubNode = (node: SessionNode): Json => {
  const { nodeId: _n, parentNodeId: _p, timestampMs: _t, ...rest } = node
  if (rest.payload.kind !== "message") return rest as unknown as Json
  const { id: _id, ...message } = rest.payload.message
  return {
    ...rest,
    payload: { kind: "message", message: { ...message, parts: message.parts.map(({ id: _pid, ...part }) => part) } }
  } as unknown as Json
}

const scrubGraph = (graph: SessionGraph): Json => ({ nodes: graph.nodes.map(scrubNode) })

/**
 * The deterministic id and hash helpers.
 *
 * @since 0.1.0
 */
export const Ids = {
  /** `process-env:sha256:` + h(spec). */
  envRef: (spec: ProcessExecutionEnvSpec): EnvRef => `process-env:sha256:${h(spec)}` as EnvRef,
  /** `source:<sourceType>:sha256:` + h([sourceType, sourceValue]). */
  sourceKey: (sourceType: string, value: Json): string => `source:${sourceType}:sha256:${h([sourceType, value])}`,
  /** The source key of a source with no configuration. */
  emptySourceKey: (sourceType: string): string => Ids.sourceKey(sourceType, {}),
  /** `occurrence:` + h([sourceType, sourceKey, idempotencyKey]). */
  occurrenceId: (sourceType: string, sourceKey: string, idempotencyKey: string): OccurrenceId =>
    `occurrence:${h([sourceType, sourceKey, idempotencyKey])}` as OccurrenceId,
  /** h([sourceType, sourceKey, payload, source ?? null]). */
  occurrenceContentHash: (sourceType: string, sourceKey: string, payload: Json, source: Json | undefined): string =>
    h([sourceType, sourceKey, payload, source ?? null]),
  /** `subscription:<n>`. */
  subscriptionId: (n: number): SubscriptionId => `subscription:${n}` as SubscriptionId,
  /** `trigger:<n>`. */
  triggerHandle: (n: number): TriggerHandle => `trigger:${n}` as TriggerHandle,
  /** `process:trigger:` + h([occurrenceId, subscriptionId]). */
  deliveryProcessId: (occurrenceId: OccurrenceId, subscriptionId: SubscriptionId): ProcessId =>
    `process:trigger:${h([occurrenceId, subscriptionId])}` as ProcessId,
  /** `process:lashlang:` + h([parentSeed, nodeId, occurrence, moduleRef, processRef, hostRequirementsRef, name, args]). */
  lashlangChildProcessId: (p: {
    readonly parentSeed: string
    readonly nodeId: string
    readonly occurrence: number
    readonly moduleRef: string
    readonly processRef: Json
    readonly hostRequirementsRef: string
    readonly name: string
    readonly args: Json
  }): ProcessId =>
    `process:lashlang:${
      h([p.parentSeed, p.nodeId, p.occurrence, p.moduleRef, p.processRef, p.hostRequirementsRef, p.name, p.args])
    }` as ProcessId,
  /** `wake:` + h([targetScopeId, dedupeKey]). */
  wakeId: (targetScopeId: string, dedupeKey: string): WakeId => `wake:${h([targetScopeId, dedupeKey])}` as WakeId,
  /** `process:<pid>:event:<seq>:wake`. */
  wakeSourceKey: (processId: ProcessId, sequence: number): string => `process:${processId}:event:${sequence}:wake`,
  /** `qwb:` + h([sessionId, sourceKey]) if keyed, else `qwb:` + h([sessionId, "seq", enqueueSeq]). */
  batchId: (sessionId: SessionId, sourceKey: string | undefined, enqueueSeq: number): BatchId =>
    (sourceKey === undefined
      ? `qwb:${h([sessionId, "seq", enqueueSeq])}`
      : `qwb:${h([sessionId, sourceKey])}`) as BatchId,
  /** `qwc:<headEnqueueSeq>:<fencingToken>`. */
  claimId: (headEnqueueSeq: number, fencingToken: number): ClaimId =>
    `qwc:${headEnqueueSeq}:${fencingToken}` as ClaimId,
  /** h([sessionId, claimId, ownerId, fencingToken]). */
  claimLeaseToken: (sessionId: SessionId, claimId: ClaimId, ownerId: string, fencingToken: number): string =>
    h([sessionId, claimId, ownerId, fencingToken]),
  /** h([processId, ownerId, fencingToken]). */
  leaseToken: (processId: ProcessId, ownerId: string, fencingToken: number): string => {
    const key = JSON.stringify([processId, ownerId, fencingToken])
    let token = leaseTokens.get(key)
    if (token === undefined) {
      token = h([processId, ownerId, fencingToken])
      setBounded(leaseTokens, LEASE_TOKENS, key, token)
    }
    return token
  },
  /** h(registration), without its `traceContext` (where it was started from is not what it runs). */
  registrationHash: (registration: ProcessRegistration): string => {
    if (registration.traceContext === undefined) return h(registration)
    const { traceContext: _where, ...what } = registration
    return h(what)
  },
  /** h(draft). */
  draftHash: (draft: TriggerSubscriptionDraft): string => h(draft),
  /**
   * sha256 of the commit without `expectedHeadRevision` and `turnStamp`, with every node id, parent id, leaf id,
   * timestamp and message/part id scrubbed, so ids minted during a replay leave the hash unchanged.
   */
  turnStampHash: (commit: RuntimeCommit): string => {
    const { expectedHeadRevision: _e, turnStamp: _s, graph, ...rest } = commit
    const scrubbed = graph.type === "append"
      ? { type: "append", nodes: graph.nodes.map(scrubNode) }
      : { type: "unchanged" }
    return h({ ...rest, graph: scrubbed } as unknown as Json)
  },
  /** The scope id of an execution scope. */
  scopeId: (scope: ExecutionScope): string => {
    switch (scope.type) {
      case "turn":
        return `turn:${scope.sessionId}:${scope.turnId}`
      case "process":
        return `process:${scope.processId}`
      case "queue_drain":
        return `drain:${scope.sessionId}:${scope.drainId}`
      case "runtime_operation":
        return `op:${scope.operationId}`
      case "session_delete":
        return `delete:${scope.sessionId}`
    }
  },
  /** h(envelope.command). */
  requestHash: (command: Json): string => h(command),
  /** Hash of a graph with volatile fields scrubbed (used by tests comparing replays). */
  scrubbedGraphHash: (graph: SessionGraph): string => h(scrubGraph(graph))
} as const

/**
 * The trigger id helpers, re-exported from {@link Ids}.
 *
 * @since 0.1.0
 */
export const TriggerKeys = {
  sourceKey: Ids.sourceKey,
  emptySourceKey: Ids.emptySourceKey,
  occurrenceId: Ids.occurrenceId,
  deliveryProcessId: Ids.deliveryProcessId
} as const
