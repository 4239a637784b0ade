/**
 * The `clock.Alarm` emitter: a scoped fiber that, every `every` on Effect's Clock, emits one occurrence per alarm
 * source key for its most recent due time (never earlier ones). Emits are idempotent (`clock:<id>`), so a restart
 * re-emits at most the most recent due time, which is a no-op if it was delivered.
 *
 * @since 0.1.0
 */
import { LashCore, type TriggerRegistration } from "@lash/core"
import { Clock, Duration, Effect, Layer, Metric, Schedule } from "effect"
import { isoMinute, mostRecentDue, parseAlarm } from "./Schedule.js"

/** The source type of alarms. @since 0.1.0 */
export const ALARM_SOURCE_TYPE = "clock.Alarm"

const deliveryFailures = Metric.counter("lash_trigger_delivery_failures_total")

/** Options of the emitter. @since 0.1.0 */
export interface ClockTriggersOptions {
  /** How often to check for due alarms; default 30 seconds. */
  readonly every?: Duration.DurationInput
}

/**
 * One emitter cycle, exposed for tests and for hosts that drive it themselves. `emitted` remembers the last due
 * time emitted per source key for the life of the emitter.
 *
 * @since 0.1.0
 */
export const runCycle = (emitted: Map<string, number>, invalid: Set<string>) =>
  Effect.gen(function*() {
    const core = yield* LashCore
    const now = yield* Clock.currentTimeMillis
    const registrations = yield* core.triggers().list({ sourceType: ALARM_SOURCE_TYPE, enabled: true })
    const byKey = new Map<string, Array<TriggerRegistration>>()
    for (const r of registrations) byKey.set(r.sourceKey, [...(byKey.get(r.sourceKey) ?? []), r])
    for (const [sourceKey, regs] of byKey) {
      const source = regs[0]!.source
      const spec = parseAlarm(source)
      if (spec === undefined) {
        if (!invalid.has(sourceKey)) {
          invalid.add(sourceKey)
          yield* Effect.logWarning("clock.invalid_alarm", { sourceKey, source })
        }
        continue
      }
      const due = mostRecentDue(spec, now)
      if (due < Math.min(...regs.map((r) => r.createdAtMs))) continue
      if (emitted.get(sourceKey) === due) continue
      const scheduledAt = isoMinute(due)
      const id = `${sourceKey}@${scheduledAt}`
      const result = yield* Effect.either(
        core.triggers().emit({
          sourceType: ALARM_SOURCE_TYPE,
          sourceKey,
          source,
          payload: { id, scheduled_at: scheduledAt },
          idempotencyKey: `clock:${id}`
        })
      )
      if (result._tag === "Left") {
        yield* Metric.increment(deliveryFailures)
        yield* Effect.logWarning(`clock alarm ${id} delivery failed`, result.left)
        if (result.left._tag !== "TriggerDeliveryFailed") continue
      } else if (result.right.failures.length > 0) {
        yield* Metric.incrementBy(deliveryFailures, result.right.failures.length)
        yield* Effect.logWarning(`clock alarm ${id}: ${result.right.failures.length} deliveries failed`)
      }
      emitted.set(sourceKey, due)
    }
  })

/**
 * The emitter layer. It needs the core; its fiber ends when the layer's scope closes.
 *
 * @since 0.1.0
 */
export const ClockTriggers = {
  layer: (options: ClockTriggersOptions = {}): Layer.Layer<never, never, LashCore> =>
    Layer.scopedDiscard(
      Effect.gen(function*() {
        const emitted = new Map<string, number>()
        const invalid = new Set<string>()
        const cycle = runCycle(emitted, invalid).pipe(
          Effect.catchAll((e) => Effect.logWarning("clock emitter cycle failed", e))
        )
        yield* Effect.forkScoped(Effect.repeat(cycle, Schedule.spaced(options.every ?? Duration.seconds(30))))
      })
    )
}
