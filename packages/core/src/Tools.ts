/**
 * The tool port: `ToolProvider` values given to `LashCore.layer({ tools })` or contributed by plugins, and the
 * providers built from tool definitions (`ToolDefinition.ts`) or `@effect/ai` toolkits. Typed tools are in
 * `TypedTool.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Either, Option, type ParseResult, Schema } from "effect"
import * as ToolArguments from "./internal/toolArguments.js"
import { isJson, type JsonSchemaDoc } from "./Json.js"
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
import { jsonSchemaOf, ToolDefinition, type ToolImplementation } from "./ToolDefinition.js"

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

/** The one-paragraph text of a `ParseError`, as the model sees it. @since 0.1.0 */
export const formatParseError: (error: ParseResult.ParseError) => string = ToolArguments.formatParseError

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
  return ToolDefinition.raw({
    name: tool.name,
    description: tool.description ?? "",
    inputSchema: jsonSchemaOf(tool.parametersSchema),
    outputSchema
  })
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
      return Either.match(
        Schema.decodeUnknownEither(entry.tool.parametersSchema, ToolArguments.parseOptions)(call.args),
        {
          onLeft: (error) => Effect.fail(ToolArguments.invalidArguments(call.toolName, error)),
          onRight: () => Effect.succeed(ToolArguments.preparedCall(call, entry.definition.manifest.id))
        }
      )
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
