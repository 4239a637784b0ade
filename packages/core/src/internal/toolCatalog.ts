/**
 * The tool catalog of one runtime: every tool by name, with its provider and contract, and the validation and
 * execution steps shared by standard turns, Lashlang module operations and `tool_call` processes.
 *
 * @internal
 */
import { Canonical } from "@lash/lashlang"
import { Cause, Clock, Effect, Either, Option, Schema } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { EffectReplayConflict, StoreError } from "../Errors.js"
import type { Json } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import {
  type PreparedToolCall,
  type ToolContext,
  type ToolContract,
  type ToolManifest,
  ToolResult,
  ToolResults
} from "../Tool.js"
import type { ToolProvider } from "../Tools.js"
import type { ToolCallRecord } from "../Turn.js"

/** One resolved tool. */
export interface CatalogEntry {
  readonly manifest: ToolManifest
  readonly contract: ToolContract
  readonly provider: ToolProvider
}

/** A duplicate tool name, reported by the caller as the error its context demands. */
export interface DuplicateTool {
  readonly _tag: "DuplicateTool"
  readonly name: string
}

/** A tool whose schema uses an unsupported keyword. */
export interface UnsupportedToolSchema {
  readonly _tag: "UnsupportedToolSchema"
  readonly name: string
  readonly problems: ReadonlyArray<string>
}

/** The tools of one runtime, by name. */
export interface ToolCatalog {
  readonly entries: ReadonlyMap<string, CatalogEntry>
  readonly list: ReadonlyArray<CatalogEntry>
}

/** Builds a catalog; the first duplicate name or unsupported schema is reported. */
export const buildCatalog = (
  providers: ReadonlyArray<ToolProvider>
): { readonly _tag: "Ok"; readonly catalog: ToolCatalog } | DuplicateTool | UnsupportedToolSchema => {
  const entries = new Map<string, CatalogEntry>()
  for (const provider of providers) {
    for (const manifest of provider.manifests) {
      if (entries.has(manifest.name)) return { _tag: "DuplicateTool", name: manifest.name }
      const contract = Option.getOrUndefined(provider.resolveContract(manifest.name))
      if (contract === undefined) {
        return { _tag: "UnsupportedToolSchema", name: manifest.name, problems: ["the provider has no contract for it"] }
      }
      const problems = [
        ...JsonSchema.checkSupported(contract.inputSchema),
        ...JsonSchema.checkSupported(contract.outputSchema)
      ]
      if (problems.length > 0) return { _tag: "UnsupportedToolSchema", name: manifest.name, problems }
      entries.set(manifest.name, { manifest, contract, provider })
    }
  }
  return { _tag: "Ok", catalog: { entries, list: [...entries.values()] } }
}

/** The outcome of preparing a call: a prepared call, or a failure value the model sees. */
export type Prepared =
  | { readonly _tag: "Prepared"; readonly call: PreparedToolCall; readonly entry: CatalogEntry }
  | { readonly _tag: "Rejected"; readonly result: ToolResult }

/** Resolves the tool, validates the args against its input schema, then runs the provider's `prepare`. */
export const prepareCall = (
  catalog: ToolCatalog,
  call: { readonly callId: string; readonly toolName: string; readonly args: Json },
  ctx: ToolContext
): Effect.Effect<Prepared> => {
  const entry = catalog.entries.get(call.toolName)
  if (entry === undefined) {
    return Effect.succeed({
      _tag: "Rejected",
      result: ToolResults.failure("tool_unavailable", `unknown tool "${call.toolName}"`)
    })
  }
  const issues = JsonSchema.validate(entry.contract.inputSchema, call.args)
  if (issues.length > 0) {
    return Effect.succeed({
      _tag: "Rejected",
      result: ToolResults.failure("invalid_tool_args", `invalid arguments for ${call.toolName}: ${issues.join("; ")}`, [
        ...issues
      ])
    })
  }
  const base: PreparedToolCall = {
    callId: call.callId,
    toolId: entry.manifest.id,
    toolName: call.toolName,
    args: call.args,
    preparedPayload: null
  }
  if (entry.provider.prepare === undefined) return Effect.succeed({ _tag: "Prepared", call: base, entry })
  return entry.provider.prepare({ callId: call.callId, toolName: call.toolName, args: call.args }, ctx).pipe(
    Effect.map((prepared): Prepared => ({ _tag: "Prepared", call: prepared, entry })),
    Effect.catchAll((failure) => Effect.succeed<Prepared>({ _tag: "Rejected", result: { type: "failure", failure } }))
  )
}

/** Runs a prepared call; a defect thrown by the tool becomes `failure{code:"tool_defect"}`. */
export const executePrepared = (
  entry: CatalogEntry,
  call: PreparedToolCall,
  ctx: ToolContext
): Effect.Effect<{ readonly result: ToolResult; readonly durationMs: number }> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const result = yield* entry.provider
      .execute({ callId: call.callId, toolId: call.toolId, name: call.toolName, args: call.args, context: ctx })
      .pipe(
        Effect.catchAllDefect((defect) =>
          Effect.succeed(
            ToolResults.failure("tool_defect", `tool ${call.toolName} crashed: ${Cause.pretty(Cause.die(defect))}`)
          )
        )
      )
    const end = yield* Clock.currentTimeMillis
    // Tool values cross the journal and the session store as canonical JSON; anything else is a tool bug.
    const canonical = Canonical.canonicalJson(result)
    const checked = Either.isLeft(canonical)
      ? ToolResults.failure(
        "non_canonical_value",
        `tool ${call.toolName} returned a non-JSON value: ${canonical.left.message}`
      )
      : result
    return { result: checked, durationMs: Math.max(0, end - start) }
  })

const toolResultCodec = {
  success: ToolResult as unknown as Schema.Schema<ToolResult, Json>,
  failure: Schema.Never as unknown as Schema.Schema<never, Json>
}

/**
 * Resolves, validates and runs one tool call as a `tool_call` effect keyed `<parentKey>:tool:<callId>`. Unknown
 * tools and invalid args never reach the provider; every problem is a `ToolResult` failure value.
 */
export const runToolCall = (p: {
  readonly catalog: ToolCatalog
  readonly scoped: ScopedEffects
  readonly parentKey: string
  readonly call: { readonly callId: string; readonly toolName: string; readonly args: Json }
  readonly context: Omit<ToolContext, "callId" | "replayKey" | "attempt">
}): Effect.Effect<ToolCallRecord, EffectReplayConflict | StoreError> =>
  Effect.gen(function*() {
    const replayKey = `${p.parentKey}:tool:${p.call.callId}`
    const ctx: ToolContext = { ...p.context, callId: p.call.callId, attempt: 1, replayKey }
    const prepared = yield* prepareCall(p.catalog, p.call, ctx)
    const record = (result: ToolResult, durationMs: number): ToolCallRecord => ({
      callId: p.call.callId,
      toolName: p.call.toolName,
      args: p.call.args,
      result,
      durationMs
    })
    if (prepared._tag === "Rejected") return record(prepared.result, 0)
    const start = yield* Clock.currentTimeMillis
    const result = yield* p.scoped.execute(
      {
        scope: p.scoped.scope,
        effectId: p.call.callId,
        kind: "tool_call",
        replayKey,
        command: { toolId: prepared.call.toolId, args: prepared.call.args }
      },
      toolResultCodec,
      Effect.map(executePrepared(prepared.entry, prepared.call, ctx), (r) => r.result).pipe(
        Effect.withSpan("lash.effect.tool_call", { attributes: { tool: p.call.toolName } })
      )
    )
    const end = yield* Clock.currentTimeMillis
    return record(result, Math.max(0, end - start))
  })
