/**
 * RLM mode (docs/architecture.md, "RLM turns"): the model answers with a ```lashlang block, the runtime runs it as one `exec_code`
 * effect and feeds prints, errors and bound variables back until the program submits or the iteration limit is
 * reached. Malformed code never fails the turn: every diagnostic goes back to the model.
 *
 * @internal
 */
import {
  Canonical,
  execute,
  extractFirstLashlangFence,
  formatDiagnostic,
  type HostEnvironment,
  type LashlangDiagnostic,
  type LashlangHost,
  link,
  parse,
  renderBoundVariables,
  renderHostSurface,
  Value
} from "@lash/lashlang"
import { Effect, Either, Schema } from "effect"
import type { StoreError } from "../Errors.js"
import { Json, opt } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import { type TokenUsage, TokenUsageOps } from "../Model.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type { Part } from "../Session.js"
import type { TurnIssue, TurnOutcome } from "../Turn.js"
import { FenceMask, proseOf } from "./fenceMask.js"
import {
  type BridgeContext,
  buildHostEnvironment,
  makeBridge,
  sessionOriginator,
  type ToolControl
} from "./lashlangHost.js"
import { renderHistory, RLM_RESULT } from "./model.js"
import {
  callIterationModel,
  finishIssues,
  iterationKey,
  type Protocol,
  type ProtocolInput,
  type ProtocolResult,
  toolEvents
} from "./protocol.js"
import { feedback, HISTORY_NOTE, historyEntry, instruction, withHistory, withoutHistory } from "./rlmFeedback.js"
import { currentFrame } from "./sessionState.js"
import type { Drivers } from "./worker.js"

/** What one executed block produced; journaled, so a replay restores it without running the program again. */
const ExecResult = Schema.Struct({
  prints: Schema.Array(Schema.String),
  error: opt(Schema.String),
  submitted: opt(Schema.Struct({ value: Json })),
  /** A tool's control outcome (finish/fail) seen in the block: it ends the turn. */
  control: opt(Schema.Struct({ toolName: Schema.String, control: Json })),
  globalsAfter: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
type ExecResult = typeof ExecResult.Type

const execCodec = {
  success: ExecResult as unknown as Schema.Schema<ExecResult, Json>,
  failure: Schema.Never as unknown as Schema.Schema<never, Json>
}

/** The globals persisted in a frame's `executionState`. */
const ExecutionState = Schema.Struct({ globals: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })

const decodeGlobals = (state: unknown): Map<string, Value.Value> => {
  const decoded = Schema.decodeUnknownEither(ExecutionState)(state)
  if (Either.isLeft(decoded)) return new Map()
  return new Map(Object.entries(decoded.right.globals).map(([k, v]) => [k, Value.decodeTrusted(v)] as const))
}

const encodeGlobals = (globals: ReadonlyMap<string, Value.Value>): Record<string, unknown> =>
  Object.fromEntries([...globals].map(([k, v]) => [k, Value.encodeTrusted(v)]))

/** Text of a submitted value as the final assistant message shows it: strings unchanged, else pretty JSON. */
const settledText = (value: Json): string =>
  typeof value === "string" ? value : JSON.stringify(JSON.parse(Canonical.canonicalJsonUnsafe(value)), null, 2)

const runBlock = (
  input: ProtocolInput,
  drivers: Drivers,
  env: HostEnvironment,
  globals: ReadonlyMap<string, Value.Value>,
  code: string,
  key: string,
  iteration: number,
  history: ReadonlyArray<Value.Value>
) =>
  Effect.gen(function*() {
    const { core, state, events } = input
    const compiled = yield* Effect.either(
      Effect.flatMap(parse(code), (program) => link(program, env, { globals }))
    )
    if (Either.isLeft(compiled)) {
      return {
        prints: [],
        error: formatDiagnostic(compiled.left as LashlangDiagnostic, code),
        globalsAfter: encodeGlobals(globals)
      } satisfies ExecResult
    }
    const linked = compiled.right
    if (Object.keys(linked.artifact.exports.processes).length > 0) yield* core.artifacts.put(linked.artifact)
    const frame = currentFrame(state)
    const { originator, scope } = sessionOriginator(state.sessionId, frame.frameId)
    const prints: Array<string> = []
    const control: { current: ToolControl | undefined } = { current: undefined }
    const ctx: BridgeContext = {
      core,
      drivers,
      scoped: input.scoped,
      catalog: input.catalog,
      env,
      seed: key,
      envSpec: { policy: input.policy, pluginOptions: frame.assignment.pluginOptions },
      originator,
      wakeTarget: scope,
      causedBy: { type: "turn", sessionId: state.sessionId, turnId: input.turnId },
      toolContext: { sessionId: state.sessionId },
      prints,
      control,
      toolObserver: toolEvents(events)
    }
    const bridge = makeBridge(ctx)
    // Each `print` reaches a streamed turn as it happens: whatever the bridge recorded is reported after the op.
    const streamed: LashlangHost<unknown> = {
      perform: (op) =>
        op._tag !== "Print" ? bridge.perform(op) : Effect.gen(function*() {
          const seen = prints.length
          const value = yield* bridge.perform(op)
          for (const text of prints.slice(seen)) yield* events.emit({ type: "code_print", iteration, text })
          return value
        })
    }
    // A store failure during the block fails the turn with that error, typed (docs/lashlang.md, "The host boundary").
    const outcome = yield* execute(linked, withHistory(globals, history), streamed, {
      mode: "foreground",
      ...core.cfg.raw.rlm?.limits
    })
    const base = {
      prints,
      globalsAfter: encodeGlobals(withoutHistory(outcome.globals)),
      ...(control.current === undefined
        ? {}
        : { control: { toolName: control.current.toolName, control: control.current.control as unknown as Json } })
    }
    switch (outcome._tag) {
      case "Submitted":
        return { ...base, submitted: { value: Value.toJson(outcome.value) as Json } } satisfies ExecResult
      case "Errored":
        return { ...base, error: formatDiagnostic(outcome.error, code) } satisfies ExecResult
      default:
        return base satisfies ExecResult
    }
  })

/** The RLM protocol; `drivers` are read lazily because they are wired after the protocol exists. */
export const rlmProtocol = (drivers: () => Drivers): Protocol => (input) =>
  Effect.gen(function*() {
    const { core, delta, events } = input
    const maxOutputChars = core.cfg.rlm.maxOutputChars
    const built = buildHostEnvironment(core.cfg, core.plugins, input.catalog)
    if (Either.isLeft(built)) return yield* Effect.die(built.left) // checked when the core was built
    const env = built.right
    const termination = core.cfg.raw.rlm?.termination ?? "submit_required"
    let globals: ReadonlyMap<string, Value.Value> = decodeGlobals(currentFrame(input.state).executionState)
    const issues: Array<TurnIssue> = []
    let usage: TokenUsage = TokenUsageOps.zero
    const system = [core.cfg.raw.systemPrompt, renderHostSurface(env), HISTORY_NOTE].filter((s) => s !== undefined)
      .join("\n\n")
    /** The turn's result: the outcome plus this turn's usage, issues and globals. */
    const settle = (outcome: TurnOutcome): ProtocolResult => ({
      outcome,
      toolCalls: [],
      usage,
      issues,
      executionState: { globals: encodeGlobals(globals) } as Json
    })
    /**
     * One model call of `iteration`, ending with `instruction` as the final user message. Its text streams through
     * a fence mask: prose as `text_delta`, the ```lashlang block's code as `code_delta`, nothing after the block.
     */
    const ask = (iteration: number, instruction: string) =>
      Effect.gen(function*() {
        let mask = new FenceMask()
        const show = (masked: { readonly prose: string; readonly code: string }) =>
          Effect.zipRight(
            masked.prose.length > 0 ? events.emit({ type: "text_delta", iteration, text: masked.prose }) : Effect.void,
            masked.code.length > 0 ? events.emit({ type: "code_delta", iteration, text: masked.code }) : Effect.void
          )
        yield* events.emit({ type: "iteration_started", iteration })
        const response = yield* callIterationModel(input, iteration, {
          model: input.policy.model,
          messages: [
            { role: "system", content: `${system}\n\n${renderBoundVariables(globals)}` },
            ...renderHistory([...input.history, ...delta.messages]),
            { role: "user", content: instruction }
          ],
          tools: []
        }, {
          push: (text) => show(mask.push(text)),
          reset: () => void (mask = new FenceMask())
        })
        yield* show(mask.flush())
        usage = TokenUsageOps.add(usage, response.usage)
        issues.push(...finishIssues(response, iteration))
        return response
      })
    const finishIteration = (iteration: number) => events.emit({ type: "iteration_finished", iteration })
    /** The context the last request used (its input tokens), for the budget line. */
    let lastPromptTokens: number | undefined
    /** The `history` binding: entry N is iteration N of this turn, once it ran (without a block: no code). */
    const history: Array<Value.Value> = []
    for (let iteration = 0; iteration < input.maxIterations; iteration++) {
      const key = iterationKey(input, iteration)
      const response = yield* ask(
        iteration,
        instruction({
          iteration,
          maxIterations: input.maxIterations,
          proseAllowed: termination === "prose_or_submit",
          resultSchema: input.resultSchema,
          maxOutputChars,
          contextWindowTokens: input.policy.model.limits.contextWindowTokens,
          lastPromptTokens
        })
      )
      lastPromptTokens = response.usage.input
      if (response.text.length === 0 && (response.reasoning ?? "").length === 0) {
        yield* finishIteration(iteration)
        return settle({ type: "stopped", stop: "provider_error" })
      }
      const fence = extractFirstLashlangFence(response.text)
      const prose: Array<Omit<Part, "id">> = []
      if (response.reasoning !== undefined && response.reasoning.length > 0) {
        prose.push({ kind: "reasoning", content: response.reasoning })
      }
      if (fence._tag === "NoFence") {
        prose.push({ kind: "text", content: response.text })
        if (termination === "prose_or_submit") {
          delta.message({ role: "assistant", parts: prose })
          yield* finishIteration(iteration)
          return settle({ type: "finished", finish: { type: "assistant_message", text: response.text } })
        }
        const reminder =
          "No ```lashlang block was found; nothing was executed. Write your code in one ```lashlang block and finish with `submit <value>`."
        delta.message({
          role: "assistant",
          parts: [...prose, { kind: "tool_result", toolName: RLM_RESULT, content: reminder }]
        })
        delta.protocol("rlm", { type: "step", iteration, error: "no_fence" })
        history[iteration] = historyEntry(null, [], "no ```lashlang block")
        yield* finishIteration(iteration)
        continue
      }
      const before = proseOf(response.text).trim()
      if (before.length > 0) {
        prose.push({ kind: "text", content: before })
      }
      if (fence._tag === "Unclosed") {
        const error = "the ```lashlang block was not closed; nothing was executed"
        delta.message({
          role: "assistant",
          parts: [...prose, { kind: "tool_result", toolName: RLM_RESULT, content: `Error:\n${error}` }]
        })
        delta.protocol("rlm", { type: "step", iteration, error })
        history[iteration] = historyEntry(null, [], error)
        yield* finishIteration(iteration)
        continue
      }
      const execKey = ReplayKeys.codeBlock(key)
      let ran = false
      const result = yield* input.scoped.execute(
        {
          scope: input.scoped.scope,
          effectId: execKey,
          kind: "exec_code",
          replayKey: execKey,
          command: { code: Canonical.sha256Hex(fence.code) }
        },
        execCodec,
        Effect.suspend(() => {
          ran = true
          return runBlock(input, drivers(), env, globals, fence.code, execKey, iteration, history) as Effect.Effect<
            ExecResult,
            StoreError
          >
        })
      )
      // A replayed block did not run: its recorded prints are reported now.
      if (!ran) { for (const text of result.prints) yield* events.emit({ type: "code_print", iteration, text }) }
      yield* events.emit({
        type: "code_finished",
        iteration,
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(result.submitted === undefined ? {} : { submitted: result.submitted.value })
      })
      globals = new Map(Object.entries(result.globalsAfter).map(([k, v]) => [k, Value.decodeTrusted(v)] as const))
      history[iteration] = historyEntry(fence.code, result.prints, result.error)
      delta.message({
        role: "assistant",
        parts: [
          ...prose,
          { kind: "code", language: "lashlang", content: fence.code },
          { kind: "tool_result", toolName: RLM_RESULT, content: feedback(result, maxOutputChars, iteration) }
        ]
      })
      delta.protocol("rlm", {
        type: "step",
        iteration,
        prints: [...result.prints],
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(result.submitted === undefined ? {} : { submitted: result.submitted.value })
      })
      yield* finishIteration(iteration)
      if (result.control !== undefined) {
        const { toolName, control } = result.control as {
          readonly toolName: string
          readonly control: ToolControl["control"]
        }
        if (control.type === "finish") {
          return settle({ type: "finished", finish: { type: "tool_value", toolName, value: control.value } })
        }
        const { code, message, raw } = control.failure
        const value = raw === undefined ? { code, message } : { code, message, raw }
        return settle({ type: "stopped", stop: { type: "tool_error", toolName, value } })
      }
      if (result.submitted !== undefined) {
        const value = result.submitted.value
        const mismatch = input.resultSchema === undefined ? [] : JsonSchema.validate(input.resultSchema, value)
        if (mismatch.length > 0) {
          // Not an answer: the model reads why and the turn goes on (the journaled block replays to the same check).
          const error = `the submitted value does not match the required result schema: ${mismatch.join("; ")}`
          delta.message({
            role: "assistant",
            parts: [{ kind: "tool_result", toolName: RLM_RESULT, content: `Error:\n${error}` }]
          })
          delta.protocol("rlm", { type: "step", iteration, error })
          continue
        }
        delta.message({ role: "assistant", parts: [{ kind: "text", content: settledText(value) }] })
        return settle({ type: "finished", finish: { type: "submitted_value", value } })
      }
    }
    if (termination === "prose_or_submit") {
      // One grace iteration asks for a prose answer, then the turn is force-finished (docs/lashlang.md, "The RLM turn protocol").
      const response = yield* ask(
        input.maxIterations,
        "The step limit is reached. Answer now in prose, without a ```lashlang block."
      )
      const text = proseOf(response.text).trim()
      yield* finishIteration(input.maxIterations)
      delta.message({ role: "assistant", parts: [{ kind: "text", content: text }] })
      return settle({ type: "finished", finish: { type: "assistant_message", text } })
    }
    return settle({ type: "stopped", stop: "max_turns" })
  })
