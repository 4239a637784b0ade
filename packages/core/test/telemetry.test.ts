/**
 * The spans lash opens, exported through @effect/opentelemetry into an in-memory exporter (in a child process,
 * telemetry/traced.ts): the span tree of a standard turn with a tool call (GenAI attributes, lash ids, token usage);
 * a process run linked to the span that started it across the worker hop, in the same OS process and in another one
 * (two processes on one SQLite file, the trace context persisted with the registration); the attributes of
 * `lash.trigger.emit` and `lash.queued.drain`; and lash's metrics through @effect/opentelemetry's metrics export after
 * a standard turn and a process run (docs/observability.md).
 */
import { MemoryBackend } from "@lash/backend-memory"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Exit, Layer, Ref } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Attributes, Ids, type LashCore } from "../src/index.js"
import { buildCore, counterTool, emptyEnv, toolCallRegistration } from "./fixtures.js"
import type { MetricJson, SpanJson } from "./telemetry/traced.js"

const traced = (scenario: string, ...args: ReadonlyArray<string>) =>
  new Promise<{ readonly value: unknown; readonly spans: ReadonlyArray<SpanJson> }>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./telemetry/traced.ts", import.meta.url)), scenario, ...args],
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

  it("a process run in another OS process links to the span that started it (trace context persisted)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-traced-"))
    try {
      const file = path.join(dir, "lash.db")
      // First OS process: a host span starts the process; this core has no worker.
      const started = await traced("start", file)
      expect(started.spans.some((s) => s.name === "lash.worker.run")).toBe(false)
      const host = started.spans.find((s) => s.name === "host.request")!
      expect(started.value).toMatchObject({
        id: "cross-process",
        traceContext: { traceparent: `00-${host.traceId}-${host.spanId}-01` }
      })
      // Second OS process: its worker sweeps, runs the process, and links the run to the first process's span.
      const worked = await traced("work", file)
      expect(worked.value).toMatchObject({ type: "success" })
      const run = worked.spans.find((s) => s.name === "lash.worker.run")!
      expect(run.attributes).toMatchObject({
        [Attributes.processId]: "cross-process",
        [Attributes.processKind]: "tool_call",
        [Attributes.processOutcome]: "completed"
      })
      expect(run.links).toEqual([
        { traceId: host.traceId, spanId: host.spanId, attributes: { "lash.link": "started_by" } }
      ])
      expect(run.traceId).not.toBe(host.traceId)
      // The sweep that found the process says what it did: one claimed, no unstarted delivery to start or set aside.
      const sweeps = worked.spans.filter((s) => s.name === "lash.worker.sweep")
      expect(sweeps.map((s) => s.attributes[Attributes.sweepClaimed])).toContain(1)
      for (const sweep of sweeps) {
        expect(sweep.attributes).toMatchObject({
          [Attributes.sweepDeliveriesStarted]: 0,
          [Attributes.sweepDeliveriesSetAside]: 0,
          [Attributes.sweepClaimed]: expect.any(Number)
        })
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("lash.trigger.emit: source, occurrence and deliveries; the run it started links to it", async () => {
    const { spans, value } = await traced("emit")
    const report = value as { occurrenceId: string; startedProcessIds: ReadonlyArray<string> }
    const emit = spans.find((s) => s.name === "lash.trigger.emit")!
    expect(emit.attributes).toEqual({
      [Attributes.triggerSourceType]: "test.Ping",
      [Attributes.triggerSourceKey]: expect.any(String),
      "lash.trigger.idempotency_key": "ping-1",
      [Attributes.occurrenceId]: report.occurrenceId,
      [Attributes.deliveries]: 1,
      [Attributes.startedProcesses]: 1,
      [Attributes.failedDeliveries]: 0
    })
    const run = spans.find((s) => s.name === "lash.worker.run")!
    expect(run.attributes[Attributes.processId]).toBe(report.startedProcessIds[0])
    expect(run.links).toEqual([
      { traceId: emit.traceId, spanId: emit.spanId, attributes: { "lash.link": "started_by" } }
    ])
  })

  it("lash.queued.drain: the session, the reason, the turns and batches it ran", async () => {
    const { spans, value } = await traced("drain")
    expect(value).toBe(1)
    const drains = spans.filter((s) => s.name === "lash.queued.drain")
    const ran = drains.filter((s) => s.attributes[Attributes.drainedTurns] !== undefined)
    expect(ran).toHaveLength(1)
    expect(ran[0]!.attributes).toEqual({
      [Attributes.sessionId]: "queued",
      [Attributes.drainReason]: expect.any(String),
      [Attributes.drainedTurns]: 1,
      [Attributes.drainedBatches]: 2
    })
    // The queued turn runs inside the drain's trace.
    const turn = spans.find((s) => s.name === "lash.turn")!
    expect(turn.traceId).toBe(ran[0]!.traceId)
  })
})

describe("metrics through @effect/opentelemetry", { timeout: 120_000 }, () => {
  it("after a standard turn with a tool and a process run: lash's metric names and values", async () => {
    const { value } = await traced("metrics")
    const metrics = value as ReadonlyArray<MetricJson>
    const points = (name: string) => metrics.filter((m) => m.name === name)
    expect(points("lash.turns")).toEqual([{ name: "lash.turns", attributes: { outcome: "finished" }, value: 1 }])
    for (const name of ["lash.turn.duration_ms", "lash.commit.duration_ms"]) {
      expect(points(name)).toEqual([{ name, attributes: {}, value: 1, sum: expect.any(Number) }])
      expect(points(name)[0]!.sum).toBeGreaterThanOrEqual(0)
    }
    expect(points("lash.processes.completed")).toEqual([
      { name: "lash.processes.completed", attributes: { status: "completed" }, value: 1 }
    ])
    expect(points("lash.queue.depth")).toEqual([{ name: "lash.queue.depth", attributes: {}, value: 0 }])
    // Nothing conflicted and no lease was lost: those counters were never touched, so they are not exported.
    expect(points("lash.commit.conflicts")).toEqual([])
    expect(points("lash.lease.losses")).toEqual([])
  })
})

describe("the trace context persisted with a registration", () => {
  const withCore = <A, E>(use: (core: LashCore["Type"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          const storage = yield* Layer.build(MemoryBackend.layer())
          const core = yield* buildCore(storage, TestProvider.builder().build(), {
            tools: [counterTool(Ref.unsafeMake(0))],
            worker: { enabled: false }
          })
          return yield* use(core)
        })
      )
    )
  const traceparent = (span: string) => `00-${"a".repeat(32)}-${span.repeat(16)}-01`

  it("is not written without a tracer; a given one is kept; it is not part of the registration", () =>
    withCore((core) =>
      Effect.gen(function*() {
        const envRef = yield* core.processEnv.persist(emptyEnv)
        const plain = yield* core.processes().start(toolCallRegistration("untraced", envRef))
        expect(plain.traceContext).toBeUndefined()
        const first = { ...toolCallRegistration("traced", envRef), traceContext: { traceparent: traceparent("1") } }
        expect((yield* core.processes().start(first)).traceContext).toEqual({ traceparent: traceparent("1") })
        // The same process started again from another trace: the same registration, the first context kept.
        const again = { ...first, traceContext: { traceparent: traceparent("2") } }
        expect(Ids.registrationHash(again)).toBe(Ids.registrationHash(first))
        expect((yield* core.processes().start(again)).traceContext).toEqual({ traceparent: traceparent("1") })
        expect((yield* core.processes().get("traced")).traceContext).toEqual({ traceparent: traceparent("1") })
      })
    ))

  it("a malformed traceparent is refused before anything is written", () =>
    withCore((core) =>
      Effect.gen(function*() {
        const envRef = yield* core.processEnv.persist(emptyEnv)
        const bad = { ...toolCallRegistration("bad-trace", envRef), traceContext: { traceparent: "00-nope" } }
        const error = yield* Effect.flip(core.processes().start(bad))
        expect(error).toMatchObject({ _tag: "InvalidProcessRegistration", reason: "invalid_trace_context" })
        expect(Exit.isFailure(yield* Effect.exit(core.processes().get("bad-trace")))).toBe(true)
      })
    ))
})
