/**
 * Span attributes, links and metrics at the places lash already opens spans (the names and metrics are public in
 * Telemetry.ts; docs/observability.md). Each helper wraps one span site so the sites stay one line. No span captures
 * a stack trace (`captureStackTrace: false`): Effect would take an `Error` at every span to name its call site in
 * pretty-printed causes, a cost per span that showed in the process path's profile (docs/performance.md, B2); the
 * span's name and attributes already say where it is.
 *
 * @internal
 */
import { Duration, Effect, Metric, Option, Tracer } from "effect"
import type { ExecutionScope } from "../Effects.js"
import type { LlmResponse } from "../LanguageModel.js"
import type { ProcessAwaitOutput, ProcessLease, ProcessRecord, ProcessRegistration, TraceContext } from "../Process.js"
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
      captureStackTrace: false,
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
      captureStackTrace: false,
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
      captureStackTrace: false,
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
    captureStackTrace: false,
    attributes: {
      [Attributes.operationName]: "execute_tool",
      [Attributes.toolName]: p.toolName,
      [Attributes.toolCallId]: p.callId,
      [Attributes.replayKey]: p.replayKey,
      ...scopeAttributes(p.scope)
    }
  })

/** The tracer Effect uses when none is installed: its spans go nowhere, so no trace context is persisted for them. */
const builtInTracer = Effect.runSync(Effect.tracer)

/** The W3C `traceparent` of a span. */
const traceparentOf = (span: Tracer.AnySpan): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The `traceparent` of the current span, or `undefined` when there is no span or no tracer is installed (the row then
 * stays what it was without tracing).
 */
export const currentTraceparent: Effect.Effect<string | undefined> = Effect.flatMap(
  Effect.tracer,
  (tracer) =>
    tracer === builtInTracer
      ? Effect.succeed(undefined)
      : Effect.map(Effect.option(Effect.currentSpan), Option.match({ onNone: () => undefined, onSome: traceparentOf }))
)

/** `reg` with `traceparent` as its trace context, unless it has one already or there is none. */
export const withTraceparent = (reg: ProcessRegistration, traceparent: string | undefined): ProcessRegistration =>
  reg.traceContext !== undefined || traceparent === undefined ? reg : { ...reg, traceContext: { traceparent } }

/**
 * `reg` with the trace context of the current span (the turn, tool call or emit starting it), so the worker run links
 * to it from any OS process. Left as it is when a context is there already, when there is no span, or when no tracer
 * is installed (the row stays what it was without tracing).
 */
export const withTraceContext = (reg: ProcessRegistration): Effect.Effect<ProcessRegistration> =>
  reg.traceContext !== undefined
    ? Effect.succeed(reg)
    : Effect.map(currentTraceparent, (traceparent) => withTraceparent(reg, traceparent))

/** The span a persisted `traceparent` names (decoded by `TraceContext`, so it is well formed). */
const spanOf = (context: TraceContext): Tracer.ExternalSpan => {
  const [, traceId, spanId, flags] = context.traceparent.split("-")
  return Tracer.externalSpan({ traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 })
}

/**
 * `lash.worker.run`, a trace of its own: the process, the lease owner and fencing token. The span that started the
 * process is linked to it (`workerRunStarted`).
 */
export const workerRunSpan = (lease: ProcessLease) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withSpan(self, SpanNames.workerRun, {
    captureStackTrace: false,
    root: true,
    attributes: {
      [Attributes.processId]: lease.processId,
      [Attributes.leaseOwner]: lease.ownerId,
      [Attributes.leaseFencingToken]: lease.fencingToken
    }
  })

/**
 * Inside `lash.worker.run`: the process kind, and a link (`lash.link` = `started_by`) to the span that started the
 * process, from the trace context persisted with its registration.
 */
export const workerRunStarted = (record: ProcessRecord) => {
  const starter = record.traceContext
  return Effect.zipRight(
    Effect.annotateCurrentSpan(Attributes.processKind, record.identity.kind),
    starter === undefined ?
      Effect.void :
      Effect.flatMap(Effect.option(Effect.currentSpan), (current) =>
        Effect.sync(() => {
          if (Option.isNone(current)) return
          current.value.addLinks([{
            _tag: "SpanLink",
            span: spanOf(starter),
            attributes: { "lash.link": "started_by" }
          }])
        }))
  )
}

/** `lash.processes.completed` by status, tagged once (a tagged metric is a new key to hash at every increment). */
const processesCompleted = {
  completed: Metric.tagged(LashMetrics.processesCompleted, "status", "completed"),
  failed: Metric.tagged(LashMetrics.processesCompleted, "status", "failed"),
  cancelled: Metric.tagged(LashMetrics.processesCompleted, "status", "cancelled")
}

/** Inside `lash.worker.run`, after the terminal write: the outcome on the span, the process counted. */
export const workerRunFinished = (output: ProcessAwaitOutput) => {
  const status = output.type === "success" ? "completed" : output.type === "failure" ? "failed" : "cancelled"
  return Effect.zipRight(
    Effect.annotateCurrentSpan(Attributes.processOutcome, status),
    Metric.increment(processesCompleted[status])
  )
}

/** A worker lost a lease (while running or before the terminal write). */
export const leaseLost = Effect.zipRight(
  Effect.annotateCurrentSpan(Attributes.processOutcome, "lease_lost"),
  Metric.increment(LashMetrics.leaseLosses)
)

/** The open batches of a session a drain looked at. */
export const queueDepth = (depth: number) => Metric.set(LashMetrics.queueDepth, depth)

/** `lash.trigger.emit`: the source and the idempotency key; the occurrence and its deliveries once known. */
export const triggerEmitSpan = (request: {
  readonly sourceType: string
  readonly sourceKey: string
  readonly idempotencyKey: string
}) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withSpan(self, SpanNames.triggerEmit, {
    captureStackTrace: false,
    attributes: {
      [Attributes.triggerSourceType]: request.sourceType,
      [Attributes.triggerSourceKey]: request.sourceKey,
      "lash.trigger.idempotency_key": request.idempotencyKey
    }
  })

/** Inside `lash.trigger.emit`, once the occurrence is recorded and its deliveries reserved. */
export const triggerReserved = (occurrenceId: string, deliveries: number) =>
  Effect.annotateCurrentSpan({ [Attributes.occurrenceId]: occurrenceId, [Attributes.deliveries]: deliveries })

/** Inside `lash.trigger.emit`, at its end: how many deliveries started a process and how many failed. */
export const triggerDelivered = (started: number, failed: number) =>
  Effect.annotateCurrentSpan({ [Attributes.startedProcesses]: started, [Attributes.failedDeliveries]: failed })

/** `lash.queued.drain`: the session and why it drains. */
export const queuedDrainSpan =
  (sessionId: string, reason: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withSpan(self, SpanNames.queuedDrain, {
      captureStackTrace: false,
      attributes: { [Attributes.sessionId]: sessionId, [Attributes.drainReason]: reason }
    })

/** Inside `lash.queued.drain`, after each turn it ran: the totals so far. */
export const queuedDrained = (turns: number, batches: number) =>
  Effect.annotateCurrentSpan({ [Attributes.drainedTurns]: turns, [Attributes.drainedBatches]: batches })
