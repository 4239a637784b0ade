/**
 * The engine's side of a unit: every port call runs as one driver unit through here. It refuses work once the store
 * was closed (an escaped handle fails with `StoreUnavailable` caused by `StoreClosed`, on every driver, instead of
 * writing to a store nobody owns or failing three causes deep), reads the store's clock at most once per unit, and
 * collects the signals of the unit, announced to the driver before the unit ends and published to this process's
 * waiters after it committed.
 *
 * @since 0.1.0
 */
import { Data, Effect, PubSub } from "effect"
import { type StoreError, StoreUnavailable } from "../Errors.js"
import type { StorageSignal } from "../StorageInfo.js"
import type { ReadTransaction, StorageDriver, WriteTransaction } from "./Driver.js"

/**
 * The cause of the `StoreUnavailable` a port call fails with after the store's layer was released.
 *
 * @since 0.1.0
 */
export class StoreClosed extends Data.TaggedError("StoreClosed")<{ readonly store: string }> {
  override get message() {
    return "the store was closed"
  }
}

/** What a unit's body works with. @since 0.1.0 */
export interface Unit<Tx extends ReadTransaction> {
  readonly tx: Tx
  /** The store's clock, read once per unit (the first time it is asked for). */
  readonly now: Effect.Effect<number, StoreError>
  /** Records a signal to publish when the unit commits. */
  readonly signal: (signal: StorageSignal) => void
}

/** The unit runner of one engine instance. @since 0.1.0 */
export interface Units {
  readonly read: <A, E>(
    port: string,
    operation: string,
    body: (unit: Unit<ReadTransaction>) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | StoreError>
  readonly write: <A, E>(
    port: string,
    operation: string,
    body: (unit: Unit<WriteTransaction>) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | StoreError>
  /** The hub the engine's waiters subscribe to. */
  readonly hub: PubSub.PubSub<StorageSignal>
  /** From now on every unit fails with `StoreClosed`. */
  readonly close: Effect.Effect<void>
}

interface UnitState<Tx extends ReadTransaction> extends Unit<Tx> {
  readonly signals: Array<StorageSignal>
}

const makeUnit = <Tx extends ReadTransaction>(tx: Tx): UnitState<Tx> => {
  let nowMs: number | undefined
  const signals: Array<StorageSignal> = []
  return {
    tx,
    signals,
    now: Effect.suspend(() => nowMs !== undefined ? Effect.succeed(nowMs) : Effect.map(tx.now, (ms) => (nowMs = ms))),
    signal: (signal) => void signals.push(signal)
  }
}

/**
 * Builds the unit runner over a driver.
 *
 * @since 0.1.0
 */
export const make = (driver: StorageDriver): Effect.Effect<Units> =>
  Effect.map(PubSub.unbounded<StorageSignal>(), (hub) => {
    let closed = false
    const refuse = (port: string) =>
      Effect.fail(new StoreUnavailable({ port, cause: new StoreClosed({ store: driver.name }) }))
    const read: Units["read"] = (port, operation, body) =>
      Effect.suspend(() => closed ? refuse(port) : driver.read({ port, operation }, (tx) => body(makeUnit(tx))))
    const write: Units["write"] = <A, E>(
      port: string,
      operation: string,
      body: (unit: Unit<WriteTransaction>) => Effect.Effect<A, E>
    ) =>
      Effect.suspend(() => {
        if (closed) return refuse(port)
        // The driver may run the body more than once (contention retries): only the last run's signals count.
        let last: UnitState<WriteTransaction> | undefined
        const attempt = (tx: WriteTransaction) => {
          const unit = makeUnit(tx)
          last = unit
          const announce = tx.announce
          return announce === undefined
            ? body(unit)
            : Effect.tap(body(unit), () => (unit.signals.length === 0 ? Effect.void : announce(unit.signals)))
        }
        return Effect.tap(driver.write({ port, operation }, attempt), () =>
          last === undefined || last.signals.length === 0 ? Effect.void : PubSub.publishAll(hub, last.signals))
      })
    return { read, write, hub, close: Effect.sync(() => void (closed = true)) }
  })
