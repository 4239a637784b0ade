/**
 * How a tool that decodes its own arguments (a typed tool, `TypedTool.ts`; an `@effect/ai` toolkit, `Tools.ts`)
 * checks a call: the Schema decode options, the failure the model sees when it does not decode, and the prepared call
 * when it does.
 *
 * @internal
 */
import { ParseResult } from "effect"
import type { ToolId } from "../Identifiers.js"
import type { PendingToolCall, PreparedToolCall, ToolFailure } from "../Tool.js"

/** Every issue reported, and a property the schema does not name is an issue. */
export const parseOptions = { errors: "all", onExcessProperty: "error" } as const

/** The one-paragraph text of a `ParseError` (`Tools.ts` exports it as `formatParseError`). */
export const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.TreeFormatter.formatErrorSync(error)

/** The failure of a call whose arguments do not decode. */
export const invalidArguments = (toolName: string, error: ParseResult.ParseError): ToolFailure => ({
  code: "invalid_tool_args",
  message: `invalid arguments for ${toolName}: ${formatParseError(error)}`
})

/** A call whose arguments decode, prepared as it is (no prepared payload). */
export const preparedCall = (call: PendingToolCall, toolId: ToolId): PreparedToolCall => ({
  callId: call.callId,
  toolId,
  toolName: call.toolName,
  args: call.args,
  preparedPayload: null
})
