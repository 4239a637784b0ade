/**
 * What a turn protocol (standard or RLM) receives and returns. The turn runner owns guards, locking and the
 * commit; a protocol owns the iterations between them.
 *
 * @internal
 */
import type { Effect } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { TurnId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { LlmProvider, LlmRequest } from "../LanguageModel.js"
import type { TurnError } from "../LashCore.js"
import type { SessionPolicy, TokenUsage } from "../Model.js"
import type { Message } from "../Session.js"
import type { ToolCallRecord, TurnIssue, TurnOutcome } from "../Turn.js"
import type { TurnDelta } from "./delta.js"
import { callModel } from "./model.js"
import type { BuiltPlugins } from "./pluginHost.js"
import type { CoreRuntime } from "./runtime.js"
import type { SessionState } from "./sessionState.js"
import type { ToolCatalog } from "./toolCatalog.js"

/** The inputs of one protocol run. */
export interface ProtocolInput {
  readonly core: CoreRuntime
  readonly state: SessionState
  readonly turnId: TurnId
  readonly turnIndex: number
  readonly scoped: ScopedEffects
  readonly delta: TurnDelta
  /** The active-path messages before this turn. */
  readonly history: ReadonlyArray<Message>
  readonly catalog: ToolCatalog
  readonly plugins: BuiltPlugins
  readonly provider: LlmProvider
  readonly policy: SessionPolicy
  readonly maxIterations: number
}

/** What a protocol run produced. */
export interface ProtocolResult {
  readonly outcome: TurnOutcome
  readonly toolCalls: ReadonlyArray<ToolCallRecord>
  readonly usage: TokenUsage
  readonly issues: ReadonlyArray<TurnIssue>
  /** The new execution state of the frame (RLM globals); `undefined` keeps the old one. */
  readonly executionState?: Json
}

/** A turn protocol. */
export type Protocol = (input: ProtocolInput) => Effect.Effect<ProtocolResult, TurnError>

/** The key prefix of iteration `iteration`: `<sid>:<tid>:<turnIndex>:<iter>`. */
export const iterationKey = (input: ProtocolInput, iteration: number): string =>
  `${input.state.sessionId}:${input.turnId}:${input.turnIndex}:${iteration}`

/** The model call of iteration `iteration`: one `llm_call` effect keyed `<iteration key>:llm_call:0`, retried by policy. */
export const callIterationModel = (input: ProtocolInput, iteration: number, request: LlmRequest) =>
  callModel({
    scoped: input.scoped,
    replayKey: `${iterationKey(input, iteration)}:llm_call:0`,
    providerId: input.policy.providerId,
    provider: input.provider,
    request,
    retry: input.core.cfg.providerRetry
  })
