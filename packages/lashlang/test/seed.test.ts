import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Value } from "../src/index.js"
import { run, submitted } from "./fixture.js"

// The two programs of the seed suite, verbatim Lashlang.
const CLOCK = `
process remember(tick: clock.Tick) {
  wake { id: tick.id, scheduled_at: tick.scheduled_at }
  finish { id: tick.id, ok: true }
}

source = clock.Alarm({ at: "08:00" })
handle = await triggers.register({
  source: source,
  target: remember,
  inputs: { tick: trigger.event },
  name: "remembered"
})?
submit "registered"
`
const BUTTON = `
process remember_button(event: ui.button.Pressed) {
  wake { button: event.button, message: event.message }
  finish { button: event.button, ok: true }
}

source = ui.button.pressed({})
handle = await triggers.register({
  source: source,
  target: remember_button,
  inputs: { event: trigger.event },
  name: "button remembered"
})?
submit "registered"
`

describe("the seed's Lashlang programs", () => {
  for (
    const [name, program, sourceType, target] of [
      ["CLOCK", CLOCK, "clock.Alarm", "remember"],
      ["BUTTON", BUTTON, "ui.button.pressed", "remember_button"]
    ] as const
  ) {
    it.effect(`${name} parses, links against clock.Alarm + ui.button.pressed + triggers, and runs to one triggers.register call`, () =>
      Effect.gen(function*() {
        const r = yield* run(program)
        expect(submitted(r)).toBe("\"registered\"")
        expect(r.ops.map((o) => o._tag)).toEqual(["TriggerRegister", "Terminate"])
        const op = r.ops[0]!
        if (op._tag !== "TriggerRegister") return
        expect(op.source.typeName).toBe(sourceType)
        expect(op.target.processName).toBe(target)
        expect(op.target.moduleRef).toBe(r.linked.artifact.moduleRef)
        expect(Object.keys(r.linked.artifact.exports.processes)).toEqual([target])
        expect(r.linked.artifact.hostRequirements.abilities).toContain("triggers")
        expect(Value.toJsonText(r.outcome.globals.get("handle")!)).toBe(
          "{\"id\":\"trigger:1\",\"type\":\"trigger_handle\"}"
        )
      }))
  }
})
