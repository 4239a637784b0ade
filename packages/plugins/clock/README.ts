// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { ClockPlugin, ClockTriggers } from "@lash/plugin-clock"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option } from "effect"

// What a model writes in rlm mode to be woken every morning (scripted here).
const program = `process morning(tick: clock.Tick) {
  wake format("good morning, it is {}", tick.scheduled_at)
  finish tick.id
}
handle = await triggers.register({ source: clock.Alarm({ at: "08:00", tz: "Europe/Lisbon" }), target: morning,
                                   inputs: { tick: trigger.event }, name: "morning" })?
submit handle.name`
const model = TestProvider.builder().reply("```lashlang\n" + program + "\n```").build()

// The plugin goes in every runtime that registers or runs alarm processes; the emitter in the one that fires them.
const Core = LashCore.layer({
  mode: "rlm",
  model: { id: "demo", limits: { contextWindowTokens: 8192 } },
  plugins: [ClockPlugin]
}).pipe(Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, model.layer)))
const Runtime = ClockTriggers.layer({ every: "30 seconds" }).pipe(Layer.provideMerge(Core))

const main = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("mornings")
  const out = yield* session.turn(TurnInput.text("wake me every morning at 8")).run
  console.log(Option.getOrNull(out.submittedValue)) // "morning"
  const [alarm] = yield* session.triggers().bySourceType("clock.Alarm")
  console.log(alarm?.source) // { at: '08:00', tz: 'Europe/Lisbon' }
})

Effect.runPromise(main.pipe(Effect.provide(Runtime)))
