/**
 * The spans lash opens, exported through @effect/opentelemetry into an in-memory exporter (in a child process,
 * telemetry/traced.ts): the span tree of a standard turn with a tool call (GenAI attributes, lash ids, token usage),
 * and a process run linked to the span that started it across the worker hop (docs/observability.md).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Attributes } from "../src/index.js"
import type { SpanJson } from "./telemetry/traced.js"

const traced = (scenario: string) =>
  new Promise<{ readonly value: unknown; readonly spans: ReadonlyArray<SpanJson> }>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./telemetry/traced.ts", import.meta.url)), scenario],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] }
    )
    let out = ""
    let err = ""
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()))
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()))
    proc.on(
      "exit",
      (code) => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`traced ${scenario} exited ${code}:\n${err}`))
    )
  })

const isLash = (span: SpanJson) => span.name.startsWith("lash.")

/** The lash spans under `rootName` as an indented tree (each under its nearest lash ancestor, in start order). */
const tree = (spans: ReadonlyArray<SpanJson>, rootName: string): string => {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const lashParent = (span: SpanJson): SpanJson | undefined => {
    let id = span.parentSpanId
    while (id !== undefined) {
      const parent = byId.get(id)
      if (parent === undefined) return undefined
      if (isLash(parent)) return parent
      id = parent.parentSpanId
    }
    return undefined
  }
  const lines: Array<string> = []
  const walk = (span: SpanJson, depth: number) => {
    lines.push(`${"  ".repeat(depth)}${span.name}`)
    spans
      .filter((child) => isLash(child) && lashParent(child) === span)
      .sort((a, b) => a.startNs - b.startNs)
      .forEach((child) => walk(child, depth + 1))
  }
  const root = spans.find((span) => span.name === rootName)
  if (root !== undefined) walk(root, 0)
  return lines.join("\n")
}

describe("traces through @effect/opentelemetry", { timeout: 120_000 }, () => {
  it("a standard turn with a tool: the span tree and its attributes", async () => {
    const { spans } = await traced("turn")
    expect(tree(spans, "lash.turn")).toBe(
      ["lash.turn", "  lash.effect.llm_call", "  lash.effect.tool_call", "  lash.effect.llm_call", "  lash.commit"]
        .join("\n")
    )
    const turn = spans.find((s) => s.name === "lash.turn")!
    const turnId = turn.attributes[Attributes.turnId]
    expect(typeof turnId).toBe("string")
    expect(turn.attributes).toMatchObject({
      [Attributes.sessionId]: "traced",
      [Attributes.turnMode]: "standard",
      [Attributes.turnOutcome]: expect.any(String),
      [Attributes.requestModel]: "demo-model",
      [Attributes.inputTokens]: expect.any(Number),
      [Attributes.outputTokens]: expect.any(Number),
      [Attributes.headRevision]: 1
    })
    const calls = spans.filter((s) => s.name === "lash.effect.llm_call")
    for (const call of calls) {
      expect(call.attributes).toMatchObject({
        [Attributes.operationName]: "chat",
        [Attributes.requestModel]: "demo-model",
        [Attributes.sessionId]: "traced",
        [Attributes.turnId]: turnId,
        [Attributes.inputTokens]: expect.any(Number),
        [Attributes.outputTokens]: expect.any(Number),
        [Attributes.replayKey]: expect.stringContaining(String(turnId))
      })
    }
    expect(new Set(calls.map((c) => c.attributes[Attributes.replayKey])).size).toBe(2)
    expect(spans.find((s) => s.name === "lash.effect.tool_call")!.attributes).toMatchObject({
      [Attributes.operationName]: "execute_tool",
      [Attributes.toolName]: "add",
      [Attributes.toolCallId]: expect.any(String),
      [Attributes.replayKey]: expect.stringContaining(String(turnId)),
      [Attributes.sessionId]: "traced"
    })
    expect(spans.find((s) => s.name === "lash.commit")!.attributes).toMatchObject({
      [Attributes.sessionId]: "traced",
      [Attributes.turnId]: turnId,
      "lash.commit.expected_revision": 0,
      [Attributes.headRevision]: 1
    })
    // One trace: the turn's model calls, tool call and commit share the turn's trace id.
    const ofTurn = spans.filter((s) =>
      ["lash.effect.llm_call", "lash.effect.tool_call", "lash.commit"].includes(s.name)
    )
    expect(new Set(ofTurn.map((s) => s.traceId))).toEqual(new Set([turn.traceId]))
  })

  it("a process run is a trace of its own, linked to the span that started it, with the lease on it", async () => {
    const { spans, value } = await traced("process")
    expect(value).toEqual({ type: "success", value: 42 })
    const run = spans.find((s) => s.name === "lash.worker.run")!
    expect(run).toBeDefined()
    expect(run.attributes).toMatchObject({
      [Attributes.processId]: expect.stringMatching(/^process:lashlang:/),
      [Attributes.processKind]: "lashlang",
      [Attributes.leaseOwner]: expect.stringMatching(/^worker:/),
      [Attributes.leaseFencingToken]: 1,
      [Attributes.processOutcome]: "completed"
    })
    expect(run.parentSpanId).toBeUndefined()
    expect(run.links).toHaveLength(1)
    const link = run.links[0]!
    expect(link.attributes).toEqual({ "lash.link": "started_by" })
    const turn = spans.find((s) => s.name === "lash.turn")!
    const starter = spans.find((s) => s.spanId === link.spanId)
    // The starting span is a span of the turn's trace; the run is not in that trace.
    expect(starter?.traceId).toBe(turn.traceId)
    expect(link.traceId).toBe(turn.traceId)
    expect(run.traceId).not.toBe(turn.traceId)
  })
})
