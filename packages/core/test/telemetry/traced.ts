/**
 * A child process of telemetry.test.ts: runs one scenario with lash's spans exported through @effect/opentelemetry
 * into an in-memory exporter (and its metrics into an in-memory metric reader), and prints the finished spans and
 * collected metrics as JSON. A child, because vitest hands Node its "module" resolution condition, which picks
 * @opentelemetry's ESM builds that Node cannot load; and so that "start" and "work" run in two OS processes on one
 * SQLite file (the file's path is the second argument).
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { AggregationTemporality, MetricReader } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Ref, Schema } from "effect"
import {
  defineTool,
  Ids,
  InlineEffectController,
  LashCore,
  type LashCoreConfig,
  type LashStorage,
  type StorageSignals,
  TriggerStore,
  TurnInput
} from "../../src/index.js"
import { counterTool, emptyEnv, pingSubscription, toolCallRegistration } from "../fixtures.js"

/** A finished span, as the test reads it. */
export interface SpanJson {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly startNs: number
  readonly attributes: Record<string, unknown>
  readonly links: ReadonlyArray<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>
}

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})

/** A collected metric data point, as the test reads it. */
export interface MetricJson {
  readonly name: string
  readonly attributes: Record<string, unknown>
  /** A sum's or gauge's value; a histogram's count. */
  readonly value: number
  /** A histogram's sum. */
  readonly sum?: number
}

const model = { id: "demo-model", limits: { contextWindowTokens: 8192 } }
const fence = (code: string) => "```lashlang\n" + code + "\n```"

const scenarios: Record<
  string,
  () => {
    config: LashCoreConfig
    provider: TestProvider
    program: Effect.Effect<unknown, unknown, LashCore | TriggerStore>
    /** The store (default: memory). */
    storage?: Layer.Layer<LashStorage | StorageSignals, unknown>
  }
> = {
  turn: () => ({
    config: { mode: "standard", model, tools: [add] },
    provider: TestProvider.builder().reply({ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, "2 + 3 = 5").build(),
    program: Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("traced")
      return yield* session.turn(TurnInput.text("what is 2 + 3?")).run
    })
  }),
  process: () => ({
    config: {
      mode: "rlm",
      model,
      rlm: { abilities: LashlangAbilities.all },
      worker: { sweepEvery: "1 hour", leaseTtl: "5 seconds", renewEvery: "1 second" }
    },
    provider: TestProvider.builder()
      .reply(fence("process ping(n: int) {\n  finish n + 1\n}\nh = start ping(n: 41)\nsubmit \"started\""))
      .complete(() => "noted")
      .build(),
    program: Effect.gen(function*() {
      const core = yield* LashCore
      yield* (yield* core.openSession("starter")).turn(TurnInput.text("start it")).run
      const [record] = (yield* core.processes().list({})).processes
      return yield* core.processes().await(record!.id).pipe(Effect.timeout("20 seconds"))
    })
  })
}

const counted = () => counterTool(Ref.unsafeMake(0))

/** The second argument: the SQLite file of "start" and "work". */
const sqliteFile = () => process.argv[3]!

scenarios.emit = () => ({
  config: { mode: "standard", model, tools: [counted()], worker: { sweepEvery: "1 hour" } },
  provider: TestProvider.builder().build(),
  program: Effect.gen(function*() {
    const core = yield* LashCore
    const envRef = yield* core.processEnv.persist(emptyEnv)
    yield* Effect.flatMap(TriggerStore, (store) => store.register(pingSubscription(envRef)))
    const report = yield* core.triggers().emit({
      sourceType: "test.Ping",
      sourceKey: Ids.emptySourceKey("test.Ping"),
      payload: { n: 1 },
      idempotencyKey: "ping-1"
    })
    yield* core.processes().await(report.startedProcessIds[0]!).pipe(Effect.timeout("20 seconds"))
    return report
  })
})

scenarios.drain = () => ({
  config: { mode: "standard", model },
  provider: TestProvider.builder().reply("both read").build(),
  program: Effect.gen(function*() {
    const session = yield* (yield* LashCore).openSession("queued")
    yield* session.enqueue(TurnInput.text("first"))
    yield* session.enqueue(TurnInput.text("second"))
    yield* session.runQueued
    return session.readView().turnIndex
  })
})

// Two OS processes on one SQLite file: "start" registers a process under a host span with no worker; "work" runs it.
scenarios.start = () => ({
  config: { mode: "standard", model, tools: [counted()], worker: { enabled: false } },
  provider: TestProvider.builder().build(),
  storage: SqliteBackend.layer({ filename: sqliteFile() }),
  program: Effect.gen(function*() {
    const core = yield* LashCore
    const envRef = yield* core.processEnv.persist(emptyEnv)
    return yield* core.processes().start(toolCallRegistration("cross-process", envRef))
  }).pipe(Effect.withSpan("host.request"))
})

scenarios.work = () => ({
  config: {
    mode: "standard",
    model,
    tools: [counted()],
    worker: { startupSweep: true, sweepEvery: "200 millis", leaseTtl: "5 seconds", renewEvery: "1 second" }
  },
  provider: TestProvider.builder().build(),
  storage: SqliteBackend.layer({ filename: sqliteFile() }),
  program: Effect.flatMap(
    LashCore,
    (core) => core.processes().await("cross-process").pipe(Effect.timeout("30 seconds"))
  )
})

/** Collects on demand: the test reads the metrics once, at the end of the scenario. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
}
const reader = new OnDemandReader()

/** Every data point the reader collects now. */
const collectMetrics: Effect.Effect<ReadonlyArray<MetricJson>> = Effect.promise(() => reader.collect()).pipe(
  Effect.map(({ resourceMetrics }) =>
    resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        (metric.dataPoints as ReadonlyArray<{ attributes: Record<string, unknown>; value: unknown }>).map((point) => {
          const value = point.value
          return typeof value === "number"
            ? { name: metric.descriptor.name, attributes: { ...point.attributes }, value }
            : {
              name: metric.descriptor.name,
              attributes: { ...point.attributes },
              value: (value as { count: number }).count,
              sum: (value as { sum: number }).sum
            }
        })
      )
    )
  )
)

// A standard turn with a tool call, then a host-started process run by the worker; the metrics after both.
scenarios.metrics = () => {
  const turn = scenarios.turn!()
  return {
    config: { ...turn.config, tools: [add, counted()] },
    provider: turn.provider,
    program: Effect.gen(function*() {
      yield* turn.program
      const core = yield* LashCore
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("measured", envRef))
      yield* core.processes().await("measured").pipe(Effect.timeout("20 seconds"))
      return yield* collectMetrics
    })
  }
}

const { config, program, provider, storage } = scenarios[process.argv[2] ?? ""]!()
/** Keeps its spans through the provider's shutdown (the stock one clears them), so they are read after the scope. */
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
const exporter = new KeepingExporter()
const tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "lash-test" },
  spanProcessor: new SimpleSpanProcessor(exporter),
  metricReader: reader
}))
const store = storage ?? MemoryBackend.layer()
const core = LashCore.layer(config).pipe(
  Layer.provideMerge(Layer.mergeAll(store, InlineEffectController.layer, provider.layer))
)

// The core is built under the tracer, so the fibers it forks while building (the worker's sweeps) trace too.
Effect.runPromise(
  Effect.scoped(Effect.provide(program, Layer.provideMerge(core, tracing))) as Effect.Effect<unknown>
).then(
  (value) => {
    const spans: Array<SpanJson> = exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      startNs: span.startTime[0] * 1e9 + span.startTime[1],
      attributes: { ...span.attributes },
      links: span.links.map((link) => ({
        traceId: link.context.traceId,
        spanId: link.context.spanId,
        attributes: { ...link.attributes }
      }))
    }))
    process.stdout.write(JSON.stringify({ value, spans }))
  },
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
