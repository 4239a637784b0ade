// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option } from "effect"

// A scripted model stands in for a real provider: it answers the first request with this text.
const model = TestProvider.builder().reply("Hello! What can I do for you?").build()

// A runtime is a Layer: the core over a backend, a model provider and an effect controller.
const Runtime = LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } } })
  .pipe(Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, model.layer)))

const program = Effect.gen(function*() {
  const core = yield* LashCore
  const session = yield* core.openSession("support-42") // created on first open
  const out = yield* session.turn(TurnInput.text("hi")).run // one atomic commit
  console.log(Option.getOrNull(out.assistantMessage), "at revision", out.headRevision)
  for (const message of session.readView().messages) {
    console.log(message.role, message.parts.map((part) => part.content).join(""))
  }
})

Effect.runPromise(program.pipe(Effect.provide(Runtime)))
