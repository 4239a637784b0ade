/**
 * Open sessions and their turns: cold rebuild from storage (docs/architecture.md, "Opening a session"), the turn runner shared by both
 * protocols (guards, lock, refresh, hooks, delta) and the per-turn atomic commit (docs/architecture.md, "The turn commit"). A streamed turn is `turnStream.ts` over this
 * runner.
 *
 * @internal
 */
import { Clock, Effect, Either, Option, Ref, Schema } from "effect"
import type { ExecutionScope } from "../Effects.js"
import { LashConfigError, MissingTurnId, PluginConflict, PluginError } from "../Errors.js"
import type { SessionId, TriggerHandle, TurnId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { Json, JsonSchemaDoc } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import type { LashSession, OpenSessionError, SessionReadView, TurnError } from "../LashCore.js"
import { type SessionPolicy, TokenUsage, TokenUsageOps } from "../Model.js"
import type { PluginSessionContext } from "../Plugin.js"
import type { CausalRef, CompletedClaim, Message, PluginOptions, RuntimeCommit, SessionRelation } from "../Session.js"
import { ToolCallRecord, type TurnInput, TurnIssue, TurnOutcome, TurnOutput } from "../Turn.js"
import { TurnDelta } from "./delta.js"
import { yieldToEventLoop } from "./eventLoop.js"
import { buildPlugins, type BuiltPlugins, snapshotPlugins } from "./pluginHost.js"
import { type Protocol, silentEvents, type TurnEvents } from "./protocol.js"
import type { QueuedDriver } from "./queued.js"
import type { CoreRuntime } from "./runtime.js"
import {
  activeMessages,
  currentFrame,
  fromPersisted,
  graphOf,
  loadOrCreate,
  policyOf,
  type SessionState,
  withFullHistory
} from "./sessionState.js"
import * as Telemetry from "./telemetry.js"
import { buildCatalog, type ToolCatalog } from "./toolCatalog.js"
import { publicRegistration } from "./triggers.js"
import { streamTurn } from "./turnStream.js"

/** A runtime over one session: its state, plugins and tool catalog. */
export interface SessionRuntime {
  readonly sessionId: SessionId
  readonly state: Ref.Ref<SessionState>
  readonly plugins: BuiltPlugins
  readonly catalog: ToolCatalog
  readonly purpose: PluginSessionContext["purpose"]
  /** The last published read view. */
  view: SessionReadView
}

/** An event message a turn starts with (e.g. a drained wake), and the cause recorded on its node. */
export interface TurnCause {
  readonly message: Omit<Message, "parts"> & { readonly text: string }
  readonly causedBy?: CausalRef
}

/** One turn to run. */
export interface TurnPlan {
  readonly input: TurnInput
  readonly turnId?: string
  readonly maxIterations?: number
  readonly resultSchema?: JsonSchemaDoc
  readonly causes?: ReadonlyArray<TurnCause>
  readonly completedClaims?: ReadonlyArray<CompletedClaim>
  readonly scope?: ExecutionScope
  /** The caller already holds the session lock (an inline wake drain). */
  readonly lockHeld?: boolean
}

const makeView = (state: SessionState): SessionReadView => ({
  sessionId: state.sessionId,
  headRevision: state.headRevision,
  turnIndex: state.checkpoint.turnIndex,
  policy: policyOf(state),
  graph: graphOf(state),
  messages: activeMessages(state.nodes, state.leafNodeId)
})

/** Opens a runtime over a session (docs/architecture.md, "Opening a session" steps 1–5). */
export const openRuntime = (
  core: CoreRuntime,
  sessionId: SessionId,
  options: {
    readonly create: boolean
    readonly purpose: PluginSessionContext["purpose"]
    readonly pluginOptions?: PluginOptions
    readonly relation?: SessionRelation
    readonly policy?: SessionPolicy
  }
): Effect.Effect<SessionRuntime, OpenSessionError> =>
  Effect.gen(function*() {
    const stored = yield* loadOrCreate(core, sessionId, options)
    const state = fromPersisted(core, stored, options.pluginOptions)
    const parentSessionId = state.relation.type === "child" ? state.relation.parentSessionId : undefined
    const base = {
      plugins: core.plugins,
      sessionId,
      purpose: options.purpose,
      pluginOptions: currentFrame(state).assignment.pluginOptions
    }
    const withParent = parentSessionId === undefined ? base : { ...base, parentSessionId }
    const plugins = yield* buildPlugins(
      state.checkpoint.pluginSnapshot === undefined
        ? withParent
        : { ...withParent, snapshot: state.checkpoint.pluginSnapshot }
    )
    const built = buildCatalog(plugins.tools, core.cfg.tools)
    if (built._tag === "DuplicateTool") {
      return yield* Effect.fail(
        new PluginConflict({ slot: `tool:${built.name}`, firstPluginId: "(session)", secondPluginId: "(session)" })
      )
    }
    if (built._tag === "UnsupportedToolSchema") {
      return yield* Effect.fail(
        new PluginError({ pluginId: "(session tools)", reason: `tool ${built.name}: ${built.problems.join("; ")}` })
      )
    }
    return {
      sessionId,
      state: yield* Ref.make(state),
      plugins,
      catalog: built.catalog,
      purpose: options.purpose,
      view: makeView(state)
    }
  })

const TURN_END = "turn_end"

const TurnEndRecord = Schema.Struct({
  type: Schema.Literal(TURN_END),
  turnId: Schema.String,
  headRevision: Schema.NonNegativeInt,
  outcome: TurnOutcome,
  toolCalls: Schema.Array(ToolCallRecord),
  issues: Schema.Array(TurnIssue),
  usage: TokenUsage
})

/**
 * The output of a turn that is already committed, rebuilt from its `turn_end` record: re-driving a committed turn id
 * (after a crash, or by a re-run process) returns the stored output instead of running the turn again.
 */
const committedTurn = (state: SessionState, turnId: TurnId): TurnOutput | undefined => {
  const prefix = `node:${turnId}:`
  const nodes = state.nodes.filter((n) => n.nodeId.startsWith(prefix))
  for (const node of nodes) {
    if (node.payload.kind !== "protocol") continue
    const decoded = Schema.decodeUnknownOption(TurnEndRecord)(node.payload.event)
    if (Option.isNone(decoded) || decoded.value.turnId !== turnId) continue
    const record = decoded.value
    return new TurnOutput({
      turnId,
      outcome: record.outcome,
      headRevision: record.headRevision,
      messages: nodes.flatMap((n) => (n.payload.kind === "message" ? [n.payload.message] : [])),
      toolCalls: record.toolCalls,
      issues: record.issues,
      usage: record.usage
    })
  }
  return undefined
}

/** Reloads the session when the store's head is newer than the runtime's (another writer committed). */
const refresh = (core: CoreRuntime, rt: SessionRuntime) =>
  Effect.gen(function*() {
    const current = yield* Ref.get(rt.state)
    const head = yield* core.store.loadHead(rt.sessionId)
    if (Option.isNone(head) || head.value.headRevision === current.headRevision) return current
    const stored = yield* loadOrCreate(core, rt.sessionId, { create: false })
    const next = fromPersisted(core, stored, undefined)
    yield* Ref.set(rt.state, next)
    rt.view = makeView(next)
    return next
  })

/** Runs one turn under the session lock and commits it atomically. */
export const runTurn = (
  core: CoreRuntime,
  rt: SessionRuntime,
  protocol: Protocol,
  plan: TurnPlan,
  events: TurnEvents = silentEvents
): Effect.Effect<TurnOutput, TurnError> =>
  Effect.gen(function*() {
    if (core.controller.kind === "journaled" && plan.turnId === undefined) {
      return yield* Effect.fail(new MissingTurnId({ sessionId: rt.sessionId }))
    }
    if (plan.resultSchema !== undefined) {
      const compiled = JsonSchema.compile(plan.resultSchema)
      if (Either.isLeft(compiled)) {
        return yield* Effect.fail(
          new LashConfigError({ reason: "invalid_argument", field: "resultSchema", detail: compiled.left })
        )
      }
    }
    // One turn of the event loop first: a host running turns back to back never starves timers, I/O or the worker.
    yield* yieldToEventLoop
    const turnId = (plan.turnId ?? (yield* core.nextId("turn"))) as TurnId
    const locked = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      plan.lockHeld === true ? effect : core.withSessionLock(rt.sessionId, effect)
    return yield* locked(
      Effect.gen(function*() {
        // A reopened session holds only its recent path; the model needs all of it (loaded once, then kept).
        const state = yield* Effect.flatMap(refresh(core, rt), (s) => withFullHistory(core, s))
        yield* events.emit({ type: "turn_started", turnId })
        const replayed = committedTurn(state, turnId)
        if (replayed !== undefined) return replayed
        const policy = policyOf(state)
        const clock = yield* Effect.clock
        const delta = new TurnDelta(
          turnId,
          state.leafNodeId,
          state.currentFrameId,
          () => clock.unsafeCurrentTimeMillis()
        )
        for (const cause of plan.causes ?? []) {
          const { text, ...message } = cause.message
          delta.message({
            ...message,
            parts: [{ kind: "text", content: text }],
            ...(cause.causedBy === undefined ? {} : { causedBy: cause.causedBy })
          })
        }
        const userText = plan.input.items.flatMap((item) => (item.type === "text" ? [item.text] : []))
        if (userText.length > 0) {
          delta.message({ role: "user", parts: userText.map((content) => ({ kind: "text" as const, content })) })
        }
        let aborted: string | undefined
        for (const hook of rt.plugins.beforeTurn) {
          const verdict = yield* hook({ sessionId: rt.sessionId, turnId, input: plan.input })
          if (verdict.type === "abort") {
            aborted = verdict.reason
            break
          }
        }
        const history = activeMessages(state.nodes, state.leafNodeId)
        const result = aborted !== undefined
          ? {
            outcome: { type: "stopped" as const, stop: "plugin_abort" as const },
            toolCalls: [],
            usage: TokenUsageOps.zero,
            issues: [{ code: "plugin_abort", message: aborted }]
          }
          : yield* Effect.gen(function*() {
            const scoped = yield* core.controller.scoped(
              plan.scope ?? { type: "turn", sessionId: rt.sessionId, turnId }
            )
            const provider = yield* core.provider.resolve(policy.providerId)
            return yield* protocol({
              core,
              state,
              turnId,
              scoped,
              delta,
              history,
              catalog: rt.catalog,
              plugins: rt.plugins,
              provider,
              policy,
              maxIterations: plan.maxIterations ?? policy.maxIterations ?? core.cfg.maxIterations,
              ...(plan.resultSchema === undefined ? {} : { resultSchema: plan.resultSchema }),
              events
            })
          })
        delta.protocol(core.cfg.raw.mode === "rlm" ? "rlm" : "standard", {
          type: TURN_END,
          turnId,
          headRevision: state.headRevision + 1,
          outcome: Schema.encodeSync(TurnOutcome)(result.outcome),
          toolCalls: Schema.encodeSync(Schema.Array(ToolCallRecord))(result.toolCalls),
          issues: result.issues,
          usage: result.usage
        } as unknown as Json)
        const frames = state.frames.map((f) =>
          f.frameId === state.currentFrameId && result.executionState !== undefined
            ? { ...f, executionState: result.executionState }
            : f
        )
        const pluginSnapshot = yield* snapshotPlugins(rt.plugins, state.checkpoint.pluginSnapshot)
        const usage = TokenUsageOps.add(state.checkpoint.usage, result.usage)
        const checkpoint = {
          ...state.checkpoint,
          turnIndex: state.checkpoint.turnIndex + 1,
          usage,
          ...(pluginSnapshot === undefined ? {} : { pluginSnapshot })
        }
        const leafNodeId = delta.leafNodeId
        const body: RuntimeCommit = {
          sessionId: rt.sessionId,
          expectedHeadRevision: state.headRevision,
          config: state.config,
          frames,
          currentFrameId: state.currentFrameId,
          graph: delta.nodes.length > 0
            ? { type: "append", nodes: delta.nodes, ...(leafNodeId === undefined ? {} : { leafNodeId }) }
            : { type: "unchanged", ...(leafNodeId === undefined ? {} : { leafNodeId }) },
          checkpoint,
          usageDeltas: result.usage.input + result.usage.output > 0
            ? [{ source: rt.purpose, model: policy.model.id, usage: result.usage }]
            : [],
          completedClaims: plan.completedClaims ?? []
        }
        const commit: RuntimeCommit = { ...body, turnStamp: { turnId, hash: Ids.turnStampHash(body) } }
        yield* events.beforeCommit
        const committed = yield* core.store.commit(commit).pipe(
          Effect.tapErrorTag("HeadRevisionConflict", () => refresh(core, rt)),
          Telemetry.commitSpan(commit)
        )
        const next: SessionState = committed.headRevision === state.headRevision + 1
          ? {
            ...state,
            headRevision: committed.headRevision,
            frames,
            checkpoint,
            nodes: [...state.nodes, ...delta.nodes],
            leafNodeId
          }
          : yield* refresh(core, rt)
        yield* Ref.set(rt.state, next)
        rt.view = makeView(next)
        const output = new TurnOutput({
          turnId,
          outcome: result.outcome,
          headRevision: committed.headRevision,
          messages: delta.messages,
          toolCalls: result.toolCalls,
          issues: result.issues,
          usage: result.usage
        })
        for (const hook of rt.plugins.afterTurn) yield* hook({ sessionId: rt.sessionId, output })
        yield* core.afterCommit(rt.sessionId)
        yield* Telemetry.turnCommitted(output, policy.model.id)
        return output
      })
    ).pipe(
      Telemetry.turnSpan(rt.sessionId, turnId, core.cfg.raw.mode),
      Effect.annotateLogs({ sessionId: rt.sessionId, turnId })
    )
  })

/** The public session value over a runtime. */
export const sessionHandle = (
  core: CoreRuntime,
  rt: SessionRuntime,
  protocol: Protocol,
  queued: QueuedDriver
): LashSession => ({
  sessionId: rt.sessionId,
  turn: (input, options) => {
    const plan: TurnPlan = {
      input,
      ...(options?.turnId === undefined ? {} : { turnId: options.turnId }),
      ...(options?.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
      ...(options?.resultSchema === undefined ? {} : { resultSchema: options.resultSchema })
    }
    return {
      run: runTurn(core, rt, protocol, plan),
      stream: streamTurn((events) => runTurn(core, rt, protocol, plan, events))
    }
  },
  readView: () => rt.view,
  queuedWork: core.store.listQueued(rt.sessionId),
  queuedListing: core.store.queuedListing(rt.sessionId),
  enqueue: (input, options) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return yield* core.store.enqueue({
        sessionId: rt.sessionId,
        ...(options?.sourceKey === undefined ? {} : { sourceKey: options.sourceKey }),
        deliveryPolicy: "after_current_turn_commit",
        slotPolicy: "join",
        mergeKey: { type: "payload_default" },
        availableAtMs: now,
        payloads: [{ type: "turn_input", input }]
      })
    }),
  runQueued: Effect.zipRight(
    queued.drain(rt.sessionId, "run_queued"),
    Effect.flatMap(refresh(core, rt), () => Effect.void).pipe(Effect.catchAll(() => Effect.void))
  ),
  triggers: () => ({
    bySourceType: (sourceType) =>
      Effect.map(core.triggers.list({ sessionId: rt.sessionId, sourceType }), (subs) => subs.map(publicRegistration)),
    list: () => Effect.map(core.triggers.list({ sessionId: rt.sessionId }), (subs) => subs.map(publicRegistration)),
    cancel: (handle) => core.triggers.cancel(rt.sessionId, handle as TriggerHandle)
  })
})
