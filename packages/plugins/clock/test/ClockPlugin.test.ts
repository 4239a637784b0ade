import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, type ProcessId, ProcessRegistry, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option, TestClock } from "effect"
import { ClockPlugin, ClockTriggers } from "../src/index.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"
const program = `process remember(tick: clock.Tick) { finish { id: tick.id, at: tick.scheduled_at } }
h = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: remember, inputs: { tick: trigger.event }, name: "daily" })?
submit h.source_type`

describe("@lash/plugin-clock in a runtime", () => {
  it.scoped("a model registers clock.Alarm; the emitter fires it once at 08:00 and the worker runs the process", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-11-24T07:58:00Z"))
      const provider = TestProvider.builder().reply(fence(program)).build()
      const ctx = yield* Layer.build(
        LashCore.layer({
          mode: "rlm",
          model: { id: "m", limits: { contextWindowTokens: 4096 } },
          plugins: [ClockPlugin]
        }).pipe(
          Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer)),
          Layer.provideMerge(MemoryBackend.layer())
        )
      )
      const core = Context.get(ctx, LashCore)
      const session = yield* core.openSession("alarm")
      const out = yield* session.turn(TurnInput.text("every day at 8")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("clock.Alarm")
      yield* Layer.build(ClockTriggers.layer({ every: "30 seconds" })).pipe(Effect.provide(ctx))
      const registry = Context.get(ctx, ProcessRegistry)
      yield* TestClock.adjust("1 minute") // 07:59: not due yet
      expect(yield* registry.list({})).toEqual([])
      yield* TestClock.adjust("1 minute") // 08:00: due
      const started = yield* registry.list({})
      expect(started).toHaveLength(1)
      const output = yield* registry.awaitProcess(started[0]!.id as ProcessId)
      expect(output.type).toBe("success")
      expect((output as unknown as { readonly value: { readonly at: string } }).value.at).toBe("2026-11-24T08:00:00Z")
      yield* TestClock.adjust("10 minutes") // later cycles emit nothing new for the same due time
      expect(yield* registry.list({})).toHaveLength(1)
    }))
})
