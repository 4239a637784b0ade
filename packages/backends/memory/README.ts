// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer } from "effect"

const program = Effect.scoped(Effect.gen(function*() {
  // Every build of MemoryBackend.layer() is a new, empty store: build it once to share it between runtimes.
  const store = Layer.succeedContext(yield* Layer.build(MemoryBackend.layer()))
  const model = TestProvider.builder().reply("Noted.").build()
  const runtime = LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } } })
    .pipe(Layer.provide(Layer.mergeAll(store, InlineEffectController.layer, model.layer)))

  // Runtime 1 commits a turn.
  yield* Effect.gen(function*() {
    const session = yield* (yield* LashCore).openSession("notes")
    yield* session.turn(TurnInput.text("remember: the answer is 42")).run
  }).pipe(Effect.provide(runtime))

  // Runtime 2, over the same store, sees it (the store lives as long as this scope).
  const messages = yield* Effect.gen(function*() {
    return (yield* (yield* LashCore).openSession("notes")).readView().messages
  }).pipe(Effect.provide(runtime))
  console.log(messages.map((message) => message.role)) // [ 'user', 'assistant' ]
}))

Effect.runPromise(program)
