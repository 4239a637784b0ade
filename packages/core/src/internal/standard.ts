/**
 * Standard mode: native tool calling (docs/architecture.md, "Standard turns"). The model's tool calls are validated against each tool's
 * input schema, executed as `tool_call` effects, and their results fed back, until the model answers in prose or
 * the iteration limit is reached.
 *
 * @internal
 */
import { Canonical } from "@lash/lashlang"
import { Effect } from "effect"
import type { LlmRequest } from "../LanguageModel.js"
import { type TokenUsage, TokenUsageOps } from "../Model.js"
import type { Part } from "../Session.js"
import type { ToolCallRecord, TurnIssue, TurnOutcome } from "../Turn.js"
import { renderHistory } from "./model.js"
import { callIterationModel, finishIssues, iterationKey, type Protocol, toolEvents } from "./protocol.js"
import { runToolCall } from "./toolCatalog.js"

/** The standard protocol. */
export const standardProtocol: Protocol = (input) =>
  Effect.gen(function*() {
    const { core, delta, catalog, events } = input
    const observer = toolEvents(events)
    const tools = catalog.list.map((entry) => ({
      name: entry.manifest.name,
      description: entry.manifest.description,
      inputSchema: entry.contract.inputSchema
    }))
    const system = core.cfg.raw.systemPrompt
    const toolCalls: Array<ToolCallRecord> = []
    const issues: Array<TurnIssue> = []
    let usage: TokenUsage = TokenUsageOps.zero
    for (let iteration = 0; iteration < input.maxIterations; iteration++) {
      const key = iterationKey(input, iteration)
      const request: LlmRequest = {
        model: input.policy.model,
        messages: [
          ...(system === undefined ? [] : [{ role: "system" as const, content: system }]),
          ...renderHistory([...input.history, ...delta.messages])
        ],
        tools
      }
      yield* events.emit({ type: "iteration_started", iteration })
      const response = yield* callIterationModel(input, iteration, request, {
        push: (text) => events.emit({ type: "text_delta", iteration, text }),
        reset: () => {}
      })
      usage = TokenUsageOps.add(usage, response.usage)
      issues.push(...finishIssues(response, iteration))
      const prose: Array<Omit<Part, "id">> = []
      if (response.reasoning !== undefined && response.reasoning.length > 0) {
        prose.push({ kind: "reasoning", content: response.reasoning })
      }
      if (response.text.length > 0) prose.push({ kind: "text", content: response.text })
      if (response.toolCalls.length === 0) {
        delta.message({ role: "assistant", parts: prose })
        yield* events.emit({ type: "iteration_finished", iteration })
        const outcome: TurnOutcome = { type: "finished", finish: { type: "assistant_message", text: response.text } }
        return { outcome, toolCalls, usage, issues }
      }
      const calls = response.toolCalls.map((call, i) => ({
        callId: call.callId ?? `call:${input.turnId}:${iteration}:${i}`,
        toolName: call.name,
        args: call.args
      }))
      const run = (call: (typeof calls)[number]) =>
        runToolCall({
          catalog,
          scoped: input.scoped,
          parentKey: key,
          call,
          context: { sessionId: input.state.sessionId },
          observer
        })
      const isSerial = (name: string) => catalog.entries.get(name)?.manifest.scheduling === "serial"
      const parallel = yield* Effect.forEach(
        calls.filter((c) => !isSerial(c.toolName)),
        run,
        { concurrency: "unbounded" }
      )
      const serial = yield* Effect.forEach(calls.filter((c) => isSerial(c.toolName)), run)
      const byId = new Map([...parallel, ...serial].map((r) => [r.callId, r] as const))
      const records = calls.map((c) => byId.get(c.callId)!)
      toolCalls.push(...records)
      delta.message({
        role: "assistant",
        parts: [
          ...prose,
          ...calls.map((c) => ({
            kind: "tool_call" as const,
            content: Canonical.canonicalJsonUnsafe(c.args),
            toolCallId: c.callId,
            toolName: c.toolName
          })),
          ...records.map((r) => ({
            kind: "tool_result" as const,
            content: Canonical.canonicalJsonUnsafe(r.result),
            toolCallId: r.callId,
            toolName: r.toolName
          }))
        ]
      })
      yield* events.emit({ type: "iteration_finished", iteration })
      for (const r of records) {
        if (r.result.type === "ok" && r.result.control?.type === "finish") {
          return {
            outcome: {
              type: "finished",
              finish: { type: "tool_value", toolName: r.toolName, value: r.result.control.value }
            },
            toolCalls,
            usage,
            issues
          }
        }
        if (r.result.type === "ok" && r.result.control?.type === "fail") {
          const { code, message, raw } = r.result.control.failure
          const value = raw === undefined ? { code, message } : { code, message, raw }
          return {
            outcome: { type: "stopped", stop: { type: "tool_error", toolName: r.toolName, value } },
            toolCalls,
            usage,
            issues
          }
        }
      }
    }
    return { outcome: { type: "stopped", stop: "max_turns" }, toolCalls, usage, issues }
  })
