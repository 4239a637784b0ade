/**
 * Tagged errors of lash. Handle them with `Effect.catchTag(s)`; `message` is derived from the fields and is for
 * humans only, never for matching.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Json } from "./Json.js"

/**
 * A configuration problem: a `LashCoreConfig` option, a backend layer's option, a tool definition, or an argument
 * such as `openSession("")`. `field` names the option (`worker.maxConcurrent`, `tools[fetch].timeoutMs`,
 * `synchronous`, `sessionId`) and `value` shows the bad value (`NaN`, `-5`, `"banana"`) when one value is at fault.
 *
 * @since 0.1.0
 */
export class LashConfigError extends Schema.TaggedError<LashConfigError>()("LashConfigError", {
  reason: Schema.Literal(
    "duplicate_plugin",
    "surface_conflict",
    "tool_conflict",
    "durability_mismatch",
    "invalid_lease_timings",
    "invalid_tool_schema",
    "invalid_limits",
    "invalid_option",
    "invalid_argument"
  ),
  field: Schema.optionalWith(Schema.String, { exact: true }),
  value: Schema.optionalWith(Schema.String, { exact: true }),
  detail: Schema.String
}) {
  override get message() {
    return `lash configuration error (${this.reason}): ${this.detail}`
  }
}

/** A plugin failed to build, register or restore. @since 0.1.0 */
export class PluginError extends Schema.TaggedError<PluginError>()("PluginError", {
  pluginId: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `plugin ${this.pluginId}: ${this.reason}`
  }
}

/** Two plugins claimed one exclusive slot. @since 0.1.0 */
export class PluginConflict extends Schema.TaggedError<PluginConflict>()("PluginConflict", {
  slot: Schema.String,
  firstPluginId: Schema.String,
  secondPluginId: Schema.String
}) {
  override get message() {
    return `plugins ${this.firstPluginId} and ${this.secondPluginId} both claim ${this.slot}`
  }
}

/** A backend I/O failure. @since 0.1.0 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  port: Schema.String,
  cause: Schema.Defect
}) {
  override get message() {
    return `store ${this.port} unavailable: ${String(this.cause)}`
  }
}

/** A stored row that fails to decode. Only that read fails; the row is never rewritten. @since 0.1.0 */
export class CorruptRecord extends Schema.TaggedError<CorruptRecord>()("CorruptRecord", {
  port: Schema.String,
  key: Schema.String,
  issue: Schema.String
}) {
  override get message() {
    return `corrupt record in ${this.port} at ${this.key}: ${this.issue}`
  }
}

/** Lock or serialization contention that outlived the backend's retry budget; retryable. @since 0.1.0 */
export class StoreConflict extends Schema.TaggedError<StoreConflict>()("StoreConflict", {
  port: Schema.String,
  operation: Schema.String,
  code: Schema.String,
  attempts: Schema.Number
}) {
  override get message() {
    return `store ${this.port}.${this.operation} conflict (${this.code}) after ${this.attempts} attempts`
  }
}

/** The storage error union every port method may fail with. @since 0.1.0 */
export type StoreError = StoreUnavailable | CorruptRecord | StoreConflict

/** An unknown session. @since 0.1.0 */
export class SessionNotFound extends Schema.TaggedError<SessionNotFound>()("SessionNotFound", {
  sessionId: Schema.String
}) {
  override get message() {
    return `session ${this.sessionId} not found`
  }
}

/** A single-session handle was given a commit for another session. @since 0.1.0 */
export class SessionBindingMismatch extends Schema.TaggedError<SessionBindingMismatch>()("SessionBindingMismatch", {
  sessionId: Schema.String,
  storedSessionId: Schema.String
}) {}

/** The session head moved since the turn started (another writer committed). @since 0.1.0 */
export class HeadRevisionConflict extends Schema.TaggedError<HeadRevisionConflict>()("HeadRevisionConflict", {
  sessionId: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number
}) {
  override get message() {
    return `session ${this.sessionId}: expected head revision ${this.expected}, found ${this.actual}`
  }
}

/** The same turn id was committed with different content. @since 0.1.0 */
export class TurnCommitConflict extends Schema.TaggedError<TurnCommitConflict>()("TurnCommitConflict", {
  sessionId: Schema.String,
  turnId: Schema.String
}) {
  override get message() {
    return `session ${this.sessionId}: turn ${this.turnId} was already committed with different content`
  }
}

/** A queued-work claim no longer owns its batches. @since 0.1.0 */
export class QueuedWorkClaimExpired extends Schema.TaggedError<QueuedWorkClaimExpired>()("QueuedWorkClaimExpired", {
  sessionId: Schema.String,
  claimId: Schema.String
}) {}

/** A turn under a journaled controller had no stable turn id. @since 0.1.0 */
export class MissingTurnId extends Schema.TaggedError<MissingTurnId>()("MissingTurnId", {
  sessionId: Schema.String
}) {}

/** No provider with that id. @since 0.1.0 */
export class ProviderNotFound extends Schema.TaggedError<ProviderNotFound>()("ProviderNotFound", {
  providerId: Schema.String
}) {}

/**
 * A model provider call failed. `retryable` failures (429, 5xx, resets, timeouts, malformed or truncated replies)
 * are retried by the core under `providerRetry`, waiting at least `retryAfterMs` when the provider said so
 * (`Retry-After`); the others (400, 401, 403, 404) fail the turn at once with the provider's message in `detail`.
 *
 * @since 0.1.0
 */
export class LlmTransportError extends Schema.TaggedError<LlmTransportError>()("LlmTransportError", {
  providerId: Schema.String,
  retryable: Schema.Boolean,
  status: Schema.optionalWith(Schema.Number, { exact: true }),
  detail: Schema.optionalWith(Schema.String, { exact: true }),
  retryAfterMs: Schema.optionalWith(Schema.NonNegativeInt, { exact: true })
}) {
  override get message() {
    return `provider ${this.providerId} failed${this.status === undefined ? "" : ` (status ${this.status})`}${
      this.detail === undefined ? "" : `: ${this.detail}`
    }`
  }
}

/** An unknown process. @since 0.1.0 */
export class ProcessNotFound extends Schema.TaggedError<ProcessNotFound>()("ProcessNotFound", {
  processId: Schema.String
}) {}

/** A process id already registered with a different registration. @since 0.1.0 */
export class ProcessRegistrationConflict extends Schema.TaggedError<ProcessRegistrationConflict>()(
  "ProcessRegistrationConflict",
  { processId: Schema.String }
) {}

/** A registration that breaks a registry rule. @since 0.1.0 */
export class InvalidProcessRegistration extends Schema.TaggedError<InvalidProcessRegistration>()(
  "InvalidProcessRegistration",
  {
    processId: Schema.String,
    reason: Schema.Literal(
      "empty_id",
      "env_required",
      "env_forbidden",
      "duplicate_event_type",
      "terminal_without_output",
      "missing_core_event_types",
      "invalid_trace_context"
    )
  }
) {}

/** An event append that breaks a registry rule. @since 0.1.0 */
export class ProcessEventRejected extends Schema.TaggedError<ProcessEventRejected>()("ProcessEventRejected", {
  processId: Schema.String,
  reason: Schema.Literal(
    "undeclared_type",
    "payload_invalid",
    "replay_conflict",
    "already_terminal",
    "replay_key_required"
  ),
  issues: Schema.optionalWith(Schema.Array(Schema.String), { exact: true })
}) {}

/** A claim on a process that is under a live lease. @since 0.1.0 */
export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", { processId: Schema.String }) {}

/** A lease that is no longer the live one (expired, released or taken over). @since 0.1.0 */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  processId: Schema.String,
  fencingToken: Schema.Number
}) {}

/** An unknown process env ref. @since 0.1.0 */
export class ProcessEnvNotFound extends Schema.TaggedError<ProcessEnvNotFound>()("ProcessEnvNotFound", {
  envRef: Schema.String
}) {}

/** The same idempotency key was emitted with different content. @since 0.1.0 */
export class TriggerIdempotencyConflict extends Schema.TaggedError<TriggerIdempotencyConflict>()(
  "TriggerIdempotencyConflict",
  { idempotencyKey: Schema.String, occurrenceId: Schema.String }
) {}

/** A registration key reused with a different draft. @since 0.1.0 */
export class TriggerRegistrationConflict extends Schema.TaggedError<TriggerRegistrationConflict>()(
  "TriggerRegistrationConflict",
  { registrantScopeId: Schema.String, registrationKey: Schema.String }
) {}

/** An emit request with an empty required field. @since 0.1.0 */
export class InvalidTriggerRequest extends Schema.TaggedError<InvalidTriggerRequest>()("InvalidTriggerRequest", {
  field: Schema.Literal("sourceType", "sourceKey", "idempotencyKey")
}) {}

/** Every reserved delivery of an emit failed. @since 0.1.0 */
export class TriggerDeliveryFailed extends Schema.TaggedError<TriggerDeliveryFailed>()("TriggerDeliveryFailed", {
  occurrenceId: Schema.String,
  failures: Schema.Array(Json)
}) {}

/** An execution scope with an empty id. @since 0.1.0 */
export class InvalidExecutionScope extends Schema.TaggedError<InvalidExecutionScope>()("InvalidExecutionScope", {
  reason: Schema.String
}) {}

/** A journaled effect was replayed with a different request. @since 0.1.0 */
export class EffectReplayConflict extends Schema.TaggedError<EffectReplayConflict>()("EffectReplayConflict", {
  scopeId: Schema.String,
  replayKey: Schema.String,
  recordedHash: Schema.String,
  requestHash: Schema.String
}) {}

/**
 * A signal that was not delivered: the process has ended, does not take signals, does not declare this one, or the
 * payload does not match its declared type. The message names which.
 *
 * @since 0.1.0
 */
export class ProcessSignalRejected extends Schema.TaggedError<ProcessSignalRejected>()("ProcessSignalRejected", {
  processId: Schema.String,
  signal: Schema.String,
  reason: Schema.Literal(
    "process_ended",
    "not_a_lashlang_process",
    "module_missing",
    "unknown_signal",
    "invalid_payload"
  ),
  message: Schema.String
}) {}
