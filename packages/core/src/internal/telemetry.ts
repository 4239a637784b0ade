/**
 * Span attributes, links and metrics at the places lash already opens spans (the names and metrics are public in
 * Telemetry.ts; docs/observability.md). Each helper wraps one span site so the sites stay one line.
 *
 * @internal
 */
import { Duration, Effect, Metric, Option, type Tracer } from "effect"
import type { ExecutionScope } from "../Effects.js"
import type { LlmResponse } from "../LanguageModel.js"
import type { ProcessAwaitOutput, ProcessLease, ProcessRecord } from "../Process.js"
import type { RuntimeCommit, RuntimeCommitResult } from "../Session.js"
import { Attributes, LashMetrics, SpanNames } from "../Telemetry.js"
import type { TurnOutput } from "../Turn.js"

const millis = (d: Duration.Duration) => Duration.toMillis(d)

/** The session, turn or process an effect belongs to. */
export const scopeAttributes = (scope: ExecutionScope): Record<string, string> => {
  switch (scope.type) {
    case "turn":
      return { [Attributes.sessionId]: scope.sessionId, [Attributes.turnId]: scope.turnId }
    case "process":
      return { [Attributes.processId]: scope.processId }
    case "queue_drain":
    case "session_delete":
      return { [Attributes.sessionId]: scope.sessionId }
    case "runtime_operation":
      return {}
  }
}

/** `lash.turn`: ids and mode on the span, the duration metric. */
export const turnSpan = (sessionId: string, turnId: string, mode: string) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Metric.trackDurationWith(LashMetrics.turnDuration, millis),
    Effect.withSpan(SpanNames.turn, {
      attributes: { [Attributes.sessionId]: sessionId, [Attributes.turnId]: turnId, [Attributes.turnMode]: mode }
    })
  )

/** Inside `lash.turn`, once committed: outcome, model and token usage on the span; the turn counted. */
export const turnCommitted = (output: TurnOutput, model: string) =>
  Effect.zipRight(
    Effect.annotateCurrentSpan({
      [Attributes.turnOutcome]: output.outcome.type,
      [Attributes.requestModel]: model,
      [Attributes.inputTokens]: output.usage.input,
      [Attributes.outputTokens]: output.usage.output,
      [Attributes.headRevision]: output.headRevision
    }),
    Metric.increment(Metric.tagged(LashMetrics.turns, "outcome", output.outcome.type))
  )

/** `lash.commit`: ids and the expected revision; the new revision; duration and rejections counted by kind. */
export const commitSpan = (commit: RuntimeCommit) =>
<E extends { readonly _tag: string }, R>(
  self: Effect.Effect<RuntimeCommitResult, E, R>
): Effect.Effect<RuntimeCommitResult, E, R> =>
  self.pipe(
    Effect.tap((result) => Effect.annotateCurrentSpan(Attributes.headRevision, result.headRevision)),
    Effect.tapError((error) => Metric.increment(Metric.tagged(LashMetrics.commitConflicts, "kind", error._tag))),
    Metric.trackDurationWith(LashMetrics.commitDuration, millis),
    Effect.withSpan(SpanNames.commit, {
      attributes: {
        [Attributes.sessionId]: commit.sessionId,
        ...(commit.turnStamp === undefined ? {} : { [Attributes.turnId]: commit.turnStamp.turnId }),
        "lash.commit.expected_revision": commit.expectedHeadRevision
      }
    })
  )

/** `lash.effect.llm_call` (GenAI "chat"): provider, model, replay key; the token usage of the reply. */
export const llmCallSpan = (p: {
  readonly providerId: string
  readonly model: string
  readonly replayKey: string
  readonly scope: ExecutionScope
}) =>
<E, R>(self: Effect.Effect<LlmResponse, E, R>): Effect.Effect<LlmResponse, E, R> =>
  self.pipe(
    Effect.tap((response) =>
      Effect.annotateCurrentSpan({
        [Attributes.inputTokens]: response.usage.input,
        [Attributes.outputTokens]: response.usage.output
      })
    ),
    Effect.withSpan(SpanNames.llmCall, {
      kind: "client",
      attributes: {
        [Attributes.operationName]: "chat",
        [Attributes.providerName]: p.providerId,
        [Attributes.requestModel]: p.model,
        [Attributes.replayKey]: p.replayKey,
        ...scopeAttributes(p.scope)
      }
    })
  )

/** `lash.effect.tool_call` (GenAI "execute_tool"): tool name, call id, replay key. */
export const toolCallSpan = (p: {
  readonly toolName: string
  readonly callId: string
  readonly replayKey: string
  readonly scope: ExecutionScope
}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withSpan(self, SpanNames.toolCall, {
    attributes: {
      [Attributes.operationName]: "execute_tool",
      [Attributes.toolName]: p.toolName,
      [Attributes.toolCallId]: p.callId,
      [Attributes.replayKey]: p.replayKey,
      ...scopeAttributes(p.scope)
    }
  })

/** The span current where a process is started: the worker run links to it. */
export const startingSpan: Effect.Effect<Tracer.AnySpan | undefined> = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.getOrUndefined
)

/**
 * `lash.worker.run`, a trace of its own: the process, the lease owner and fencing token. The span that started the
 * process is linked to it (`makeStarterLinks`).
 */
export const workerRunSpan = (lease: ProcessLease) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withSpan(self, SpanNames.workerRun, {
    root: true,
    attributes: {
      [Attributes.processId]: lease.processId,
      [Attributes.leaseOwner]: lease.ownerId,
      [Attributes.leaseFencingToken]: lease.fencingToken
    }
  })

/** Starters remembered at most; a process started here but run by another worker leaves its entry behind. */
const STARTERS_KEPT = 10_000

/**
 * The spans that started processes in this core (noted where the start pokes the worker), linked from the process's
 * `lash.worker.run` by whichever path runs it here (the poke, or a sweep that claimed it first). A process run by
 * another OS process has no link: span contexts are not persisted.
 */
export const makeStarterLinks = () => {
  const starters = new Map<string, Tracer.AnySpan>()
  return {
    note: (processId: string, span: Tracer.AnySpan | undefined) => {
      if (span === undefined) return
      starters.set(processId, span)
      if (starters.size > STARTERS_KEPT) starters.delete(starters.keys().next().value!)
    },
    /** Inside `lash.worker.run`: links the starter, if this core saw the start. */
    link: (processId: string) =>
      Effect.flatMap(Effect.option(Effect.currentSpan), (current) =>
        Effect.sync(() => {
          const starter = starters.get(processId)
          if (starter === undefined || Option.isNone(current)) return
          starters.delete(processId)
          current.value.addLinks([{ _tag: "SpanLink", span: starter, attributes: { "lash.link": "started_by" } }])
        }))
  }
}

/** Inside `lash.worker.run`: the process kind. */
export const workerRunStarted = (record: ProcessRecord) =>
  Effect.annotateCurrentSpan(Attributes.processKind, record.identity.kind)

/** Inside `lash.worker.run`, after the terminal write: the outcome on the span, the process counted. */
export const workerRunFinished = (output: ProcessAwaitOutput) => {
  const status = output.type === "success" ? "completed" : output.type === "failure" ? "failed" : "cancelled"
  return Effect.zipRight(
    Effect.annotateCurrentSpan(Attributes.processOutcome, status),
    Metric.increment(Metric.tagged(LashMetrics.processesCompleted, "status", status))
  )
}

/** A worker lost a lease (while running or before the terminal write). */
export const leaseLost = Effect.zipRight(
  Effect.annotateCurrentSpan(Attributes.processOutcome, "lease_lost"),
  Metric.increment(LashMetrics.leaseLosses)
)

/** The open batches of a session a drain looked at. */
export const queueDepth = (depth: number) => Metric.set(LashMetrics.queueDepth, depth)
