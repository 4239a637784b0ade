import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"

// Your runtime: the core with its backend, model and effect controller (here the quickstart's scripted model).
const Runtime = LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } } })
  .pipe(Layer.provide(Layer.mergeAll(
    MemoryBackend.layer(),
    InlineEffectController.layer,
    TestProvider.builder().reply("Hello!").build().layer
  )))

// Console exporters while developing; in production, OTLP ones (see below).
const Telemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "my-agent" },
  spanProcessor: new SimpleSpanProcessor(new ConsoleSpanExporter()),
  // lash's metrics (below) are read from Effect's metric registry at every export.
  metricReader: new PeriodicExportingMetricReader({
    exporter: new ConsoleMetricExporter(),
    exportIntervalMillis: 10_000
  })
}))

// Build the runtime under the telemetry layer, so the fibers the core forks while it is built (the worker's sweeps)
// are traced too. Closing the scope flushes the exporters.
const App = Layer.provideMerge(Runtime, Telemetry)

const program = Effect.gen(function*() {
  const core = yield* LashCore
  const session = yield* core.openSession("traced-session")
  yield* session.turn(TurnInput.text("hi")).run // exports lash.turn, lash.effect.llm_call and lash.commit
})

Effect.runPromise(Effect.scoped(Effect.provide(program, App)))
