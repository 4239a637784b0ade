/**
 * The `LashCore` facade: a Layer composed from a backend, a model provider and an effect controller, which opens
 * sessions and runs their turns.
 *
 * @since 0.1.0
 */
import type { ExecLimits, LashlangAbilities, LashlangLanguageFeatures } from "@lash/lashlang"
import { Context, type Duration, type Effect, type Layer, type Stream } from "effect"
import type { EffectController } from "./EffectController.js"
import type { ExecutionScope } from "./Effects.js"
import type {
  EffectReplayConflict,
  HeadRevisionConflict,
  InvalidExecutionScope,
  InvalidProcessRegistration,
  InvalidTriggerRequest,
  LashConfigError,
  LlmTransportError,
  MissingTurnId,
  PluginConflict,
  PluginError,
  ProcessEnvNotFound,
  ProcessEventRejected,
  ProcessNotFound,
  ProcessRegistrationConflict,
  ProcessSignalRejected,
  ProviderNotFound,
  QueuedWorkClaimExpired,
  SessionBindingMismatch,
  SessionNotFound,
  StoreError,
  TriggerDeliveryFailed,
  TriggerIdempotencyConflict,
  TurnCommitConflict
} from "./Errors.js"
import type { EnvRef, ProcessId, SessionId, TriggerHandle, TurnId } from "./Identifiers.js"
import * as internal from "./internal/core.js"
import type { Json, JsonSchemaDoc } from "./Json.js"
import type { LanguageModelProvider } from "./LanguageModel.js"
import type { ModelSpec, SessionPolicy } from "./Model.js"
import type { LashPlugin } from "./Plugin.js"
import type {
  ProcessAwaitOutput,
  ProcessExecutionEnvSpec,
  ProcessFilter,
  ProcessListing,
  ProcessRecord,
  ProcessRegistration
} from "./Process.js"
import type { QueuedListing, QueuedWorkBatch } from "./QueuedWork.js"
import type { Message, PluginOptions, SessionGraph } from "./Session.js"
import type { LashStorage } from "./Storage.js"
import type { ToolInput } from "./Tools.js"
import type {
  TriggerEmitReport,
  TriggerOccurrenceRequest,
  TriggerRegistration,
  TriggerSubscriptionFilter
} from "./Trigger.js"
import type { TurnEvent, TurnInput, TurnOutput } from "./Turn.js"

/**
 * The configuration of a core. `R` is what its `@effect/ai` toolkits need (their handlers); it is `never` for
 * typed tools and `ToolProvider`s.
 *
 * @since 0.1.0
 */
export interface LashCoreConfig<R = never> {
  /** `standard` = native tool calling; `rlm` = the model writes Lashlang. */
  readonly mode: "rlm" | "standard"
  readonly model: ModelSpec
  readonly plugins?: ReadonlyArray<LashPlugin>
  /**
   * Tools available to every session (folded into an internal "embed-tools" plugin): typed tools (`defineTool`),
   * `ToolProvider`s, and `@effect/ai` `Toolkit`s as they are (their handlers come from the layer's context).
   */
  readonly tools?: ReadonlyArray<ToolInput<R>>
  /** How long one attempt of a tool may run before it fails as `tool_timeout` (default 2 minutes; per tool: `timeout`). */
  readonly toolTimeout?: Duration.DurationInput
  /** The system prompt of standard mode (RLM mode generates its own from the host surface, after this text). */
  readonly systemPrompt?: string
  readonly rlm?: {
    readonly abilities?: LashlangAbilities
    readonly languageFeatures?: LashlangLanguageFeatures
    readonly termination?: "submit_required" | "prose_or_submit"
    /** The most characters of one block's output (prints and error) the model is shown; default 20,000. */
    readonly maxOutputChars?: number
    /** Lashlang execution limits for every block and process run of this runtime (defaults: docs/lashlang.md, "Limits"). */
    readonly limits?: Partial<ExecLimits>
  }
  /** Per turn; default 16. */
  readonly maxIterations?: number
  readonly worker?: {
    readonly enabled?: boolean
    readonly leaseTtl?: Duration.DurationInput
    readonly renewEvery?: Duration.DurationInput
    readonly driveOnOpen?: boolean
    readonly startupSweep?: boolean
    readonly sweepEvery?: Duration.DurationInput
    readonly maxConcurrent?: number
  }
  /**
   * Process limits, so model-written code cannot flood the host (docs/architecture.md, "Processes and leases"). A
   * start past a limit fails in the program as `process start failed: …`; a start that adopts an existing process
   * (a re-drive, a re-run) is never refused. Starts per block or process run: `rlm.limits.maxProcessStarts`.
   */
  readonly processes?: {
    /** Most live (non-terminal) processes granted to one session scope (default 200). */
    readonly maxLivePerSession?: number
    /** Deepest process tree: a process started by a session block has depth 1, its children 2 (default 5). */
    readonly maxTreeDepth?: number
  }
  readonly queuedWork?: { readonly claimTtl?: Duration.DurationInput; readonly drainOnOpen?: boolean }
  /** Retries of retryable provider failures; default 4 attempts, 2 s base, 10 s cap, jittered. */
  readonly providerRetry?: {
    readonly maxAttempts: number
    readonly baseDelay: Duration.DurationInput
    readonly maxDelay: Duration.DurationInput
  }
}

/** Everything a turn may fail with. Tool and Lashlang problems are never errors: the model sees them. @since 0.1.0 */
export type TurnError =
  | StoreError
  | SessionNotFound
  | SessionBindingMismatch
  | HeadRevisionConflict
  | TurnCommitConflict
  | QueuedWorkClaimExpired
  | MissingTurnId
  | InvalidExecutionScope
  | ProviderNotFound
  | LlmTransportError
  | PluginError
  | EffectReplayConflict
  | LashConfigError

/**
 * Options of one turn. `resultSchema` (RLM mode): the JSON Schema a submitted value must match; the model is told it,
 * and a `submit` that does not match goes back to the model as an error while the turn goes on. A schema that does
 * not compile fails the turn with `LashConfigError` (`field: "resultSchema"`) before any model call.
 *
 * @since 0.1.0
 */
export interface TurnOptions {
  readonly turnId?: TurnId | string
  readonly maxIterations?: number
  readonly resultSchema?: JsonSchemaDoc
}

/** What `openSession` may fail with (`LashConfigError`: an empty or over-long session id, bad options). @since 0.1.0 */
export type OpenSessionError = StoreError | SessionNotFound | PluginError | PluginConflict | LashConfigError

/** A turn ready to run, whole or streamed. @since 0.1.0 */
export interface TurnRequest {
  /** Runs the turn and commits it atomically. */
  readonly run: Effect.Effect<TurnOutput, TurnError>
  /**
   * Runs the turn as a stream of `TurnEvent`s (text deltas, tool calls, Lashlang prints, iteration boundaries,
   * usage); the last event is `turn_committed` with the `TurnOutput`. The commit is still one atomic unit at the
   * end, made once the consumer has read every event before it; a consumer that stops reading earlier interrupts
   * the turn, and nothing is committed.
   */
  readonly stream: Stream.Stream<TurnEvent, TurnError>
}

/** The last published snapshot of a session. @since 0.1.0 */
export interface SessionReadView {
  readonly sessionId: SessionId
  readonly headRevision: number
  readonly turnIndex: number
  readonly policy: SessionPolicy
  readonly graph: SessionGraph
  /** The active path's messages, non-transient, de-duplicated by id. */
  readonly messages: ReadonlyArray<Message>
}

/** An open session. Several values may exist for one id; their writes are serialised. @since 0.1.0 */
export interface LashSession {
  readonly sessionId: SessionId
  turn(input: TurnInput, options?: TurnOptions): TurnRequest
  /** Synchronous: the last published snapshot. */
  readView(): SessionReadView
  /** Every open batch of the session's queue (claimed ones too). */
  readonly queuedWork: Effect.Effect<ReadonlyArray<QueuedWorkBatch>, StoreError>
  /** {@link queuedWork}, naming the open batches whose rows do not decode (docs/architecture.md, "Poison rows"). */
  readonly queuedListing: Effect.Effect<QueuedListing, StoreError>
  /** Durable ingress: the input stays queued until a turn commits its completion. */
  enqueue(
    input: TurnInput,
    options?: { readonly sourceKey?: string }
  ): Effect.Effect<QueuedWorkBatch, StoreError | SessionNotFound>
  /** Claims and runs queued work now (every available batch, in order). */
  readonly runQueued: Effect.Effect<void>
  /** This session's own trigger registrations. */
  triggers(): SessionTriggers
}

/** A session's view of its trigger registrations. @since 0.1.0 */
export interface SessionTriggers {
  bySourceType(sourceType: string): Effect.Effect<ReadonlyArray<TriggerRegistration>, StoreError>
  list(): Effect.Effect<ReadonlyArray<TriggerRegistration>, StoreError>
  /** True only if the handle was this session's and enabled. */
  cancel(handle: TriggerHandle | string): Effect.Effect<boolean, StoreError>
}

/** The core's (unscoped, admin) trigger API. @since 0.1.0 */
export interface CoreTriggers {
  /**
   * Records an occurrence once per idempotency key and starts one process per matching registration; returns
   * before any process runs. The report is derived from storage, so a re-emit returns the same report.
   */
  emit(
    request: TriggerOccurrenceRequest,
    scope?: ExecutionScope
  ): Effect.Effect<
    TriggerEmitReport,
    | StoreError
    | InvalidTriggerRequest
    | TriggerIdempotencyConflict
    | TriggerDeliveryFailed
    | InvalidExecutionScope
    | EffectReplayConflict
  >
  list(filter: TriggerSubscriptionFilter): Effect.Effect<ReadonlyArray<TriggerRegistration>, StoreError>
}

/** The core's (unscoped, admin) process API. @since 0.1.0 */
export interface CoreProcesses {
  /** Registers (as a `process` start effect), grants the handle to the wake target, and pokes the worker. */
  start(
    reg: ProcessRegistration,
    scope?: ExecutionScope
  ): Effect.Effect<
    ProcessRecord,
    StoreError | ProcessRegistrationConflict | InvalidProcessRegistration | InvalidExecutionScope | EffectReplayConflict
  >
  get(id: ProcessId | string): Effect.Effect<ProcessRecord, StoreError | ProcessNotFound>
  await(id: ProcessId | string): Effect.Effect<ProcessAwaitOutput, StoreError | ProcessNotFound>
  /**
   * The processes that match `filter` (ascending id), and the rows that do not decode, named by row key and reason
   * (`quarantined` once a worker set one aside): one bad row never hides the others (docs/architecture.md,
   * "Poison rows").
   */
  list(filter: ProcessFilter): Effect.Effect<ProcessListing, StoreError>
  /**
   * Processes started inside a turn that is not in its session's history: the turn is still running, or it never
   * committed and was never re-driven. They run like any process (a re-drive of the turn id adopts them); an
   * operator reviews them here and cancels what should not go on. Reads every process and each session concerned.
   */
  uncommitted(): Effect.Effect<ReadonlyArray<ProcessRecord>, StoreError>
  /** Appends `process.cancel_requested`; the running worker interrupts the run and writes `cancelled`. */
  cancel(
    id: ProcessId | string,
    reason?: string
  ): Effect.Effect<void, StoreError | ProcessNotFound | ProcessEventRejected>
  /**
   * Delivers signal `name` to a Lashlang process (docs/lashlang.md, "Sleep and signals"): checked against the
   * process's declaration (the name, the payload's type) and kept until the process waits for it. With an
   * `idempotencyKey`, a repeated call delivers nothing more.
   */
  signal(
    id: ProcessId | string,
    name: string,
    payload: Json,
    options?: { readonly idempotencyKey?: string }
  ): Effect.Effect<void, StoreError | ProcessNotFound | ProcessSignalRejected>
}

/** Options of `openSession`. @since 0.1.0 */
export interface OpenSessionOptions {
  /** Create the session if it does not exist (default true). */
  readonly create?: boolean
  /** Plugin options recorded in the session's first frame (ignored for an existing session). */
  readonly pluginOptions?: PluginOptions
}

/** The service shape of {@link LashCore}. @since 0.1.0 */
export interface LashCoreService {
  readonly instanceId: string
  openSession(sessionId: string, options?: OpenSessionOptions): Effect.Effect<LashSession, OpenSessionError>
  triggers(): CoreTriggers
  processes(): CoreProcesses
  /** The public way to persist a process execution env and get the ref to attach to a registration. */
  readonly processEnv: {
    persist(spec: ProcessExecutionEnvSpec): Effect.Effect<EnvRef, StoreError>
    load(ref: EnvRef | string): Effect.Effect<ProcessExecutionEnvSpec, StoreError | ProcessEnvNotFound>
  }
  /** Forks one worker sweep and one queued sweep; returns at once. */
  drivePending(reason: string): Effect.Effect<void>
  /** Fibers alive in the core's FiberSet; 0 once the core is idle. */
  readonly diagnostics: Effect.Effect<{ readonly liveFibers: number }>
}

/**
 * The lash runtime.
 *
 * @since 0.1.0
 */
export class LashCore extends Context.Tag("@lash/core/LashCore")<LashCore, LashCoreService>() {
  /** Builds a core over a backend, a model provider and an effect controller (and the handlers of its toolkits). */
  static layer<R = never>(
    config: LashCoreConfig<R>
  ): Layer.Layer<LashCore, LashConfigError, LashStorage | LanguageModelProvider | EffectController | R> {
    return internal.layer(config)
  }
}
