/**
 * The tool port: `ToolProvider` values given to `LashCore.layer({ tools })` or contributed by plugins, typed tools
 * (`defineTool`: input and output described by Effect Schemas), `@effect/ai` toolkits, and helpers to define tools
 * from raw JSON Schemas.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, JSONSchema, Option, ParseResult, Schema } from "effect"
import type { ToolId } from "./Identifiers.js"
import { isJson, type Json, type JsonSchemaDoc } from "./Json.js"
import {
  type PendingToolCall,
  type PreparedToolCall,
  type ToolCall,
  type ToolContext,
  type ToolContract,
  type ToolFailure,
  type ToolManifest,
  type ToolResult,
  ToolResults
} from "./Tool.js"

/**
 * Executes a set of tools. `execute` reports failures as `ToolResult` values; its error channel is `never`. The
 * catalog still survives a provider that breaks this contract: a throw, a defect, an interruption, an
 * `Effect.fail`, a value that is not a `ToolResult` or not JSON all become a failure result the model sees.
 *
 * @since 0.1.0
 */
export interface ToolProvider {
  readonly manifests: ReadonlyArray<ToolManifest>
  resolveContract(name: string): Option.Option<ToolContract>
  prepare?(call: PendingToolCall, ctx: ToolContext): Effect.Effect<PreparedToolCall, ToolFailure>
  execute(call: ToolCall): Effect.Effect<ToolResult>
  /**
   * True when `prepare` decodes the arguments itself (typed tools): the catalog then skips its JSON-Schema check,
   * so the model sees the decoder's message.
   */
  readonly decodesArguments?: boolean
}

/** A manifest plus its contract. @since 0.1.0 */
export interface ToolDefinition {
  readonly manifest: ToolManifest
  readonly contract: ToolContract
}

/** Options shared by the tool definition helpers. @since 0.1.0 */
export interface ToolDefinitionOptions {
  readonly scheduling?: "parallel" | "serial"
  readonly lashlang?: { readonly modulePath: ReadonlyArray<string>; readonly operation: string }
  /** Retries of failures the tool marks retryable: `maxAttempts` in all, exponential from `backoff` (default 200 ms). */
  readonly retry?: { readonly maxAttempts: number; readonly backoff?: Duration.DurationInput }
  /** How long one attempt may run before it fails as `tool_timeout` (default: the core's `toolTimeout`). */
  readonly timeout?: Duration.DurationInput
}

/**
 * The milliseconds of a duration option, or the value as given when it is not a usable duration: the manifest is
 * decoded when a core is built, and a bad option then fails the layer with `LashConfigError` naming it.
 */
const millisOrGiven = (d: Duration.DurationInput, round: (ms: number) => number): number => {
  const ms = typeof d === "number" && !Number.isFinite(d)
    ? Number.NaN
    : Option.match(Duration.decodeUnknown(d), { onNone: () => Number.NaN, onSome: Duration.toMillis })
  const negative = (typeof d === "number" && d < 0) || (typeof d === "string" && d.trim().startsWith("-"))
  return Number.isFinite(ms) && !negative ? round(ms) : (d as unknown as number)
}

const manifestOf = (
  id: string,
  name: string,
  description: string,
  options: ToolDefinitionOptions | undefined
): ToolManifest => {
  const manifest: { -readonly [K in keyof ToolManifest]: ToolManifest[K] } = {
    id: id as ToolId,
    name,
    description,
    scheduling: options?.scheduling ?? "parallel"
  }
  if (options?.lashlang !== undefined) manifest.lashlang = options.lashlang
  if (options?.retry !== undefined) {
    manifest.retry = {
      maxAttempts: options.retry.maxAttempts,
      backoffMs: millisOrGiven(options.retry.backoff ?? "200 millis", Math.round)
    }
  }
  if (options?.timeout !== undefined) manifest.timeoutMs = millisOrGiven(options.timeout, Math.ceil)
  return manifest
}

/**
 * The JSON Schema of an Effect Schema as lash sends it to models and validates against: `JSONSchema.make` for draft
 * 2020-12, so every refinement it can express (`minLength`, `maxItems`, `positive`, patterns, ...) is part of it.
 *
 * @since 0.1.0
 */
export const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>): JsonSchemaDoc =>
  JSONSchema.make(schema, { target: "jsonSchema2020-12" }) as unknown as JsonSchemaDoc

/**
 * Tool definition constructors.
 *
 * @since 0.1.0
 */
export const ToolDefinition = {
  /** A tool described by raw JSON Schemas (validated by the `JsonSchema` module's draft 2020-12 validator). */
  raw: (
    p: {
      readonly id?: string
      readonly name: string
      readonly description: string
      readonly inputSchema: JsonSchemaDoc
      readonly outputSchema?: JsonSchemaDoc
    } & ToolDefinitionOptions
  ): ToolDefinition => ({
    manifest: manifestOf(p.id ?? `tool:${p.name}`, p.name, p.description, p),
    contract: { inputSchema: p.inputSchema, outputSchema: p.outputSchema ?? {}, outputContract: { type: "static" } }
  }),
  /** A tool whose input and output are described by Effect Schemas (see {@link jsonSchemaOf}). */
  fromSchema: <I, IE, O, OE>(
    p: {
      readonly name: string
      readonly description: string
      readonly input: Schema.Schema<I, IE>
      readonly output: Schema.Schema<O, OE>
    } & ToolDefinitionOptions
  ): ToolDefinition => ({
    manifest: manifestOf(`tool:${p.name}`, p.name, p.description, p),
    contract: {
      inputSchema: jsonSchemaOf(p.input),
      outputSchema: jsonSchemaOf(p.output),
      outputContract: { type: "static" }
    }
  })
}

/** A tool definition with its implementation. @since 0.1.0 */
export interface ToolImplementation {
  readonly definition: ToolDefinition
  readonly execute: (args: Json, ctx: ToolContext) => Effect.Effect<ToolResult>
}

// ---------------------------------------------------------------------------------------------------------------
// Typed tools
// ---------------------------------------------------------------------------------------------------------------

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

const parseOptions = { errors: "all", onExcessProperty: "error" } as const

/** The one-paragraph text of a `ParseError`, as the model sees it. @since 0.1.0 */
export const formatParseError = (error: ParseResult.ParseError): string =>
  ParseResult.TreeFormatter.formatErrorSync(error)

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
 * by the output schema. The model is offered the input's JSON Schema ({@link jsonSchemaOf}); arguments that fail to
 * decode reach the model as the `ParseError` message and the tool does not run.
 *
 * @since 0.1.0
 */
export const defineTool = <I, IE, O, OE>(config: TypedToolConfig<I, IE, O, OE>): TypedTool<I, O> => {
  const definition = ToolDefinition.fromSchema(config)
  const decode = Schema.decodeUnknownEither(config.input, parseOptions)
  const encode = Schema.encodeEither(config.output, parseOptions)
  const invalid = (error: ParseResult.ParseError): ToolFailure => ({
    code: "invalid_tool_args",
    message: `invalid arguments for ${config.name}: ${formatParseError(error)}`
  })
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
        onRight: () =>
          Effect.succeed({
            callId: call.callId,
            toolId: definition.manifest.id,
            toolName: call.toolName,
            args: call.args,
            preparedPayload: null
          })
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

// ---------------------------------------------------------------------------------------------------------------
// @effect/ai toolkits
// ---------------------------------------------------------------------------------------------------------------

/**
 * The parts of an `@effect/ai` `Tool` that lash reads (structural: `@lash/core` does not depend on `@effect/ai`).
 *
 * @since 0.1.0
 */
export interface AiToolLike {
  readonly name: string
  readonly description?: string | undefined
  readonly parametersSchema: Schema.Schema<any, any, never>
  readonly successSchema: Schema.Schema<any, any, never>
}

/**
 * The parts of an `@effect/ai` `Toolkit.WithHandler` (a toolkit with its handlers resolved) that lash uses.
 *
 * @since 0.1.0
 */
export interface AiToolkitWithHandler {
  readonly tools: { readonly [name: string]: AiToolLike }
  readonly handle: (
    name: never,
    params: never
  ) => Effect.Effect<{ readonly isFailure: boolean; readonly encodedResult: unknown }, unknown, never>
}

/**
 * What `LashCoreConfig.tools` accepts: a `ToolProvider` (a typed tool is one), an `@effect/ai` `Toolkit` as it is
 * (an Effect that needs its handlers, e.g. from `toolkit.toLayer(...)`), or a toolkit with its handlers resolved.
 *
 * @since 0.1.0
 */
export type ToolInput<R = never> = ToolProvider | AiToolkitWithHandler | Effect.Effect<AiToolkitWithHandler, never, R>

/** The requirements of a list of {@link ToolInput}s (the handlers of the `@effect/ai` toolkits among them). @since 0.1.0 */
export type ToolInputRequirements<T> = T extends Effect.Effect<AiToolkitWithHandler, never, infer R> ? R : never

const messageOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  return typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
}

const aiToolDefinition = (tool: AiToolLike): ToolDefinition => {
  let outputSchema: JsonSchemaDoc = {}
  try {
    outputSchema = jsonSchemaOf(tool.successSchema)
  } catch {
    // `Schema.Void` and other schemas without a JSON Schema: the output is described as any value.
  }
  return {
    manifest: manifestOf(`tool:${tool.name}`, tool.name, tool.description ?? "", undefined),
    contract: { inputSchema: jsonSchemaOf(tool.parametersSchema), outputSchema, outputContract: { type: "static" } }
  }
}

/**
 * A `ToolProvider` over an `@effect/ai` toolkit whose handlers are resolved (`yield* MyToolkit` with its handler
 * layer provided). Arguments are decoded by each tool's parameters schema; a handler's failure (`failureMode:
 * "error"`) or failure value (`failureMode: "return"`) reaches the model as a `tool_error` result.
 *
 * @since 0.1.0
 */
export const fromAiToolkit = (toolkit: AiToolkitWithHandler): ToolProvider => {
  const tools = Object.values(toolkit.tools)
  const definitions = new Map(tools.map((tool) => [tool.name, { tool, definition: aiToolDefinition(tool) }] as const))
  const handle = toolkit.handle as (name: string, params: unknown) => ReturnType<AiToolkitWithHandler["handle"]>
  return {
    manifests: [...definitions.values()].map((d) => d.definition.manifest),
    decodesArguments: true,
    resolveContract: (name) => Option.map(Option.fromNullable(definitions.get(name)), (d) => d.definition.contract),
    prepare: (call) => {
      const entry = definitions.get(call.toolName)
      if (entry === undefined) {
        return Effect.fail({ code: "tool_unavailable", message: `unknown tool "${call.toolName}"` })
      }
      return Either.match(Schema.decodeUnknownEither(entry.tool.parametersSchema, parseOptions)(call.args), {
        onLeft: (error) =>
          Effect.fail<ToolFailure>({
            code: "invalid_tool_args",
            message: `invalid arguments for ${call.toolName}: ${formatParseError(error)}`
          }),
        onRight: () =>
          Effect.succeed({
            callId: call.callId,
            toolId: entry.definition.manifest.id,
            toolName: call.toolName,
            args: call.args,
            preparedPayload: null
          })
      })
    },
    execute: (call) =>
      handle(call.name, call.args).pipe(
        Effect.map(({ encodedResult, isFailure }): ToolResult => {
          if (!isJson(encodedResult)) {
            return ToolResults.failure("invalid_tool_output", `tool ${call.name} returned a value that is not JSON`)
          }
          return isFailure
            ? ToolResults.failure("tool_error", `tool ${call.name} failed: ${messageOf(encodedResult)}`, encodedResult)
            : ToolResults.ok(encodedResult)
        }),
        Effect.catchAll((error) =>
          Effect.succeed(ToolResults.failure("tool_error", `tool ${call.name} failed: ${messageOf(error)}`))
        )
      )
  }
}

/** True for a resolved `@effect/ai` toolkit (not a `ToolProvider`, not an Effect). @since 0.1.0 */
export const isAiToolkitWithHandler = (input: unknown): input is AiToolkitWithHandler =>
  typeof input === "object" && input !== null && "tools" in input && "handle" in input &&
  typeof input.handle === "function" && !Effect.isEffect(input)

/**
 * Tool provider constructors.
 *
 * @since 0.1.0
 */
export const ToolProvider = {
  /** A provider over a fixed list of tool definitions and their implementations. */
  fromDefinitions: (defs: ReadonlyArray<ToolImplementation>): ToolProvider => {
    const byName = new Map(defs.map((d) => [d.definition.manifest.name, d] as const))
    return {
      manifests: defs.map((d) => d.definition.manifest),
      resolveContract: (name) => Option.map(Option.fromNullable(byName.get(name)), (d) => d.definition.contract),
      execute: (call) => {
        const def = byName.get(call.name)
        return def === undefined
          ? Effect.succeed(ToolResults.failure("tool_unavailable", `no tool named ${call.name}`))
          : def.execute(call.args, call.context)
      }
    }
  },
  /** See {@link fromAiToolkit}. */
  fromAiToolkit,
  /**
   * Resolves a {@link ToolInput} into a provider: an `@effect/ai` `Toolkit` is run (it reads its handlers from the
   * context), a resolved toolkit is wrapped, a provider is returned as it is.
   */
  resolve: <R>(input: ToolInput<R>): Effect.Effect<ToolProvider, never, R> =>
    Effect.isEffect(input)
      ? Effect.map(input, fromAiToolkit)
      : Effect.succeed(isAiToolkitWithHandler(input) ? fromAiToolkit(input) : input)
}
