/**
 * Tool definitions: a tool's manifest and contract, from raw JSON Schemas or from Effect Schemas, the options the
 * definition helpers share, and a definition with its implementation.
 *
 * @since 0.1.0
 */
import { Duration, type Effect, JSONSchema, Option, type Schema } from "effect"
import type { ToolId } from "./Identifiers.js"
import type { Json, JsonSchemaDoc } from "./Json.js"
import type { ToolContext, ToolContract, ToolManifest, ToolResult } from "./Tool.js"

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
