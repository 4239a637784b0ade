/**
 * Change signals and the blocking waits built on them. The engine publishes a signal after each unit that changed
 * something commits, and republishes the driver's `changes` (other processes' commits); waiters subscribe first, then
 * check, then re-check only on a signal that concerns them. Signals are hints: a missed one costs latency, never
 * correctness, because a driver whose writers are not all in this process publishes `poll` for what it cannot
 * announce.
 *
 * @since 0.1.0
 */
import type { Queue } from "effect"
import { Effect, Option, PubSub } from "effect"
import type { ProcessId } from "../Identifiers.js"
import type { StorageSignal } from "../StorageInfo.js"

/**
 * The signals that can change the answer of a wait for one of a process's events.
 *
 * @since 0.1.0
 */
export const concernsProcessEvents = (processId: ProcessId) => (signal: StorageSignal): boolean =>
  signal.kind === "poll" || (signal.kind === "process_event" && signal.processId === processId)

/**
 * The signals that can change the answer of a wait for a process to end.
 *
 * @since 0.1.0
 */
export const concernsProcessEnd = (processId: ProcessId) => (signal: StorageSignal): boolean =>
  signal.kind === "poll" || (signal.kind === "process_terminal" && signal.processId === processId)

const takeRelevant = (
  subscription: Queue.Dequeue<StorageSignal>,
  relevant: (signal: StorageSignal) => boolean
): Effect.Effect<void> =>
  Effect.flatMap(subscription.take, (signal) => (relevant(signal) ? Effect.void : takeRelevant(subscription, relevant)))

/**
 * A blocking wait over a signal hub: subscribe, then `check`, then re-check after each relevant signal. With N
 * waiters, filtering is what keeps a write from costing N reads.
 *
 * @since 0.1.0
 */
export const waitFor = <A, E>(
  hub: PubSub.PubSub<StorageSignal>,
  relevant: (signal: StorageSignal) => boolean,
  check: Effect.Effect<Option.Option<A>, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function*() {
      const subscription = yield* PubSub.subscribe(hub)
      const next = takeRelevant(subscription, relevant)
      while (true) {
        const found = yield* check
        if (Option.isSome(found)) return found.value
        yield* next
      }
    })
  )
