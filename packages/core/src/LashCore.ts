/**
 * The `LashCore` facade: a Layer composed from a backend, a model provider and an effect controller, which opens
 * sessions and runs their turns.
 *
 * @since 0.1.0
 */
import type { LashlangAbilities, LashlangLanguageFeatures } from "@lash/lashlang"
import { Context, type Duration, type Effect, type Layer } from "effect"
import type { EffectController } from "./EffectController.js"
import type {
  EffectReplayConflict,
  HeadRevisionConflict,
  InvalidExecutionScope,
  LashConfigError,
  LlmTransportError,
  MissingTurnId,
  PluginConflict,
  PluginError,
  ProviderNotFound,
  QueuedWorkClaimExpired,
  SessionBindingMismatch,
  SessionNotFound,
  StoreError,
  TurnCommitConflict
} from "./Errors.js"
import type { SessionId, TurnId } from "./Identifiers.js"
import type { LanguageModelProvider } from "./LanguageModel.js"
import type { ModelSpec, SessionPolicy } from "./Model.js"
import type { LashPlugin } from "./Plugin.js"
import type { QueuedWorkBatch } from "./QueuedWork.js"
import type { Message, PluginOptions, SessionGraph } from "./Session.js"
import type { LashStorage } from "./Storage.js"
import type { ToolProvider } from "./Tools.js"
import type { TurnInput, TurnOutput } from "./Turn.js"
import * as internal from "./internal/core.js"

/** The configuration of a core. @since 0.1.0 */
export interface LashCoreConfig {
  /** `standard` = native tool calling; `rlm` = the model writes Lashlang. */
  readonly mode: "rlm" | "standard"
  readonly model: ModelSpec
  readonly plugins?: ReadonlyArray<LashPlugin>
  /** Tools available to every session (folded into an internal "embed-tools" plugin). */
  readonly tools?: ReadonlyArray<ToolProvider>
  /** The system prompt of standard mode (RLM mode generates its own from the host surface, after this text). */
  readonly systemPrompt?: string
  readonly rlm?: {
    readonly abilities?: LashlangAbilities
    readonly languageFeatures?: LashlangLanguageFeatures
    readonly termination?: "submit_required" | "prose_or_submit"
    readonly maxOutputChars?: number
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

/** What `openSession` may fail with. @since 0.1.0 */
export type OpenSessionError = StoreError | SessionNotFound | PluginError | PluginConflict

/** A turn ready to run. @since 0.1.0 */
export interface TurnRequest {
  /** Runs the turn and commits it atomically. */
  readonly run: Effect.Effect<TurnOutput, TurnError>
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
  turn(input: TurnInput, options?: { readonly turnId?: TurnId | string; readonly maxIterations?: number }): TurnRequest
  /** Synchronous: the last published snapshot. */
  readView(): SessionReadView
  /** Every open batch of the session's queue (claimed ones too). */
  readonly queuedWork: Effect.Effect<ReadonlyArray<QueuedWorkBatch>, StoreError>
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
  /** Fibers alive in the core's FiberSet; 0 once the core is idle. */
  readonly diagnostics: Effect.Effect<{ readonly liveFibers: number }>
}

/**
 * The lash runtime.
 *
 * @since 0.1.0
 */
export class LashCore extends Context.Tag("@lash/core/LashCore")<LashCore, LashCoreService>() {
  /** Builds a core over a backend, a model provider and an effect controller. */
  static layer(
    config: LashCoreConfig
  ): Layer.Layer<LashCore, LashConfigError, LashStorage | LanguageModelProvider | EffectController> {
    return internal.layer(config)
  }
}

