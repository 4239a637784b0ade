/**
 * The tool port: `ToolProvider` values given to `LashCore.layer({ tools })` or contributed by plugins, and helpers
 * to define tools from JSON Schemas or Effect Schemas.
 *
 * @since 0.1.0
 */
import { Effect, JSONSchema, Option, type Schema } from "effect"
import type { ToolId } from "./Identifiers.js"
import type { Json, JsonSchemaDoc } from "./Json.js"
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
 * Executes a set of tools. `execute` reports failures as `ToolResult` values; its error channel is `never`.
 *
 * @since 0.1.0
 */
export interface ToolProvider {
  readonly manifests: ReadonlyArray<ToolManifest>
  resolveContract(name: string): Option.Option<ToolContract>
  prepare?(call: PendingToolCall, ctx: ToolContext): Effect.Effect<PreparedToolCall, ToolFailure>
  execute(call: ToolCall): Effect.Effect<ToolResult>
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
  readonly retry?: { readonly maxAttempts: number; readonly backoffMs: number }
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
  if (options?.retry !== undefined) manifest.retry = options.retry
  return manifest
}

/**
 * Tool definition constructors.
 *
 * @since 0.1.0
 */
export const ToolDefinition = {
  /** A tool described by raw JSON Schemas. */
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
  /** A tool whose input and output are described by Effect Schemas (converted with `JSONSchema.make`). */
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
      inputSchema: JSONSchema.make(p.input) as unknown as JsonSchemaDoc,
      outputSchema: JSONSchema.make(p.output) as unknown as JsonSchemaDoc,
      outputContract: { type: "static" }
    }
  })
}

/** A tool definition with its implementation. @since 0.1.0 */
export interface ToolImplementation {
  readonly definition: ToolDefinition
  readonly execute: (args: Json, ctx: ToolContext) => Effect.Effect<ToolResult>
}

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
  }
}
