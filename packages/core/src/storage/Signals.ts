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
import { Deferred, Effect, Effectable, FiberId, Option, PubSub, Scope } from "effect"
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
 * A registered callback of a wait ({@link SignalWait.listen}): no fiber blocks on it; the caller runs `check` itself
 * when told to.
 *
 * @since 0.1.0
 */
export interface Listening<A, E> {
  /** The wait's check, for the caller to run when its callback is called (or now, when `pending`). */
  readonly check: Effect.Effect<Option.Option<A>, E>
  /** The answer may already be there: check once now (a `waitFor`'s first check, a `watch` signalled meanwhile). */
  readonly pending: boolean
  /** Unregisters the callback: never called after this. */
  readonly stop: Effect.Effect<void>
}

/**
 * A wait of {@link Waiters}: run as an effect, a fiber blocks on it until `check` answers; or, in its callback form,
 * `listen` registers a callback the dispatcher calls (synchronously, it must not throw) on each signal concerning
 * the wait's key (or a `poll`), and the caller checks when it likes. One or the other, not both at once.
 *
 * @since 0.1.0
 */
export class SignalWait<A, E> extends Effectable.Class<A, E> {
  constructor(
    private readonly wait: Effect.Effect<A, E>,
    /** Registers `onSignal` (see {@link SignalWait}); the returned {@link Listening} unregisters it. */
    readonly listen: (onSignal: () => void) => Effect.Effect<Listening<A, E>>
  ) {
    super()
  }
  commit(): Effect.Effect<A, E> {
    return this.wait
  }
}

/**
 * True for a wait that has a callback form (one a {@link Waiters} answered, not an effect built on it).
 *
 * @since 0.1.0
 */
export const isSignalWait = <A, E>(wait: Effect.Effect<A, E>): wait is SignalWait<A, E> => wait instanceof SignalWait

/**
 * The engine's blocking waits ({@link waitFor}'s contract) over one subscription to the hub shared by every wait: a
 * wait registers under its key instead of subscribing (a subscription of its own cost more than the read it guards),
 * and one dispatcher fiber wakes the waits a signal concerns.
 *
 * @since 0.1.0
 */
export interface Waiters {
  /** Registers, then `check`s, then re-checks after each signal concerning `key` (or a `poll`). */
  readonly waitFor: <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => SignalWait<A, E>
  /**
   * Registers now (until the scope closes) and answers the wait, which `check`s only after a signal concerning `key`
   * (or a `poll`), never first: for a caller that knows the answer is none at registration.
   */
  readonly watch: <A, E>(
    key: WaitKey,
    check: Effect.Effect<Option.Option<A>, E>
  ) => Effect.Effect<SignalWait<A, E>, never, Scope.Scope>
  /** How many waits are registered now (blocked, checking or listened to): for tests. */
  readonly registered: () => number
}

/**
 * One registered wait: `resume` while it is blocked, `dirty` when a signal came while it was checking, `listener`
 * while it is listened to (`SignalWait.listen`), `gone` once unregistered.
 */
interface Waiter {
  dirty: boolean
  resume: ((next: Effect.Effect<void>) => void) | undefined
  listener: (() => void) | undefined
  gone: boolean
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
      if (waiter.listener !== undefined) return waiter.listener()
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

    const register = (k: string, listener?: () => void) =>
      Effect.sync((): Waiter => {
        const waiter: Waiter = { dirty: false, resume: undefined, listener, gone: false }
        const set = byKey.get(k)
        if (set === undefined) byKey.set(k, new Set([waiter]))
        else set.add(waiter)
        return waiter
      })
    const unregister = (k: string, waiter: Waiter) =>
      Effect.sync(() => {
        waiter.gone = true
        waiter.listener = undefined
        const set = byKey.get(k)
        if (set === undefined) return
        set.delete(waiter)
        if (set.size === 0) byKey.delete(k)
      })

    /** A callback registered afresh: the answer may be there already, so the caller checks first. */
    const listenFresh = <A, E>(k: string, check: Effect.Effect<Option.Option<A>, E>) => (onSignal: () => void) =>
      Effect.map(
        Effect.zipRight(start, register(k, onSignal)),
        (waiter): Listening<A, E> => ({ check, pending: true, stop: unregister(k, waiter) })
      )

    const waitFor: Waiters["waitFor"] = <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => {
      const k = keyOf(key.kind, key.processId)
      return new SignalWait(
        Effect.acquireUseRelease(
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
        ),
        listenFresh(k, check)
      )
    }
    const watch: Waiters["watch"] = <A, E>(key: WaitKey, check: Effect.Effect<Option.Option<A>, E>) => {
      const k = keyOf(key.kind, key.processId)
      return Effect.map(
        Effect.acquireRelease(Effect.zipRight(start, register(k)), (waiter) => unregister(k, waiter)),
        (waiter) =>
          new SignalWait(
            Effect.gen(function*() {
              while (true) {
                yield* next(waiter)
                const found = yield* check
                if (Option.isSome(found)) return found.value
              }
            }),
            // Already registered: the callback takes the wait's place, and a signal since registration is pending.
            (onSignal) =>
              Effect.suspend(() => {
                if (waiter.gone) return listenFresh(k, check)(onSignal)
                const pending = waiter.dirty || closed
                waiter.dirty = false
                waiter.listener = onSignal
                return Effect.succeed<Listening<A, E>>({
                  check,
                  pending,
                  stop: Effect.sync(() => {
                    if (waiter.listener === onSignal) waiter.listener = undefined
                  })
                })
              })
          )
      )
    }
    const registered = () => {
      let n = 0
      for (const set of byKey.values()) n += set.size
      return n
    }
    return { waitFor, watch, registered }
  })
