/**
 * The in-memory state of one open session, rebuilt from storage on open and refreshed before every turn.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { SessionNotFound, type StoreError } from "../Errors.js"
import type { SessionId } from "../Identifiers.js"
import type { SessionPolicy } from "../Model.js"
import type {
  AgentFrame,
  Message,
  PersistedSession,
  PluginOptions,
  SessionCheckpoint,
  SessionConfig,
  SessionGraph,
  SessionNode,
  SessionRelation
} from "../Session.js"
import type { CoreRuntime } from "./runtime.js"

/** A session's state as the runtime holds it. */
export interface SessionState {
  readonly sessionId: SessionId
  readonly headRevision: number
  readonly relation: SessionRelation
  readonly config: SessionConfig
  readonly frames: ReadonlyArray<AgentFrame>
  readonly currentFrameId: string
  readonly checkpoint: SessionCheckpoint
  /**
   * The loaded tail of the active path, root first. After a reopen it holds at most {@link HISTORY_WINDOW} nodes
   * (so opening does not grow with history); the first turn loads the whole path.
   */
  readonly nodes: ReadonlyArray<SessionNode>
  readonly leafNodeId: string | undefined
  /** True while older active-path nodes exist in storage that `nodes` does not hold. */
  readonly hasMoreHistory: boolean
}

/**
 * Active-path nodes loaded when a session is opened or refreshed: what an idle session holds, whatever its history
 * (B5 in docs/performance.md: a 500-turn session holds no more than 1.5 times a 50-turn one).
 */
export const HISTORY_WINDOW = 128

/** A stored session as opening sees it: its head plus the recent active path. */
export type LoadedSession = PersistedSession & { readonly hasMoreHistory: boolean }

/** The id of the first frame of every session. */
export const MAIN_FRAME = "main"

/** The frame a turn runs in. */
export const currentFrame = (state: SessionState): AgentFrame =>
  state.frames.find((f) => f.frameId === state.currentFrameId) ?? state.frames[0]!

/** The policy of a session: its frame's assignment. */
export const policyOf = (state: SessionState): SessionPolicy => currentFrame(state).assignment.policy

/**
 * Restores a session from its stored form (docs/architecture.md, "Opening a session" step 2): a root session takes its policy from the live
 * config except `providerId`, which keeps its stored value; a child keeps its stored policy.
 */
export const fromPersisted = (
  core: CoreRuntime,
  stored: LoadedSession,
  pluginOptions: PluginOptions | undefined
): SessionState => {
  const storedFrame = stored.frames.find((f) => f.frameId === stored.currentFrameId) ?? stored.frames[0]
  const storedPolicy: SessionPolicy = storedFrame?.assignment.policy ?? {
    model: stored.config.model,
    providerId: stored.config.providerId
  }
  const livePolicy: SessionPolicy = stored.relation.type === "root"
    ? { model: core.cfg.raw.model, providerId: stored.config.providerId, maxIterations: core.cfg.maxIterations }
    : storedPolicy
  const frame: AgentFrame = storedFrame
    ? { ...storedFrame, assignment: { ...storedFrame.assignment, policy: livePolicy } }
    : {
      frameId: MAIN_FRAME,
      assignment: { policy: livePolicy, pluginOptions: pluginOptions ?? { plugins: {} } },
      protocolOptions: { mode: core.cfg.raw.mode }
    }
  const frames = stored.frames.length === 0
    ? [frame]
    : stored.frames.map((f) => (f.frameId === frame.frameId ? frame : f))
  return {
    sessionId: stored.sessionId,
    headRevision: stored.headRevision,
    relation: stored.relation,
    config: { providerId: livePolicy.providerId, model: livePolicy.model },
    frames,
    currentFrameId: frame.frameId,
    checkpoint: stored.checkpoint,
    nodes: stored.graph.nodes,
    leafNodeId: stored.graph.leafNodeId,
    hasMoreHistory: stored.hasMoreHistory
  }
}

/** `loadHead` plus the newest {@link HISTORY_WINDOW} nodes of the active path: cost independent of history. */
const loadRecent = (
  core: CoreRuntime,
  sessionId: SessionId
): Effect.Effect<Option.Option<LoadedSession>, StoreError | SessionNotFound> =>
  Effect.gen(function*() {
    const head = yield* core.store.loadHead(sessionId)
    if (Option.isNone(head)) return Option.none()
    const { leafNodeId, nodeCount: _count, ...rest } = head.value
    if (leafNodeId === undefined) return Option.some({ ...rest, graph: { nodes: [] }, hasMoreHistory: false })
    const path = yield* core.store.loadPath(sessionId, { limit: HISTORY_WINDOW })
    return Option.some({ ...rest, graph: { nodes: path.nodes, leafNodeId }, hasMoreHistory: path.hasMore })
  })

/** The whole active path of a state whose window is partial (a turn needs all of it). */
export const withFullHistory = (
  core: CoreRuntime,
  state: SessionState
): Effect.Effect<SessionState, StoreError | SessionNotFound> =>
  state.hasMoreHistory
    ? Effect.map(
      core.store.loadPath(state.sessionId, { limit: Number.MAX_SAFE_INTEGER }),
      (path) => ({ ...state, nodes: path.nodes, hasMoreHistory: false })
    )
    : Effect.succeed(state)

/** Loads a session, creating it first when asked (docs/architecture.md, "Opening a session" step 1). */
export const loadOrCreate = (
  core: CoreRuntime,
  sessionId: SessionId,
  options: { readonly create: boolean; readonly relation?: SessionRelation; readonly policy?: SessionPolicy }
): Effect.Effect<LoadedSession, StoreError | SessionNotFound> =>
  Effect.gen(function*() {
    const found = yield* loadRecent(core, sessionId)
    if (Option.isSome(found)) return found.value
    if (!options.create) return yield* Effect.fail(new SessionNotFound({ sessionId }))
    yield* core.store.create({
      sessionId,
      relation: options.relation ?? { type: "root" },
      policy: options.policy ?? {
        model: core.cfg.raw.model,
        providerId: core.provider.defaultProviderId,
        maxIterations: core.cfg.maxIterations
      }
    })
    const created = yield* loadRecent(core, sessionId)
    return yield* Option.match(created, {
      onNone: () => Effect.fail(new SessionNotFound({ sessionId })),
      onSome: Effect.succeed
    })
  })

/** The active path: the chain of nodes from the leaf back to the root, root first. */
export const activePath = (
  nodes: ReadonlyArray<SessionNode>,
  leafNodeId: string | undefined
): ReadonlyArray<SessionNode> => {
  if (leafNodeId === undefined) return []
  const byId = new Map(nodes.map((n) => [n.nodeId, n] as const))
  const path: Array<SessionNode> = []
  let current = byId.get(leafNodeId)
  while (current !== undefined) {
    path.push(current)
    current = current.parentNodeId === undefined ? undefined : byId.get(current.parentNodeId)
  }
  return path.reverse()
}

/** The messages of the active path, without transient plugin messages, de-duplicated by id. */
export const activeMessages = (
  nodes: ReadonlyArray<SessionNode>,
  leafNodeId: string | undefined
): ReadonlyArray<Message> => {
  const seen = new Set<string>()
  const out: Array<Message> = []
  for (const node of activePath(nodes, leafNodeId)) {
    if (node.payload.kind !== "message") continue
    const message = node.payload.message
    if (message.origin?.kind === "plugin" && message.origin.transient) continue
    if (seen.has(message.id)) continue
    seen.add(message.id)
    out.push(message)
  }
  return out
}

/** The graph of a state. */
export const graphOf = (state: SessionState): SessionGraph =>
  state.leafNodeId === undefined ? { nodes: state.nodes } : { nodes: state.nodes, leafNodeId: state.leafNodeId }
