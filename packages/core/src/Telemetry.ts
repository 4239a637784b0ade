/**
 * What lash reports about itself: the names of its spans and span attributes, and its metrics (Effect `Metric`s).
 * Spans go through Effect's tracer, so `@effect/opentelemetry` exports them with no change to lash; metrics through
 * its metrics exporter. Model and tool spans follow the OpenTelemetry GenAI semantic conventions; lash's own ids are
 * `lash.*` attributes. docs/observability.md shows a runnable setup.
 *
 * @since 0.1.0
 */
import { Metric, MetricBoundaries } from "effect"

/**
 * Every span lash opens.
 *
 * @since 0.1.0
 */
export const SpanNames = {
  /** One turn, from the input to the committed output. */
  turn: "lash.turn",
  /** The turn's atomic commit. */
  commit: "lash.commit",
  /** One model call (not opened when the call is replayed from the journal). */
  llmCall: "lash.effect.llm_call",
  /** One tool call (not opened when replayed). */
  toolCall: "lash.effect.tool_call",
  /** A worker running one leased process; linked to the span that started the process. */
  workerRun: "lash.worker.run",
  /** A worker looking for runnable processes and unstarted deliveries. */
  workerSweep: "lash.worker.sweep",
  /** A trigger occurrence emitted and its processes started. */
  triggerEmit: "lash.trigger.emit",
  /** Queued work of a session drained into turns. */
  queuedDrain: "lash.queued.drain"
} as const

/**
 * The attribute keys lash sets: the GenAI semantic conventions' and its own.
 *
 * @since 0.1.0
 */
export const Attributes = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  sessionId: "lash.session.id",
  turnId: "lash.turn.id",
  turnMode: "lash.turn.mode",
  turnOutcome: "lash.turn.outcome",
  processId: "lash.process.id",
  processKind: "lash.process.kind",
  processOutcome: "lash.process.outcome",
  replayKey: "lash.effect.replay_key",
  leaseOwner: "lash.lease.owner",
  leaseFencingToken: "lash.lease.fencing_token",
  headRevision: "lash.head_revision",
  triggerSourceType: "lash.trigger.source_type",
  triggerSourceKey: "lash.trigger.source_key",
  occurrenceId: "lash.trigger.occurrence_id",
  /** Deliveries the occurrence reserved (one per matching subscription). */
  deliveries: "lash.trigger.deliveries",
  startedProcesses: "lash.trigger.started_processes",
  failedDeliveries: "lash.trigger.failed_deliveries",
  /** Why a drain ran: `turn_committed`, `sweep`, `process_event`, ... */
  drainReason: "lash.queued.reason",
  /** Queued batches a drain claimed and ran, over all its turns. */
  drainedBatches: "lash.queued.batches",
  /** Turns a drain ran (one per claim). */
  drainedTurns: "lash.queued.turns",
  /** Unstarted trigger deliveries a worker sweep started (a crash left them between reservation and start). */
  sweepDeliveriesStarted: "lash.worker.deliveries_started",
  /** Unstarted deliveries a sweep set aside because their subscription or occurrence does not decode. */
  sweepDeliveriesSetAside: "lash.worker.deliveries_set_aside",
  /** Runnable processes a sweep claimed (and started running). */
  sweepClaimed: "lash.worker.claimed"
} as const

const durationBoundaries = MetricBoundaries.exponential({ start: 1, factor: 2, count: 18 })

/**
 * lash's metrics. Durations are histograms in milliseconds; counters carry a tag where the issue of interest is a
 * kind (`outcome`, `kind`, `status`).
 *
 * @since 0.1.0
 */
export const LashMetrics = {
  /** Committed turns, tagged `outcome` (the turn outcome's type). */
  turns: Metric.counter("lash.turns", { description: "committed turns", incremental: true }),
  /** Turn duration in ms, input to commit. */
  turnDuration: Metric.histogram("lash.turn.duration_ms", durationBoundaries, "turn duration (ms)"),
  /** Commit duration in ms (the one storage unit of a turn). */
  commitDuration: Metric.histogram("lash.commit.duration_ms", durationBoundaries, "turn commit duration (ms)"),
  /** Rejected commits, tagged `kind`: HeadRevisionConflict, TurnCommitConflict, QueuedWorkClaimExpired, ... */
  commitConflicts: Metric.counter("lash.commit.conflicts", { description: "rejected commits", incremental: true }),
  /** Processes a worker finished, tagged `status` (completed, failed, cancelled). */
  processesCompleted: Metric.counter("lash.processes.completed", {
    description: "processes finished by a worker",
    incremental: true
  }),
  /** Leases a worker lost while running or before the terminal write. */
  leaseLosses: Metric.counter("lash.lease.losses", { description: "leases lost by a worker", incremental: true }),
  /** Open batches of the session a drain just looked at (tagged nothing: the latest value). */
  queueDepth: Metric.gauge("lash.queue.depth", { description: "open queued batches of the last drained session" })
} as const
