// The README's "compose a runtime from layers" example, type-checked by `pnpm check`. Keep the two in sync.
import { MemoryBackend } from "@lash/backend-memory"
import { defineTool, InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option, Schema } from "effect"

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})
const model = TestProvider.builder().reply({ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, "2 + 3 = 5").build()

const App = LashCore.layer({
  mode: "standard",
  model: { id: "demo", limits: { contextWindowTokens: 8192 } },
  tools: [add]
})
  .pipe(Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, model.layer)))

const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("demo")
  const out = yield* session.turn(TurnInput.text("what is 2 + 3?")).run
  console.log(Option.getOrNull(out.assistantMessage)) // "2 + 3 = 5"
})
export const main = () => Effect.runPromise(program.pipe(Effect.provide(App)))
