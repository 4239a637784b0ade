/**
 * Turn input and output.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import { TurnId } from "./Identifiers.js"
import { Json } from "./Json.js"
import { TokenUsage } from "./Model.js"
import { Message } from "./Session.js"
import { ToolResult } from "./Tool.js"

/** One item of turn input. @since 0.1.0 */
export const TurnInputItem = Schema.Union(
  Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
  Schema.Struct({ type: Schema.Literal("image_ref"), id: Schema.String })
)
/** @since 0.1.0 */
export type TurnInputItem = typeof TurnInputItem.Type

const TurnInputSchema = Schema.Struct({ items: Schema.Array(TurnInputItem) })

/** What a host sends to a session for one turn. @since 0.1.0 */
export interface TurnInput extends Schema.Schema.Type<typeof TurnInputSchema> {}

/** Schema and constructors of {@link TurnInput}. @since 0.1.0 */
export const TurnInput = Object.assign(TurnInputSchema, {
  /** A one-item text input. */
  text: (text: string): TurnInput => ({ items: [{ type: "text", text }] }),
  /** An input with no items (a turn driven only by its causes, such as a wake). */
  empty: { items: [] } as TurnInput
})

/** How a finished turn ended. @since 0.1.0 */
export const TurnFinish = Schema.Union(
  Schema.Struct({ type: Schema.Literal("assistant_message"), text: Schema.String }),
  Schema.Struct({ type: Schema.Literal("submitted_value"), value: Json }),
  Schema.Struct({ type: Schema.Literal("tool_value"), toolName: Schema.String, value: Json })
)
/** @since 0.1.0 */
export type TurnFinish = typeof TurnFinish.Type

/** Why a turn stopped without finishing. Stopped turns still commit. @since 0.1.0 */
export const TurnStop = Schema.Union(
  Schema.Literal("cancelled", "max_turns", "invalid_input", "tool_failure", "provider_error", "plugin_abort"),
  Schema.Struct({ type: Schema.Literal("submitted_error"), value: Json }),
  Schema.Struct({ type: Schema.Literal("tool_error"), toolName: Schema.String, value: Json })
)
/** @since 0.1.0 */
export type TurnStop = typeof TurnStop.Type

/** The outcome of a turn. @since 0.1.0 */
export const TurnOutcome = Schema.Union(
  Schema.Struct({ type: Schema.Literal("finished"), finish: TurnFinish }),
  Schema.Struct({ type: Schema.Literal("stopped"), stop: TurnStop })
)
/** @since 0.1.0 */
export type TurnOutcome = typeof TurnOutcome.Type

/** A tool call made during a turn, with its result. @since 0.1.0 */
export const ToolCallRecord = Schema.Struct({
  callId: Schema.String,
  toolName: Schema.String,
  args: Json,
  result: ToolResult,
  durationMs: Schema.NonNegativeInt
})
/** @since 0.1.0 */
export interface ToolCallRecord extends Schema.Schema.Type<typeof ToolCallRecord> {}

/** A problem noticed during a turn that did not stop it (e.g. a provider error before a retry). @since 0.1.0 */
export const TurnIssue = Schema.Struct({ code: Schema.String, message: Schema.String })
/** @since 0.1.0 */
export interface TurnIssue extends Schema.Schema.Type<typeof TurnIssue> {}

/**
 * The result of `session.turn(...).run`: the outcome, the committed revision and this turn's committed messages.
 *
 * @since 0.1.0
 */
export class TurnOutput extends Schema.Class<TurnOutput>("TurnOutput")({
  turnId: TurnId,
  outcome: TurnOutcome,
  headRevision: Schema.NonNegativeInt,
  messages: Schema.Array(Message),
  toolCalls: Schema.Array(ToolCallRecord),
  issues: Schema.Array(TurnIssue),
  usage: TokenUsage
}) {
  /** The value passed to `submit` (RLM) if the turn finished that way. */
  get submittedValue(): Option.Option<Json> {
    return this.outcome.type === "finished" && this.outcome.finish.type === "submitted_value"
      ? Option.some(this.outcome.finish.value)
      : Option.none()
  }
  /** The final assistant text if the turn finished with prose. */
  get assistantMessage(): Option.Option<string> {
    return this.outcome.type === "finished" && this.outcome.finish.type === "assistant_message"
      ? Option.some(this.outcome.finish.text)
      : Option.none()
  }
  /** True when the turn finished (rather than stopped). */
  get isSuccess(): boolean {
    return this.outcome.type === "finished"
  }
}

const event = <const T extends string, F extends Schema.Struct.Fields>(type: T, fields: F) =>
  Schema.Struct({ type: Schema.Literal(type), ...fields })

/**
 * One event of a streamed turn (`session.turn(input).stream`), in the order it happened; the tag field is `type`.
 *
 * - `turn_started`, then per model round trip `iteration_started` … `iteration_finished`;
 * - `text_delta` / `reasoning_delta`: the model's prose as it arrives. In `rlm` mode a ```lashlang block is not
 *   prose: its code arrives as `code_delta`, and nothing after the block is shown (the runtime ignores it);
 * - `model_retry`: a retryable provider failure; the deltas of this iteration so far are void, the reply starts over;
 * - `model_replied`: the reply is complete (its usage and finish reason);
 * - `tool_call_started` / `tool_call_finished` (with the result the model sees), in both modes;
 * - `code_print` (each `print` of a Lashlang block) and `code_finished` (its error or submitted value);
 * - last, `turn_committed` with the committed `TurnOutput`. A stream that fails or is interrupted before it
 *   commits nothing.
 *
 * @since 0.1.0
 */
export const TurnEvent = Schema.Union(
  event("turn_started", { turnId: TurnId }),
  event("iteration_started", { iteration: Schema.NonNegativeInt }),
  event("text_delta", { iteration: Schema.NonNegativeInt, text: Schema.String }),
  event("reasoning_delta", { iteration: Schema.NonNegativeInt, text: Schema.String }),
  event("code_delta", { iteration: Schema.NonNegativeInt, text: Schema.String }),
  event("model_retry", {
    iteration: Schema.NonNegativeInt,
    attempt: Schema.Int,
    error: Schema.String,
    delayMs: Schema.NonNegativeInt
  }),
  event("model_replied", {
    iteration: Schema.NonNegativeInt,
    usage: TokenUsage,
    finishReason: Schema.optionalWith(Schema.String, { exact: true })
  }),
  event("tool_call_started", { callId: Schema.String, toolName: Schema.String, args: Json }),
  event("tool_call_finished", {
    callId: Schema.String,
    toolName: Schema.String,
    result: ToolResult,
    durationMs: Schema.NonNegativeInt
  }),
  event("code_print", { iteration: Schema.NonNegativeInt, text: Schema.String }),
  event("code_finished", {
    iteration: Schema.NonNegativeInt,
    error: Schema.optionalWith(Schema.String, { exact: true }),
    submitted: Schema.optionalWith(Json, { exact: true })
  }),
  event("iteration_finished", { iteration: Schema.NonNegativeInt }),
  event("turn_committed", { output: TurnOutput })
)
/** @since 0.1.0 */
export type TurnEvent = typeof TurnEvent.Type
