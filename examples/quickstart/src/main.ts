/**
 * The quickstart: compose a lash runtime from layers and run one scripted standard-mode turn with a tool call.
 * Offline: the model is `TestProvider`, a scripted model from @lash/testing.
 */
import { MemoryBackend } from "@lash/backend-memory"
import {
  InlineEffectController,
  LashCore,
  type Message,
  ToolDefinition,
  ToolProvider,
  ToolResults,
  TurnInput
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Console, Effect, Layer, Schema } from "effect"

const weather = ToolProvider.fromDefinitions([
  {
    definition: ToolDefinition.fromSchema({
      name: "weather",
      description: "Current weather for a city",
      input: Schema.Struct({ city: Schema.String }),
      output: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
    }),
    execute: (args) => Effect.succeed(ToolResults.ok({ city: (args as { city: string }).city, celsius: 21 }))
  }
])

const model = TestProvider.builder()
  .kind("demo")
  .reply(
    { text: "Let me check.", toolCalls: [{ name: "weather", args: { city: "Lisbon" } }] },
    "It is 21 °C in Lisbon right now."
  )
  .build()

const App = LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } }, tools: [weather] }).pipe(
  Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, model.layer))
)

const render = (m: Message): string =>
  m.parts
    .map((p) =>
      p.kind === "tool_call"
        ? `  → call ${p.toolName}(${p.content})`
        : p.kind === "tool_result"
          ? `  ← ${p.toolName}: ${p.content}`
          : `${m.role}: ${p.content}`
    )
    .join("\n")

const program = Effect.gen(function* () {
  const core = yield* LashCore
  const session = yield* core.openSession("quickstart")
  const out = yield* session.turn(TurnInput.text("What is the weather in Lisbon?")).run
  yield* Console.log("lash quickstart — standard mode, scripted model, memory backend\n")
  for (const message of session.readView().messages) yield* Console.log(render(message))
  yield* Console.log(`\ncommitted revision ${out.headRevision}; outcome: ${out.outcome.type}`)
})

Effect.runPromise(program.pipe(Effect.provide(App))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
