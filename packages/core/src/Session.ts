/**
 * Messages, the session graph, persisted session state and the per-turn `RuntimeCommit`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { BatchId, ClaimId, OccurrenceId, ProcessId, SessionId, TurnId, WakeId } from "./Identifiers.js"
import { Json, opt } from "./Json.js"
import { ModelSpec, SessionPolicy, TokenUsage, UsageEntry } from "./Model.js"

/** A pointer to what caused something; copied from occurrence to process to wake to Event message. @since 0.1.0 */
export const CausalRef = Schema.Union(
  Schema.Struct({ type: Schema.Literal("turn"), sessionId: SessionId, turnId: TurnId }),
  Schema.Struct({ type: Schema.Literal("effect"), sessionId: SessionId, turnId: opt(TurnId), effectId: Schema.String }),
  Schema.Struct({ type: Schema.Literal("tool_call"), sessionId: SessionId, callId: Schema.String }),
  Schema.Struct({ type: Schema.Literal("process"), processId: ProcessId }),
  Schema.Struct({ type: Schema.Literal("process_event"), processId: ProcessId, sequence: Schema.NonNegativeInt }),
  Schema.Struct({ type: Schema.Literal("trigger_occurrence"), occurrenceId: OccurrenceId }),
  Schema.Struct({ type: Schema.Literal("session_node"), sessionId: SessionId, nodeId: Schema.String })
)
/** @since 0.1.0 */
export type CausalRef = typeof CausalRef.Type

/** The role of a message. `event` messages are runtime-generated (e.g. process wakes). @since 0.1.0 */
export const MessageRole = Schema.Literal("user", "assistant", "system", "event")
/** @since 0.1.0 */
export type MessageRole = typeof MessageRole.Type

/** One part of a message. @since 0.1.0 */
export const Part = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literal("text", "reasoning", "code", "tool_call", "tool_result", "image"),
  content: Schema.String,
  toolCallId: opt(Schema.String),
  toolName: opt(Schema.String),
  language: opt(Schema.Literal("lashlang"))
})
/** @since 0.1.0 */
export interface Part extends Schema.Schema.Type<typeof Part> {}

/** Provenance of a message. @since 0.1.0 */
export const MessageOrigin = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("plugin"), pluginId: Schema.String, transient: Schema.Boolean }),
  Schema.Struct({
    kind: Schema.Literal("process"),
    processId: ProcessId,
    eventType: Schema.String,
    sequence: Schema.NonNegativeInt,
    wakeId: opt(WakeId),
    causedBy: opt(CausalRef)
  })
)
/** @since 0.1.0 */
export type MessageOrigin = typeof MessageOrigin.Type

/** A message of the conversation. @since 0.1.0 */
export const Message = Schema.Struct({
  id: Schema.String,
  role: MessageRole,
  parts: Schema.Array(Part),
  origin: opt(MessageOrigin)
})
/** @since 0.1.0 */
export interface Message extends Schema.Schema.Type<typeof Message> {}

/** One node of the append-only session graph. @since 0.1.0 */
export const SessionNode = Schema.Struct({
  nodeId: Schema.String,
  parentNodeId: opt(Schema.String),
  causedBy: opt(CausalRef),
  frameId: opt(Schema.String),
  timestampMs: Schema.NonNegativeInt,
  payload: Schema.Union(
    Schema.Struct({ kind: Schema.Literal("message"), message: Message }),
    Schema.Struct({ kind: Schema.Literal("protocol"), protocol: Schema.Literal("rlm", "standard"), event: Json }),
    Schema.Struct({ kind: Schema.Literal("plugin"), pluginId: Schema.String, body: Json })
  )
})
/** @since 0.1.0 */
export interface SessionNode extends Schema.Schema.Type<typeof SessionNode> {}

/** The session graph: nodes in append order plus the active leaf. @since 0.1.0 */
export const SessionGraph = Schema.Struct({ nodes: Schema.Array(SessionNode), leafNodeId: opt(Schema.String) })
/** @since 0.1.0 */
export interface SessionGraph extends Schema.Schema.Type<typeof SessionGraph> {}

/** The graph change a commit carries. `replace_full` is reserved for compaction [Later]. @since 0.1.0 */
export const GraphDelta = Schema.Union(
  Schema.Struct({ type: Schema.Literal("unchanged"), leafNodeId: opt(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("append"), nodes: Schema.Array(SessionNode), leafNodeId: opt(Schema.String) })
)
/** @since 0.1.0 */
export type GraphDelta = typeof GraphDelta.Type

/** Root or child session. @since 0.1.0 */
export const SessionRelation = Schema.Union(
  Schema.Struct({ type: Schema.Literal("root") }),
  Schema.Struct({ type: Schema.Literal("child"), parentSessionId: SessionId, causedBy: opt(CausalRef) })
)
/** @since 0.1.0 */
export type SessionRelation = typeof SessionRelation.Type

/** Per-plugin options, persisted with a process env (never put secrets here). @since 0.1.0 */
export const PluginOptions = Schema.Struct({ plugins: Schema.Record({ key: Schema.String, value: Json }) })
/** @since 0.1.0 */
export interface PluginOptions extends Schema.Schema.Type<typeof PluginOptions> {}

/** An agent frame: the assignment a session runs under and the RLM VM globals snapshot. @since 0.1.0 */
export const AgentFrame = Schema.Struct({
  frameId: Schema.String,
  assignment: Schema.Struct({ policy: SessionPolicy, pluginOptions: PluginOptions }),
  protocolOptions: Json,
  executionState: opt(Json)
})
/** @since 0.1.0 */
export interface AgentFrame extends Schema.Schema.Type<typeof AgentFrame> {}

/** Plugin snapshots keyed by plugin id. @since 0.1.0 */
export const PluginSessionSnapshot = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ version: Schema.String, state: Json })
})
/** @since 0.1.0 */
export type PluginSessionSnapshot = typeof PluginSessionSnapshot.Type

/** Session checkpoint written by each commit. @since 0.1.0 */
export const SessionCheckpoint = Schema.Struct({
  turnIndex: Schema.NonNegativeInt,
  usage: TokenUsage,
  pluginSnapshot: opt(PluginSessionSnapshot),
  toolState: opt(Json)
})
/** @since 0.1.0 */
export interface SessionCheckpoint extends Schema.Schema.Type<typeof SessionCheckpoint> {}

/** The checkpoint of a created, never committed session. @since 0.1.0 */
export const initialCheckpoint: SessionCheckpoint = { turnIndex: 0, usage: { input: 0, output: 0 } }

/** The provider and model a session is configured with. @since 0.1.0 */
export const SessionConfig = Schema.Struct({ providerId: Schema.String, model: ModelSpec })
/** @since 0.1.0 */
export interface SessionConfig extends Schema.Schema.Type<typeof SessionConfig> {}

const sessionStateFields = {
  sessionId: SessionId,
  headRevision: Schema.NonNegativeInt,
  relation: SessionRelation,
  config: SessionConfig,
  frames: Schema.Array(AgentFrame),
  currentFrameId: opt(Schema.String),
  checkpoint: SessionCheckpoint
}

/** A session as stored: head, relation, config, frames, graph and checkpoint. @since 0.1.0 */
export const PersistedSession = Schema.Struct({ ...sessionStateFields, graph: SessionGraph })
/** @since 0.1.0 */
export interface PersistedSession extends Schema.Schema.Type<typeof PersistedSession> {}

/** A session without its nodes; loading it costs nothing per node. @since 0.1.0 */
export const SessionHead = Schema.Struct({
  ...sessionStateFields,
  leafNodeId: opt(Schema.String),
  nodeCount: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface SessionHead extends Schema.Schema.Type<typeof SessionHead> {}

/** The completion of a queued-work claim inside a commit. @since 0.1.0 */
export const CompletedClaim = Schema.Struct({
  claimId: ClaimId,
  leaseToken: Schema.String,
  batchIds: Schema.Array(BatchId)
})
/** @since 0.1.0 */
export interface CompletedClaim extends Schema.Schema.Type<typeof CompletedClaim> {}

/** The single atomic write at the end of a turn (docs/architecture.md, "The turn commit"). @since 0.1.0 */
export const RuntimeCommit = Schema.Struct({
  sessionId: SessionId,
  expectedHeadRevision: Schema.NonNegativeInt,
  config: SessionConfig,
  frames: Schema.Array(AgentFrame),
  currentFrameId: Schema.String,
  graph: GraphDelta,
  checkpoint: SessionCheckpoint,
  usageDeltas: Schema.Array(UsageEntry),
  turnStamp: opt(Schema.Struct({ turnId: TurnId, hash: Schema.String })),
  completedClaims: Schema.Array(CompletedClaim)
})
/** @since 0.1.0 */
export interface RuntimeCommit extends Schema.Schema.Type<typeof RuntimeCommit> {}

/** What a successful commit returns. @since 0.1.0 */
export const RuntimeCommitResult = Schema.Struct({ headRevision: Schema.NonNegativeInt })
/** @since 0.1.0 */
export interface RuntimeCommitResult extends Schema.Schema.Type<typeof RuntimeCommitResult> {}
