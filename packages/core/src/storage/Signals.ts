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
import { Deferred, Effect, FiberId, Option, PubSub, Scope } from "effect"
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

/**
 * What a keyed wait waits for: an event of the process, or its end. A `poll` concerns every wait.
 *
 * @since 0.1.0
 */
export interface WaitKey {
  readonly kind: "process_event" | "process_terminal"
  readonly processId: ProcessId
}

/**
 * The engine's blocking waits ({@link waitFor}'s contract) over one subscription to the hub shared by every wait: a
 * wait registers under its key instead of subscribing (a subscription of its own cost more than the read it guards),
 * and one dispatcher fiber wakes the waits a signal concerns.
 *
 * @since 0.1.0
 */
export interface Waiters {
  /** Registers, then `check`s, then re-checks after each signal concerning `key` (or a `poll`). */
  readonly waitFor: <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => Effect.Effect<A, E>
  /**
   * Registers now (until the scope closes) and answers the wait, which `check`s only after a signal concerning `key`
   * (or a `poll`), never first: for a caller that knows the answer is none at registration.
   */
  readonly watch: <A, E>(
    key: WaitKey,
    check: Effect.Effect<Option.Option<A>, E>
  ) => Effect.Effect<Effect.Effect<A, E>, never, Scope.Scope>
}

/** One registered wait: `resume` while it is blocked, `dirty` when a signal came while it was checking. */
interface Waiter {
  dirty: boolean
  resume: ((next: Effect.Effect<void>) => void) | undefined
}

const keyOf = (kind: WaitKey["kind"], processId: string) => `${kind}\u0000${processId}`

/**
 * Builds the waiters of a hub in the current scope. The subscription and its dispatcher start with the first wait
 * (an engine nobody waits on pays nothing per commit). When the scope closes every wait is woken for a last check,
 * and later ones re-check instead of blocking: create the waiters before the finalizer that closes the store, so that
 * their finalizer runs after it and the last check sees the store closed.
 *
 * @since 0.1.0
 */
export const makeWaiters = (hub: PubSub.PubSub<StorageSignal>): Effect.Effect<Waiters, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const byKey = new Map<string, Set<Waiter>>()
    let closed = false
    /** Set by the first wait; done once the subscription exists (`ready`). */
    let started: Deferred.Deferred<void> | undefined
    let ready = false

    const wake = (waiter: Waiter) => {
      const resume = waiter.resume
      if (resume === undefined) {
        waiter.dirty = true
        return
      }
      waiter.resume = undefined
      resume(Effect.void)
    }
    const wakeAll = () => {
      for (const set of byKey.values()) for (const waiter of set) wake(waiter)
    }
    const deliver = (signal: StorageSignal) => {
      if (signal.kind === "poll") return wakeAll()
      if (signal.kind !== "process_event" && signal.kind !== "process_terminal") return
      const set = byKey.get(keyOf(signal.kind, signal.processId))
      if (set !== undefined) { for (const waiter of set) wake(waiter) }
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        wakeAll()
      })
    )

    // Subscribed before the first wait's first check, so no signal after that check is missed.
    const start: Effect.Effect<void> = Effect.suspend(() => {
      if (ready) return Effect.void
      if (started !== undefined) return Deferred.await(started)
      const done = Deferred.unsafeMake<void>(FiberId.none)
      started = done
      return Scope.extend(PubSub.subscribe(hub), scope).pipe(
        // Forked from the wait's uninterruptible acquire: made interruptible, or closing the scope would hang on it.
        Effect.flatMap((subscription) =>
          Effect.forkIn(Effect.interruptible(Effect.forever(Effect.map(subscription.take, deliver))), scope)
        ),
        Effect.zipRight(Effect.sync(() => void (ready = true))),
        Effect.zipRight(Deferred.succeed(done, undefined)),
        Effect.asVoid
      )
    })

    const next = (waiter: Waiter): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (waiter.dirty || closed) {
          waiter.dirty = false
          resume(Effect.void)
          return
        }
        waiter.resume = resume
        return Effect.sync(() => void (waiter.resume = undefined))
      })

    const register = (k: string) =>
      Effect.sync((): Waiter => {
        const waiter: Waiter = { dirty: false, resume: undefined }
        const set = byKey.get(k)
        if (set === undefined) byKey.set(k, new Set([waiter]))
        else set.add(waiter)
        return waiter
      })
    const unregister = (k: string, waiter: Waiter) =>
      Effect.sync(() => {
        const set = byKey.get(k)
        if (set === undefined) return
        set.delete(waiter)
        if (set.size === 0) byKey.delete(k)
      })

    const waitFor: Waiters["waitFor"] = <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => {
      const k = keyOf(key.kind, key.processId)
      return Effect.acquireUseRelease(
        Effect.zipRight(start, register(k)),
        (waiter) =>
          Effect.gen(function*() {
            while (true) {
              waiter.dirty = false
              const found = yield* check
              if (Option.isSome(found)) return found.value
              yield* next(waiter)
            }
          }),
        (waiter) => unregister(k, waiter)
      )
    }
    const watch: Waiters["watch"] = <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => {
      const k = keyOf(key.kind, key.processId)
      return Effect.map(
        Effect.acquireRelease(Effect.zipRight(start, register(k)), (waiter) => unregister(k, waiter)),
        (waiter) =>
          Effect.gen(function*() {
            while (true) {
              yield* next(waiter)
              const found = yield* check
              if (Option.isSome(found)) return found.value
            }
          })
      )
    }
    return { waitFor, watch }
  })
