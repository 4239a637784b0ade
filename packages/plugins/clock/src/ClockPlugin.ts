/**
 * `@lash/plugin-clock` as a plugin value: the `clock.Alarm({ at, tz? })` trigger-source constructor with its
 * `clock.Tick` event type, the `triggers` and `processes` abilities (a trigger target is a process declaration), and
 * the `clock.Alarm` trigger source declaration (which claims the source type; deliveries are validated against the
 * `clock.Tick` schema each registration stores).
 *
 * @since 0.1.0
 */
import { definePlugin, type LashPlugin } from "@lash/core"
import { HostCatalog, LashlangAbilities, NamedDataType, TypeExpr } from "@lash/lashlang"
import { Effect, Either } from "effect"
import { ALARM_SOURCE_TYPE } from "./ClockTriggers.js"

/** The event an alarm delivers: `{ id, scheduled_at }` (ISO minute, UTC). @since 0.1.0 */
export const ClockTick: NamedDataType = Either.getOrThrow(
  NamedDataType.object("clock.Tick", [TypeExpr.field("id", TypeExpr.str), TypeExpr.field("scheduled_at", TypeExpr.str)])
)

/** The config of `clock.Alarm`: `at` is `HH:MM`, `tz` an IANA zone (default UTC). @since 0.1.0 */
export const AlarmConfig: TypeExpr = TypeExpr.object([
  TypeExpr.field("at", TypeExpr.str),
  TypeExpr.field("tz", TypeExpr.str, { optional: true })
])

/** The Lashlang surface the plugin contributes. @since 0.1.0 */
export const clockCatalog: HostCatalog = Either.getOrThrow(
  HostCatalog.addTriggerSource(HostCatalog.empty, ["clock", "Alarm"], AlarmConfig, ClockTick)
)

/**
 * The clock plugin. Install it in every runtime that registers or runs alarm-triggered processes (workers refuse
 * to run a process whose plugins are missing); run `ClockTriggers.layer()` in the runtime that should emit.
 *
 * @since 0.1.0
 */
export const ClockPlugin: LashPlugin = definePlugin({
  id: "clock",
  version: "1",
  lashlang: { abilities: LashlangAbilities.none.withTriggers().withProcesses(), catalog: clockCatalog },
  triggerEvents: [
    {
      resourceType: "Clock",
      alias: "clock",
      event: "Alarm",
      payloadSchema: {
        type: "object",
        properties: { id: { type: "string" }, scheduled_at: { type: "string" } },
        required: ["id", "scheduled_at"]
      }
    }
  ],
  build: () => Effect.succeed({ register: () => Effect.void })
})

/** The source type string, for hosts that list registrations. @since 0.1.0 */
export const CLOCK_ALARM = ALARM_SOURCE_TYPE
