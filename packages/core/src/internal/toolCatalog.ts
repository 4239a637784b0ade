/**
 * The tool catalog of one runtime: every tool by name, with its provider, contract and compiled validators, and the
 * validation and execution steps shared by standard turns, Lashlang module operations and `tool_call` processes.
 *
 * A tool's problems never fail a turn: whatever a provider does (throw, die, be interrupted, `Effect.fail`, hang,
 * return something that is not a `ToolResult` or not JSON) ends as a failure result the model sees in one line,
 * and the full cause is logged at error level (docs/models.md, "Tool failures").
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Either, Option, ParseResult, Schedule, Schema } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { EffectReplayConflict, StoreError } from "../Errors.js"
import type { Json } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import { ReplayKeys } from "../ReplayKeys.js"
import {
  type PreparedToolCall,
  type ToolContext,
  ToolContract,
  ToolFailure,
  ToolManifest,
  ToolResult,
  ToolResults
} from "../Tool.js"
import { formatParseError, type ToolProvider } from "../Tools.js"
import type { ToolCallRecord } from "../Turn.js"
import type { NormalizedConfig } from "./config.js"
import * as Telemetry from "./telemetry.js"
import { invoke, kindOf, oneLine, settle } from "./toolSettle.js"
import { timeoutDisconnected } from "./toolTimeout.js"

/** One resolved tool. */
export interface CatalogEntry {
  readonly manifest: ToolManifest
  readonly contract: ToolContract
  readonly provider: ToolProvider
  /** Absent for typed tools: their provider decodes arguments and encodes outputs itself. */
  readonly validateInput: JsonSchema.Validator | undefined
  readonly validateOutput: JsonSchema.Validator | undefined
}

/** A duplicate tool name, reported by the caller as the error its context demands. */
export interface DuplicateTool {
  readonly _tag: "DuplicateTool"
  readonly name: string
}

/** A tool whose definition does not decode (`field`, `value`) or whose schema the validator cannot compile. */
export interface UnsupportedToolSchema {
  readonly _tag: "UnsupportedToolSchema"
  readonly name: string
  readonly problems: ReadonlyArray<string>
  /** The option at fault, as the tool's author wrote it (`timeout`, `retry.maxAttempts`, `inputSchema`). */
  readonly field?: string
  readonly value?: unknown
}

const decodeManifest = Schema.decodeUnknownEither(ToolManifest)
const decodeContract = Schema.decodeUnknownEither(ToolContract)

/** Manifest fields by the option of `ToolDefinitionOptions` they come from. */
const optionNames: Record<string, string> = { timeoutMs: "timeout", backoffMs: "backoff" }

/** The first issue of a definition that does not decode, named by the option the author wrote. */
const definitionProblem = (
  name: string,
  input: unknown,
  error: ParseResult.ParseError
): UnsupportedToolSchema => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = issue?.path ?? []
  const value = path.reduce<unknown>(
    (v, key) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    input
  )
  const field = path.map((k) => optionNames[String(k)] ?? String(k)).join(".")
  return {
    _tag: "UnsupportedToolSchema",
    name,
    field,
    value,
    problems: [`${field} ${issue?._tag === "Missing" ? "is required" : `is invalid (${issue?.message ?? "?"})`}`]
  }
}

/** The tools of one runtime, by name. */
export interface ToolCatalog {
  readonly entries: ReadonlyMap<string, CatalogEntry>
  readonly list: ReadonlyArray<CatalogEntry>
  /** The timeout of one attempt of a tool whose manifest has none. */
  readonly defaultTimeoutMs: number
}

/** Builds a catalog; the first duplicate name or schema the validator cannot compile is reported. */
export const buildCatalog = (
  providers: ReadonlyArray<ToolProvider>,
  options: NormalizedConfig["tools"]
): { readonly _tag: "Ok"; readonly catalog: ToolCatalog } | DuplicateTool | UnsupportedToolSchema => {
  const entries = new Map<string, CatalogEntry>()
  for (const provider of providers) {
    for (const [index, given] of (Array.isArray(provider.manifests) ? provider.manifests : [undefined]).entries()) {
      const named = typeof given?.name === "string" ? given.name : `#${index}`
      const decoded = decodeManifest(given)
      if (Either.isLeft(decoded)) return definitionProblem(named, given, decoded.left)
      const manifest = decoded.right
      if (entries.has(manifest.name)) return { _tag: "DuplicateTool", name: manifest.name }
      let resolved: ToolContract | undefined
      try {
        resolved = Option.getOrUndefined(provider.resolveContract(manifest.name))
      } catch (error) {
        return { _tag: "UnsupportedToolSchema", name: manifest.name, problems: [`resolveContract threw: ${error}`] }
      }
      if (resolved === undefined) {
        return { _tag: "UnsupportedToolSchema", name: manifest.name, problems: ["the provider has no contract for it"] }
      }
      const checked = decodeContract(resolved)
      if (Either.isLeft(checked)) return definitionProblem(manifest.name, resolved, checked.left)
      const contract = checked.right
      const input = JsonSchema.compile(contract.inputSchema)
      const output = JsonSchema.compile(contract.outputSchema)
      const problems = [
        ...(Either.isLeft(input) ? [`input schema: ${input.left}`] : []),
        ...(Either.isLeft(output) ? [`output schema: ${output.left}`] : [])
      ]
      if (Either.isLeft(input) || Either.isLeft(output)) {
        return { _tag: "UnsupportedToolSchema", name: manifest.name, problems }
      }
      const typed = provider.decodesArguments === true
      entries.set(manifest.name, {
        manifest,
        contract,
        provider,
        validateInput: typed ? undefined : input.right,
        validateOutput: typed ? undefined : output.right
      })
    }
  }
  return {
    _tag: "Ok",
    catalog: { entries, list: [...entries.values()], defaultTimeoutMs: options.defaultTimeoutMs }
  }
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
  const issues = entry.validateInput?.(call.args) ?? []
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
  const prepare = entry.provider.prepare
  if (prepare === undefined) return Effect.succeed({ _tag: "Prepared", call: base, entry })
  const prepared = invoke(
    call.toolName,
    "prepare",
    () => prepare.call(entry.provider, { callId: call.callId, toolName: call.toolName, args: call.args }, ctx)
  ).pipe(
    Effect.map((p): Prepared => ({ _tag: "Prepared", call: p, entry })),
    // A `ToolFailure` is the documented rejection; anything else is settled as a tool error below.
    Effect.catchAll((failure) =>
      isToolFailure(failure)
        ? Effect.succeed<Prepared>({ _tag: "Rejected", result: { type: "failure", failure } })
        : Effect.fail(failure)
    )
  )
  return Effect.map(
    settle(call.toolName, "prepare", prepared),
    Either.getOrElse((result): Prepared => ({ _tag: "Rejected", result }))
  )
}

const isToolFailure = Schema.is(ToolFailure)

const decodeResult = Schema.decodeUnknownEither(ToolResult)

/** Checks what `execute` returned: a `ToolResult` of JSON values, whose `ok` value matches the output schema. */
const checkResult = (entry: CatalogEntry, name: string, value: unknown): ToolResult => {
  let decoded: Either.Either<ToolResult, unknown>
  try {
    decoded = decodeResult(value)
  } catch {
    // The JSON guard recursing through a cyclic value.
    return ToolResults.failure("invalid_tool_result", `tool ${name} returned a value that is not JSON (cyclic)`)
  }
  if (Either.isLeft(decoded)) {
    const detail = value === undefined || value === null || typeof value !== "object"
      ? `${kindOf(value)}, not a ToolResult`
      : `a value that is not a ToolResult of JSON values: ${
        oneLine(formatParseError(decoded.left as never).split("\n").slice(-1)[0] ?? "")
      }`
    return ToolResults.failure("invalid_tool_result", `tool ${name} returned ${detail}`)
  }
  const result = decoded.right
  if (result.type === "ok" && entry.validateOutput !== undefined) {
    const issues = entry.validateOutput(result.value)
    if (issues.length > 0) {
      return ToolResults.failure(
        "invalid_tool_output",
        `tool ${name} returned a value that does not match its output schema: ${issues.join("; ")}`,
        [...issues]
      )
    }
  }
  return result
}

/** One attempt: the provider's `execute`, bounded by the timeout, with every failure mode settled into a result. */
const attemptOnce = (
  entry: CatalogEntry,
  call: PreparedToolCall,
  ctx: ToolContext,
  timeoutMs: number
): Effect.Effect<ToolResult> =>
  settle(
    call.toolName,
    "execute",
    // Disconnected: a tool that ignores interruption cannot hold the turn past its timeout.
    timeoutDisconnected(
      invoke(call.toolName, "execute", () =>
        entry.provider.execute({
          callId: call.callId,
          toolId: call.toolId,
          name: call.toolName,
          args: call.args,
          context: ctx
        })),
      timeoutMs,
      () => new Cause.TimeoutException(`did not finish within ${timeoutMs} ms`)
    )
  ).pipe(Effect.map(Either.match({
    onLeft: (failure) => failure,
    onRight: (value) => checkResult(entry, call.toolName, value)
  })))

/**
 * Runs a prepared call under the tool's timeout and retry policy: failures the tool marks `retryable` are tried
 * again (exponential from `backoffMs`, `maxAttempts` in all); the last result is returned.
 */
export const executePrepared = (
  catalog: ToolCatalog,
  entry: CatalogEntry,
  call: PreparedToolCall,
  ctx: ToolContext
): Effect.Effect<{ readonly result: ToolResult; readonly durationMs: number }> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const timeoutMs = entry.manifest.timeoutMs ?? catalog.defaultTimeoutMs
    const retry = entry.manifest.retry
    let attempt = 0
    const once = Effect.suspend(() => attemptOnce(entry, call, { ...ctx, attempt: ++attempt }, timeoutMs))
    const result = retry === undefined || retry.maxAttempts <= 1
      ? yield* once
      : yield* once.pipe(
        Effect.flatMap((r) =>
          r.type === "failure" && r.failure.retryable === true ? Effect.fail(r) : Effect.succeed(r)
        ),
        Effect.retry(
          Schedule.exponential(Duration.millis(retry.backoffMs)).pipe(
            Schedule.intersect(Schedule.recurs(retry.maxAttempts - 1))
          )
        ),
        Effect.merge
      )
    const end = yield* Clock.currentTimeMillis
    return { result, durationMs: Math.max(0, end - start) }
  })

const toolResultCodec = {
  success: ToolResult as unknown as Schema.Schema<ToolResult, Json>,
  failure: Schema.Never as unknown as Schema.Schema<never, Json>
}

/** What a tool call reports while it runs (to a streamed turn). */
export interface ToolCallObserver {
  readonly started: (
    call: { readonly callId: string; readonly toolName: string; readonly args: Json }
  ) => Effect.Effect<void>
  readonly finished: (record: ToolCallRecord) => Effect.Effect<void>
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
  readonly observer?: ToolCallObserver
}): Effect.Effect<ToolCallRecord, EffectReplayConflict | StoreError> =>
  Effect.gen(function*() {
    const replayKey = ReplayKeys.toolCall(p.parentKey, p.call.callId)
    const ctx: ToolContext = { ...p.context, callId: p.call.callId, attempt: 1, replayKey }
    if (p.observer !== undefined) yield* p.observer.started(p.call)
    const prepared = yield* prepareCall(p.catalog, p.call, ctx)
    const record = (result: ToolResult, durationMs: number): ToolCallRecord => ({
      callId: p.call.callId,
      toolName: p.call.toolName,
      args: p.call.args,
      result,
      durationMs
    })
    let done: ToolCallRecord
    if (prepared._tag === "Rejected") {
      done = record(prepared.result, 0)
    } else {
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
        Effect.map(executePrepared(p.catalog, prepared.entry, prepared.call, ctx), (r) => r.result).pipe(
          Telemetry.toolCallSpan({
            toolName: p.call.toolName,
            callId: p.call.callId,
            replayKey,
            scope: p.scoped.scope
          })
        )
      )
      const end = yield* Clock.currentTimeMillis
      done = record(result, Math.max(0, end - start))
    }
    if (p.observer !== undefined) yield* p.observer.finished(done)
    return done
  })
