// The example of README.md, type-checked by `pnpm check` and run against the fake server by test/readme.test.ts.
import { OpenAi } from "@lash/ai"
import { MemoryBackend } from "@lash/backend-memory"
import { defineTool, InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { Console, Effect, Layer, Schema, Stream } from "effect"

// A typed tool: `execute` receives the decoded input, the model is offered its JSON Schema.
const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})

// OpenAI's Responses API; the key comes from OPENAI_API_KEY through Effect Config, as a Redacted value.
export const App = LashCore.layer({
  mode: "standard",
  model: { id: "gpt-4.1-mini", limits: { contextWindowTokens: 128_000, outputTokenCapacity: 1024 } },
  tools: [add]
}).pipe(Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, OpenAi.layerConfig())))

// A streamed turn: the model's text is printed as it arrives; the turn commits once, at the end.
export const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("demo")
  yield* session.turn(TurnInput.text("What is 2 + 3?")).stream.pipe(
    Stream.runForEach((event) =>
      event.type === "text_delta"
        ? Console.log(event.text)
        : event.type === "turn_committed"
        ? Console.log(`(committed at revision ${event.output.headRevision})`)
        : Effect.void
    )
  )
})

export const main = () => Effect.runPromise(program.pipe(Effect.provide(App)))
