/**
 * What a turn protocol (standard or RLM) receives and returns. The turn runner owns guards, locking and the
 * commit; a protocol owns the iterations between them.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { TurnId } from "../Identifiers.js"
import type { Json, JsonSchemaDoc } from "../Json.js"
import type { LlmProvider, LlmRequest } from "../LanguageModel.js"
import type { LlmResponse } from "../LanguageModel.js"
import type { TurnError } from "../LashCore.js"
import type { SessionPolicy, TokenUsage } from "../Model.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type { Message } from "../Session.js"
import type { ToolCallRecord, TurnEvent, TurnIssue, TurnOutcome } from "../Turn.js"
import type { TurnDelta } from "./delta.js"
import { callModel, type TextSink } from "./model.js"
import type { BuiltPlugins } from "./pluginHost.js"
import type { CoreRuntime } from "./runtime.js"
import type { SessionState } from "./sessionState.js"
import type { ToolCatalog } from "./toolCatalog.js"

/** The inputs of one protocol run. */
export interface ProtocolInput {
  readonly core: CoreRuntime
  readonly state: SessionState
  readonly turnId: TurnId
  readonly scoped: ScopedEffects
  readonly delta: TurnDelta
  /** The active-path messages before this turn. */
  readonly history: ReadonlyArray<Message>
  readonly catalog: ToolCatalog
  readonly plugins: BuiltPlugins
  readonly provider: LlmProvider
  readonly policy: SessionPolicy
  readonly maxIterations: number
  /** RLM: the JSON Schema a submitted value must match (checked, not enforced by the model). */
  readonly resultSchema?: JsonSchemaDoc
  /** Where a streamed turn's events go (a no-op sink for `run`). */
  readonly events: TurnEvents
}

/** The event sink of one turn. */
export interface TurnEvents {
  /** True when the turn is streamed: model calls then use the provider's `stream`. */
  readonly streaming: boolean
  readonly emit: (event: TurnEvent) => Effect.Effect<void>
  /** Runs just before the commit: a streamed turn waits here until its consumer has read every event so far. */
  readonly beforeCommit: Effect.Effect<void>
}

/** The sink of a turn that is not streamed. */
export const silentEvents: TurnEvents = { streaming: false, emit: () => Effect.void, beforeCommit: Effect.void }

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

/** The key prefix of iteration `iteration`: `<sid>:<tid>:<iter>` (turn id, never turn index: `ReplayKeys.iteration`). */
export const iterationKey = (input: ProtocolInput, iteration: number): string =>
  ReplayKeys.iteration(input.state.sessionId, input.turnId, iteration)

/**
 * The model call of iteration `iteration`: one `llm_call` effect keyed `<iteration key>:llm_call:0`, retried by
 * policy; the reply's text goes to `text` as it arrives (standard mode shows it as prose, RLM masks its fence).
 */
export const callIterationModel = (input: ProtocolInput, iteration: number, request: LlmRequest, text: TextSink) =>
  callModel({
    scoped: input.scoped,
    replayKey: ReplayKeys.modelCall(iterationKey(input, iteration)),
    providerId: input.policy.providerId,
    provider: input.provider,
    request,
    retry: input.core.cfg.providerRetry,
    observer: { iteration, streaming: input.events.streaming, emit: input.events.emit, text }
  })

/** Problems a reply's finish reason reveals: the turn goes on, the host sees them in `TurnOutput.issues`. */
export const finishIssues = (response: LlmResponse, iteration: number): ReadonlyArray<TurnIssue> =>
  response.finishReason === "length"
    ? [{
      code: "model_output_truncated",
      message: `iteration ${iteration}: the reply was cut at the model's output token limit`
    }]
    : response.finishReason === "content_filter"
    ? [{ code: "model_content_filtered", message: `iteration ${iteration}: the provider filtered the reply` }]
    : []

/** A tool-call observer that reports to the turn's event sink. */
export const toolEvents = (events: TurnEvents) => ({
  started: (call: { readonly callId: string; readonly toolName: string; readonly args: Json }) =>
    events.emit({ type: "tool_call_started", callId: call.callId, toolName: call.toolName, args: call.args }),
  finished: (record: ToolCallRecord) =>
    events.emit({
      type: "tool_call_finished",
      callId: record.callId,
      toolName: record.toolName,
      result: record.result,
      durationMs: record.durationMs
    })
})
