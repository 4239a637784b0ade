/**
 * Tool data: manifests, contracts, calls and results. Tools are executed by `ToolProvider`s (see `Tools`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { ProcessId, SessionId } from "./Identifiers.js"
import { ToolId } from "./Identifiers.js"
import { Json, JsonSchemaDoc, opt } from "./Json.js"

/**
 * A tool failure value. Tools fail with values, never through the error channel. `retryable` marks a failure the
 * catalog may retry under the tool's `retry` policy (a transient upstream error, say); nothing else is retried.
 *
 * @since 0.1.0
 */
export const ToolFailure = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  raw: opt(Json),
  retryable: opt(Schema.Boolean)
})
/** @since 0.1.0 */
export interface ToolFailure extends Schema.Schema.Type<typeof ToolFailure> {}

/** The result of one tool call. @since 0.1.0 */
export const ToolResult = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("ok"),
    value: Json,
    control: opt(
      Schema.Union(
        Schema.Struct({ type: Schema.Literal("finish"), value: Json }),
        Schema.Struct({ type: Schema.Literal("fail"), failure: ToolFailure })
      )
    )
  }),
  Schema.Struct({ type: Schema.Literal("failure"), failure: ToolFailure })
)
/** @since 0.1.0 */
export type ToolResult = typeof ToolResult.Type

/** Constructors for {@link ToolResult}. @since 0.1.0 */
export const ToolResults = {
  /** A successful result. */
  ok: (value: Json): ToolResult => ({ type: "ok", value }),
  /** A failed result. */
  failure: (code: string, message: string, raw?: Json): ToolResult => ({
    type: "failure",
    failure: raw === undefined ? { code, message } : { code, message, raw }
  }),
  /** A failed result the tool's `retry` policy may retry. */
  retryableFailure: (code: string, message: string, raw?: Json): ToolResult => ({
    type: "failure",
    failure: raw === undefined ? { code, message, retryable: true } : { code, message, raw, retryable: true }
  }),
  /** A successful result that ends the turn with `value` (`Finished(tool_value)`). */
  finish: (value: Json): ToolResult => ({ type: "ok", value, control: { type: "finish", value } }),
  /** A result that stops the turn with `failure` (`Stopped(tool_error)`); the model does not see it. */
  stop: (code: string, message: string, raw?: Json): ToolResult => ({
    type: "ok",
    value: null,
    control: { type: "fail", failure: raw === undefined ? { code, message } : { code, message, raw } }
  })
}

/** How the output of a tool is typed. @since 0.1.0 */
export const ToolOutputContract = Schema.Union(
  Schema.Struct({ type: Schema.Literal("static") }),
  Schema.Struct({ type: Schema.Literal("from_input_schema"), inputField: Schema.String })
)
/** @since 0.1.0 */
export type ToolOutputContract = typeof ToolOutputContract.Type

/** The static description of a tool. @since 0.1.0 */
export const ToolManifest = Schema.Struct({
  id: ToolId,
  name: Schema.String,
  description: Schema.String,
  lashlang: opt(Schema.Struct({ modulePath: Schema.Array(Schema.String), operation: Schema.String })),
  scheduling: Schema.Literal("parallel", "serial"),
  /** Retries of failures the tool marks `retryable`: `maxAttempts` in all, exponential from `backoffMs`. */
  retry: opt(Schema.Struct({ maxAttempts: Schema.Int.pipe(Schema.positive()), backoffMs: Schema.NonNegativeInt })),
  /** How long one attempt may run before it fails as `tool_timeout`; absent = the core's `toolTimeout`. */
  timeoutMs: opt(Schema.Int.pipe(Schema.positive()))
})
/** @since 0.1.0 */
export interface ToolManifest extends Schema.Schema.Type<typeof ToolManifest> {}

/** The input/output schemas of a tool. @since 0.1.0 */
export const ToolContract = Schema.Struct({
  inputSchema: JsonSchemaDoc,
  outputSchema: JsonSchemaDoc,
  outputContract: ToolOutputContract
})
/** @since 0.1.0 */
export interface ToolContract extends Schema.Schema.Type<typeof ToolContract> {}

/** A tool call the model asked for, before validation. @since 0.1.0 */
export const PendingToolCall = Schema.Struct({ callId: Schema.String, toolName: Schema.String, args: Json })
/** @since 0.1.0 */
export interface PendingToolCall extends Schema.Schema.Type<typeof PendingToolCall> {}

/** A validated, prepared tool call; persisted inside `tool_call` processes. @since 0.1.0 */
export const PreparedToolCall = Schema.Struct({
  callId: Schema.String,
  toolId: ToolId,
  toolName: Schema.String,
  args: Json,
  preparedPayload: Json
})
/** @since 0.1.0 */
export interface PreparedToolCall extends Schema.Schema.Type<typeof PreparedToolCall> {}

/** Where a tool call runs. @since 0.1.0 */
export interface ToolContext {
  readonly sessionId?: SessionId
  readonly processId?: ProcessId
  readonly callId: string
  readonly attempt: number
  readonly replayKey: string
}

/** A tool call handed to `ToolProvider.execute`. @since 0.1.0 */
export interface ToolCall {
  readonly callId: string
  readonly toolId: ToolId
  readonly name: string
  readonly args: Json
  readonly context: ToolContext
}

/** A tool call the model requested (`callId` may be missing; the runtime assigns one). @since 0.1.0 */
export const ToolCallRequest = Schema.Struct({ callId: opt(Schema.String), name: Schema.String, args: Json })
/** @since 0.1.0 */
export interface ToolCallRequest extends Schema.Schema.Type<typeof ToolCallRequest> {}
