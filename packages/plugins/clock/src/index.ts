/**
 * @lash/plugin-clock: the `clock.Alarm` trigger source and the emitter that fires it.
 *
 * @since 0.1.0
 */
export * from "./ClockPlugin.js"
export * from "./ClockTriggers.js"
export * from "./Schedule.js"
