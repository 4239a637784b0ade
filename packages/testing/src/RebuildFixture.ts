/**
 * The fixture of the runtime rebuild scenarios (packages/testing/README.md): the seed's two programs, a plugin declaring their
 * surface, an echo tool and the scripted model. No vitest import: child worker processes use it too.
 *
 * @since 0.1.0
 */
import { definePlugin, defineTool, type LashPlugin } from "@lash/core"
import { HostCatalog, LashlangAbilities, NamedDataType, TypeExpr } from "@lash/lashlang"
import { Effect, Either, Schema } from "effect"
import { TestProvider } from "./TestProvider.js"

/** The seed's clock program: registers `remember` on `clock.Alarm({ at: "08:00" })`. @since 0.1.0 */
export const CLOCK_TRIGGER_PROGRAM = `process remember(tick: clock.Tick) {
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
submit "registered"`

/** The seed's button program: registers `remember_button` on `ui.button.pressed({})`. @since 0.1.0 */
export const BUTTON_TRIGGER_PROGRAM = `process remember_button(event: ui.button.Pressed) {
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
submit "registered"`

const orThrow = <A>(e: Either.Either<A, unknown>): A => Either.getOrThrowWith(e, (l) => new Error(String(l)))

/** The surface of the rebuild scenarios: `clock.Alarm` and `ui.button.pressed` sources, the `triggers` ability. */
export const rebuildSurfacePlugin: LashPlugin = (() => {
  const tick = orThrow(
    NamedDataType.object("clock.Tick", [
      TypeExpr.field("id", TypeExpr.str),
      TypeExpr.field("scheduled_at", TypeExpr.str)
    ])
  )
  const pressed = orThrow(
    NamedDataType.object("ui.button.Pressed", [
      TypeExpr.field("button", TypeExpr.str),
      TypeExpr.field("message", TypeExpr.str),
      TypeExpr.field("pressed_at", TypeExpr.str)
    ])
  )
  const catalog = orThrow(
    Either.flatMap(
      HostCatalog.addTriggerSource(
        HostCatalog.empty,
        ["clock", "Alarm"],
        TypeExpr.object([TypeExpr.field("at", TypeExpr.str)]),
        tick
      ),
      (c) => HostCatalog.addTriggerSource(c, ["ui", "button", "pressed"], TypeExpr.object([]), pressed)
    )
  )
  return definePlugin({
    id: "rebuild-surface",
    lashlang: { abilities: LashlangAbilities.none.withTriggers().withProcesses(), catalog },
    triggerEvents: [
      { resourceType: "Clock", alias: "clock", event: "Alarm", payloadSchema: { type: "object" } },
      { resourceType: "Button", alias: "ui.button", event: "pressed", payloadSchema: { type: "object" } }
    ],
    build: () => Effect.succeed({ register: () => Effect.void })
  })
})()

/** `rebuild_echo({ value })` → `{ value }`. @since 0.1.0 */
export const echoTool = defineTool({
  name: "rebuild_echo",
  description: "Echoes its value",
  input: Schema.Struct({ value: Schema.String }),
  output: Schema.Struct({ value: Schema.String }),
  execute: ({ value }) => Effect.succeed({ value })
})

/** Wraps code in a ```lashlang fence. @since 0.1.0 */
export const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** The scripted model of the scenarios: the registering prompts get the seed programs; a child turn submits. */
/** The scripted model of the scenarios. @since 0.1.0 */
export const rebuildProvider = () =>
  TestProvider.builder()
    .complete((req) => {
      const prompt = req.messages.find((m) => m.role === "user")?.content ?? ""
      if (prompt.includes("register rebuild button trigger")) return fence(BUTTON_TRIGGER_PROGRAM)
      if (prompt.includes("register rebuild trigger")) return fence(CLOCK_TRIGGER_PROGRAM)
      return fence("submit \"child done\"")
    })
    .build()
