/**
 * B8's lash side of the Restate comparison: the same 3-step durable handler as a Lashlang process. A trigger
 * emit (the ingress call) starts it; the worker runs three `step` tool calls, each a journaled `tool_call` effect
 * (JournaledEffectController over the SQLite EffectJournal, synchronous FULL); timed from `emit` until
 * `core.processes().await` (what a host calls) returns its result. Every result and the tool's execution count are
 * checked.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import {
  definePlugin,
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  ToolDefinition,
  ToolProvider,
  ToolResults,
  TriggerKeys,
  TurnInput
} from "@lash/core"
import { HostCatalog, LashlangAbilities, NamedDataType, TypeExpr } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import { benchModel, tempDir } from "./Fixtures.js"
import { summarize, type Summary, timeEffect } from "./Stats.js"

const SOURCE = "bench.tick"

const PROGRAM = `process three(tick: bench.Tick) {
  a = (await tools.step({ v: tick.v }))?
  b = (await tools.step({ v: a.v }))?
  c = (await tools.step({ v: b.v }))?
  finish { v: c.v }
}

source = bench.tick({})
handle = await triggers.register({ source: source, target: three, inputs: { tick: trigger.event }, name: "three steps" })?
submit "registered"`

const orThrow = <A>(e: Either.Either<A, unknown>): A => Either.getOrThrowWith(e, (l) => new Error(String(l)))

const tickPlugin = (() => {
  const tick = orThrow(NamedDataType.object("bench.Tick", [TypeExpr.field("v", TypeExpr.int)]))
  const catalog = orThrow(HostCatalog.addTriggerSource(HostCatalog.empty, ["bench", "tick"], TypeExpr.object([]), tick))
  return definePlugin({
    id: "bench-tick",
    lashlang: { abilities: LashlangAbilities.none.withTriggers().withProcesses(), catalog },
    triggerEvents: [{ resourceType: "Tick", alias: "bench", event: "tick", payloadSchema: { type: "object" } }],
    build: () => Effect.succeed({ register: () => Effect.void })
  })
})()

const stepTool = (counter: { n: number }) =>
  ToolProvider.fromDefinitions([
    {
      definition: ToolDefinition.fromSchema({
        name: "step",
        description: "Adds one",
        input: Schema.Struct({ v: Schema.Number }),
        output: Schema.Struct({ v: Schema.Number })
      }),
      execute: (args) =>
        Effect.sync(() => {
          // Read raw, like Restate's handler reads its input; arguments without a number `v` fail the call.
          const v = typeof args === "object" && args !== null && "v" in args ? args.v : undefined
          if (typeof v !== "number") return ToolResults.failure("bad_arguments", "step needs a number `v`")
          counter.n++
          return ToolResults.ok({ v: v + 1 })
        })
    }
  ])

export const runThreeStep = (n: number, warmup: number): Promise<Summary> => {
  const tmp = tempDir("b8-three")
  const program = Effect.gen(function*() {
    const storage = yield* Layer.build(SqliteBackend.layer({ filename: tmp.file("lash.db"), synchronous: "full" }))
    const counter = { n: 0 }
    const model = TestProvider.builder()
      .complete(() => "```lashlang\n" + PROGRAM + "\n```")
      .build()
    const ctx = yield* Layer.build(
      LashCore.layer({ mode: "rlm", model: benchModel, plugins: [tickPlugin], tools: [stepTool(counter)] }).pipe(
        Layer.provide(
          Layer.mergeAll(
            LanguageModelProvider.single(model),
            JournaledEffectController.layer.pipe(Layer.provide(Layer.succeedContext(storage))),
            Layer.succeedContext(storage)
          )
        )
      )
    )
    const core = Context.get(ctx, LashCore)
    const session = yield* core.openSession("b8-three")
    const out = yield* session.turn(TurnInput.text("register the three-step process"), { turnId: "b8-register" }).run
    if (Option.getOrUndefined(out.submittedValue) !== "registered") {
      return yield* Effect.dieMessage(`B8 lash setup: the registering turn answered ${JSON.stringify(out)}`)
    }
    const one = (i: number) =>
      Effect.gen(function*() {
        const report = yield* core.triggers().emit({
          sourceType: SOURCE,
          sourceKey: TriggerKeys.emptySourceKey(SOURCE),
          source: {},
          payload: { v: i },
          idempotencyKey: `b8-three:${i}`
        })
        if (report.startedProcessIds.length !== 1) {
          return yield* Effect.dieMessage(`B8 lash: ${report.startedProcessIds.length} processes started`)
        }
        const result = yield* core.processes().await(report.startedProcessIds[0]!)
        const value = result.type === "success" ? result.value : undefined
        const v = typeof value === "object" && value !== null && "v" in value ? value.v : undefined
        if (v !== i + 3) {
          return yield* Effect.dieMessage(`B8 lash: process answered ${JSON.stringify(result)} for ${i}`)
        }
      })
    const samples = yield* timeEffect(n, warmup, one)
    if (counter.n !== 3 * (n + warmup)) {
      return yield* Effect.dieMessage(
        `B8 lash: ${counter.n} step executions for ${n + warmup} processes (expected 3 each)`
      )
    }
    return summarize(samples)
  })
  return Effect.runPromise(Effect.scoped(program)).finally(tmp.dispose)
}
