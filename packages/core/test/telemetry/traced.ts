/**
 * A child process of telemetry.test.ts: runs one scenario ("turn" or "process") with lash's spans exported through
 * @effect/opentelemetry into an in-memory exporter, and prints the finished spans as JSON. A child, because vitest
 * hands Node its "module" resolution condition, which picks @opentelemetry's ESM builds that Node cannot load.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Schema } from "effect"
import { defineTool, InlineEffectController, LashCore, type LashCoreConfig, TurnInput } from "../../src/index.js"

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

const model = { id: "demo-model", limits: { contextWindowTokens: 8192 } }
const fence = (code: string) => "```lashlang\n" + code + "\n```"

const scenarios: Record<
  string,
  () => { config: LashCoreConfig; provider: TestProvider; program: Effect.Effect<unknown, unknown, LashCore> }
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
      const [record] = yield* core.processes().list({})
      return yield* core.processes().await(record!.id).pipe(Effect.timeout("20 seconds"))
    })
  })
}

const { config, program, provider } = scenarios[process.argv[2] ?? ""]!()
/** Keeps its spans through the provider's shutdown (the stock one clears them), so they are read after the scope. */
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
const exporter = new KeepingExporter()
const tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "lash-test" },
  spanProcessor: new SimpleSpanProcessor(exporter)
}))
const core = LashCore.layer(config).pipe(
  Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, provider.layer))
)

Effect.runPromise(Effect.scoped(Effect.provide(program, Layer.merge(core, tracing))) as Effect.Effect<unknown>).then(
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
