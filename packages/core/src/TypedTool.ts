/**
 * Typed tools (`defineTool`): a tool whose input and output are described by Effect Schemas, which runs on the decoded
 * input and may end or stop the turn (`ToolOutcome`) or fail with a `ToolError` the model sees.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, type ParseResult, Schema } from "effect"
import { formatParseError, invalidArguments, parseOptions, preparedCall } from "./internal/toolArguments.js"
import { isJson, type Json } from "./Json.js"
import { type ToolContext, type ToolResult, ToolResults } from "./Tool.js"
import { ToolDefinition, type ToolDefinitionOptions } from "./ToolDefinition.js"
import type { ToolProvider } from "./Tools.js"

/**
 * The failure a typed tool returns through its error channel: the model sees `message` (with `code`, default
 * `tool_error`), and the turn goes on. `retryable` lets the tool's `retry` policy try again.
 *
 * @since 0.1.0
 */
export class ToolError extends Schema.TaggedError<ToolError>()("ToolError", {
  message: Schema.String,
  code: Schema.optionalWith(Schema.String, { exact: true }),
  retryable: Schema.optionalWith(Schema.Boolean, { exact: true })
}) {}

/** A typed tool's value that ends the turn with `value` (`Finished(tool_value)`). @since 0.1.0 */
export class ToolFinish<O> {
  readonly _tag = "ToolFinish"
  constructor(readonly value: O) {}
}

/** A typed tool's value that stops the turn (`Stopped(tool_error)`). @since 0.1.0 */
export class ToolStop {
  readonly _tag = "ToolStop"
  constructor(readonly code: string, readonly message: string) {}
}

/** Control outcomes a typed tool may return instead of a plain value. @since 0.1.0 */
export const ToolOutcome = {
  /** Ends the turn with the (encoded) value. */
  finish: <O>(value: O): ToolFinish<O> => new ToolFinish(value),
  /** Stops the turn with a failure the host sees in `TurnOutput.outcome`. */
  stop: (code: string, message: string): ToolStop => new ToolStop(code, message)
}

/** What `defineTool` takes. @since 0.1.0 */
export interface TypedToolConfig<I, IE, O, OE> extends ToolDefinitionOptions {
  readonly name: string
  readonly description: string
  /** Decodes the model's arguments; a decode failure reaches the model as the `ParseError` message. */
  readonly input: Schema.Schema<I, IE>
  /** Encodes what `execute` returns into the JSON the model (and the journal) sees. */
  readonly output: Schema.Schema<O, OE>
  readonly execute: (input: I, ctx: ToolContext) => Effect.Effect<O | ToolFinish<O> | ToolStop, ToolError>
}

/** A typed tool: a `ToolProvider` of one tool, with its schemas. @since 0.1.0 */
export interface TypedTool<I, O> extends ToolProvider {
  readonly name: string
  readonly input: Schema.Schema<I, any>
  readonly output: Schema.Schema<O, any>
}

const encodedJson = (
  name: string,
  encoded: Either.Either<unknown, ParseResult.ParseError>
): Either.Either<Json, string> => {
  if (Either.isLeft(encoded)) {
    return Either.left(
      `tool ${name} returned a value its output schema cannot encode: ${formatParseError(encoded.left)}`
    )
  }
  return isJson(encoded.right)
    ? Either.right(encoded.right)
    : Either.left(`tool ${name} returned a value whose encoded form is not JSON`)
}

/**
 * A typed tool. `execute` receives the decoded input (a `DateFromString` field is a `Date`); its output is encoded
 * by the output schema. The model is offered the input's JSON Schema (`jsonSchemaOf`, `ToolDefinition.ts`); arguments that fail to
 * decode reach the model as the `ParseError` message and the tool does not run.
 *
 * @since 0.1.0
 */
export const defineTool = <I, IE, O, OE>(config: TypedToolConfig<I, IE, O, OE>): TypedTool<I, O> => {
  const definition = ToolDefinition.fromSchema(config)
  const decode = Schema.decodeUnknownEither(config.input, parseOptions)
  const encode = Schema.encodeEither(config.output, parseOptions)
  const invalid = (error: ParseResult.ParseError) => invalidArguments(config.name, error)
  const toResult = (value: O | ToolFinish<O> | ToolStop): ToolResult => {
    if (value instanceof ToolStop) return ToolResults.stop(value.code, value.message)
    const finishing = value instanceof ToolFinish
    const json = encodedJson(config.name, encode(finishing ? value.value : value))
    if (Either.isLeft(json)) return ToolResults.failure("invalid_tool_output", json.left)
    return finishing ? ToolResults.finish(json.right) : ToolResults.ok(json.right)
  }
  return {
    name: config.name,
    input: config.input,
    output: config.output,
    manifests: [definition.manifest],
    decodesArguments: true,
    resolveContract: (name) => (name === config.name ? Option.some(definition.contract) : Option.none()),
    prepare: (call) =>
      Either.match(decode(call.args), {
        onLeft: (error) => Effect.fail(invalid(error)),
        onRight: () => Effect.succeed(preparedCall(call, definition.manifest.id))
      }),
    execute: (call) =>
      Either.match(decode(call.args), {
        onLeft: (error) => Effect.succeed<ToolResult>({ type: "failure", failure: invalid(error) }),
        onRight: (input) =>
          config.execute(input, call.context).pipe(
            Effect.map(toResult),
            Effect.catchTag("ToolError", (error) =>
              Effect.succeed<ToolResult>({
                type: "failure",
                failure: {
                  code: error.code ?? "tool_error",
                  message: error.message,
                  ...(error.retryable === undefined ? {} : { retryable: error.retryable })
                }
              }))
          )
      })
  }
}
