/**
 * Durable waits of a Lashlang process (docs/lashlang.md, "Sleep and signals"; docs/architecture.md, "Processes and
 * leases"). A run reads its process's event log; a `sleep` records its deadline once as a `process.sleep` event keyed
 * by its site, and a `wait_signal` takes the next `process.signal` of its name in log order. When the deadline has not
 * come or no signal is there, the run stops with `ProcessParked` and the worker parks the process without a lease;
 * the process runs again from the start (replaying: journaled effects and keyed events are not repeated) when it is
 * due. So a restart before a deadline neither repeats nor shortens it, and a replay after it does not sleep again.
 *
 * @internal
 */
import { HostFailure, Value } from "@lash/lashlang"
import { Clock, Effect } from "effect"
import type { StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { ProcessEvent } from "../Process.js"
import type { CoreRuntime } from "./runtime.js"
import { SIGNAL_EVENT, type SignalEventPayload } from "./signals.js"
import { ProcessParked } from "./worker.js"

const SLEEP_EVENT = "process.sleep"

type SleepPayload = { readonly mode: "for"; readonly millis: number } | {
  readonly mode: "until"
  readonly untilMs: number
}

/** The deadline a recorded sleep stands for: `for` counts from the event's time on the store's clock. */
const deadlineOf = (event: ProcessEvent): number => {
  const payload = event.payload as unknown as SleepPayload
  return payload.mode === "for" ? event.occurredAtMs + payload.millis : payload.untilMs
}

/** The durable waits of one process run. */
export const makeDurableWaits = (core: CoreRuntime, processId: ProcessId) => {
  const log: Array<ProcessEvent> = []
  let lastSequence = 0
  let loaded = false
  /** How many `wait_signal(name)` this run has passed, per name. */
  const consumed = new Map<string, number>()

  const refresh = Effect.gen(function*() {
    const fresh = yield* core.registry.eventsAfter(processId, lastSequence).pipe(
      Effect.catchTag("ProcessNotFound", () => Effect.fail(new HostFailure({ message: "process not found" })))
    )
    for (const event of fresh) {
      log.push(event)
      lastSequence = Math.max(lastSequence, event.sequence)
    }
    loaded = true
  })

  /**
   * Stops the run so the worker parks the process, with the log read to its end (`fresh`: it just was): the worker
   * parks it only if nothing newer exists by then. A cancel request already in the log is left to the worker's cancel watch.
   */
  const park = (reason: "sleep" | "signal", untilMs: number | null, fresh: boolean) =>
    Effect.gen(function*() {
      if (!fresh) yield* refresh
      if (log.some((e) => e.eventType === "process.cancel_requested")) return yield* Effect.never
      return yield* Effect.fail(new ProcessParked(reason, untilMs, lastSequence))
    })

  const sleep = (
    siteKey: string,
    mode: "for" | "until",
    millis: number
  ): Effect.Effect<Value.Value, HostFailure | StoreError | ProcessParked> =>
    Effect.gen(function*() {
      if (!loaded) yield* refresh
      let event = log.find((e) => e.eventType === SLEEP_EVENT && e.replayKey === siteKey)
      if (event === undefined) {
        const rounded = Math.max(0, Math.round(millis))
        const payload: SleepPayload = mode === "for"
          ? { mode, millis: rounded }
          : { mode, untilMs: (yield* Clock.currentTimeMillis) + rounded }
        const appended = yield* core.registry.appendEvent(processId, {
          eventType: SLEEP_EVENT,
          payload: payload as unknown as Json,
          replayKey: siteKey
        }).pipe(
          Effect.catchTags({
            ProcessNotFound: () => Effect.fail(new HostFailure({ message: "process not found" })),
            ProcessEventRejected: (e) => Effect.fail(new HostFailure({ message: `sleep not recorded: ${e.reason}` }))
          })
        )
        event = appended.event
        log.push(event)
        lastSequence = Math.max(lastSequence, event.sequence)
      }
      const deadline = deadlineOf(event)
      if ((yield* Clock.currentTimeMillis) >= deadline) return null
      return yield* park("sleep", deadline, false)
    })

  const waitSignal = (name: string): Effect.Effect<Value.Value, HostFailure | StoreError | ProcessParked> =>
    Effect.gen(function*() {
      const index = consumed.get(name) ?? 0
      consumed.set(name, index + 1)
      const find = () =>
        log.filter((e) => e.eventType === SIGNAL_EVENT && (e.payload as unknown as SignalEventPayload).name === name)[
          index
        ]
      let event = loaded ? find() : undefined
      if (event === undefined) {
        // Signals may have arrived since the log was read.
        yield* refresh
        event = find()
      }
      if (event !== undefined) return Value.fromJson((event.payload as unknown as SignalEventPayload).payload)
      // The log was just read to its end: a signal appended after that unparks (or prevents) the park.
      return yield* park("signal", null, true)
    })

  return { sleep, waitSignal }
}
