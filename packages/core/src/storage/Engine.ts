/**
 * The storage engine: every storage port, built once over a `StorageDriver`. A backend is a driver plus
 * `StorageEngine.layer(driver)`; its layer then provides `LashStorage`, `StorageSignals` and `StoreInspector`.
 *
 * The engine owns the store's lifetime on the port side: when the layer's scope closes, every later port call fails
 * with `StoreUnavailable` caused by `StoreClosed` ("the store was closed"), and blocked waiters wake to see it.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, PubSub, type Scope, Stream } from "effect"
import { ArtifactStore } from "../ArtifactStore.js"
import { EffectJournal } from "../EffectJournal.js"
import { ProcessEnvStore } from "../ProcessEnvStore.js"
import { ProcessRegistry } from "../ProcessRegistry.js"
import { SessionStore } from "../SessionStore.js"
import type { LashStorage } from "../Storage.js"
import { StorageInfo, StorageSignals } from "../StorageInfo.js"
import { StoreInspector } from "../StoreInspector.js"
import { TriggerStore } from "../TriggerStore.js"
import * as ContentStoresEngine from "./ContentStoresEngine.js"
import type { NodeReads, ProcessWrites, ReadTransaction, StorageDriver, WriteTransaction } from "./Driver.js"
import * as InspectorEngine from "./InspectorEngine.js"
import * as ProcessRegistryEngine from "./ProcessRegistryEngine.js"
import * as SessionStoreEngine from "./SessionStoreEngine.js"
import * as Signals from "./Signals.js"
import * as TriggerStoreEngine from "./TriggerStoreEngine.js"
import * as Unit from "./Unit.js"

/**
 * Every storage port, `StorageSignals` and the operator's `StoreInspector` over `driver`, for the current scope.
 *
 * @since 0.1.0
 */
export const make = (
  driver: StorageDriver
): Effect.Effect<Context.Context<LashStorage | StorageSignals | StoreInspector>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const units = yield* Unit.make(driver)
    // Before the closing finalizer below, so that theirs runs after it: the waits woken at close see the store closed.
    const waiters = yield* Signals.makeWaiters(units.hub)
    // Closed first, then a `poll`: blocked waiters re-check and fail with StoreClosed instead of hanging.
    yield* Effect.addFinalizer(() => Effect.zipRight(units.close, PubSub.publish(units.hub, { kind: "poll" })))
    if (driver.changes !== undefined) {
      yield* Stream.runForEach(driver.changes, (signal) => PubSub.publish(units.hub, signal)).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning(`storage ${driver.name}: the change stream stopped`, cause)),
        Effect.forkScoped
      )
    }
    const { tier } = driver
    return Context.empty().pipe(
      Context.add(SessionStore, SessionStoreEngine.make(units, tier)),
      Context.add(ProcessRegistry, ProcessRegistryEngine.make(units, tier, waiters)),
      Context.add(TriggerStore, TriggerStoreEngine.make(units, tier)),
      Context.add(ProcessEnvStore, ContentStoresEngine.makeEnvStore(units, tier)),
      Context.add(ArtifactStore, ContentStoresEngine.makeArtifactStore(units, tier)),
      Context.add(EffectJournal, ContentStoresEngine.makeJournal(units, tier)),
      Context.add(StorageInfo, { name: driver.name, tier, durabilityReport: driver.durabilityReport }),
      Context.add(StorageSignals, { subscribe: Stream.fromPubSub(units.hub) }),
      Context.add(StoreInspector, InspectorEngine.make(units))
    )
  })

/**
 * The layer of a backend: builds the driver (in the layer's scope) and the engine over it.
 *
 * @since 0.1.0
 */
export const layer = <E, R>(
  driver: Effect.Effect<StorageDriver, E, R>
): Layer.Layer<LashStorage | StorageSignals | StoreInspector, E, Exclude<R, Scope.Scope>> =>
  Layer.scopedContext(Effect.flatMap(driver, make))

/** A view of `table` whose optional fast path `name` reads as absent (the prototype keeps every other method). */
const without = <T extends object>(table: T, name: keyof T): T =>
  Object.create(table, { [name]: { value: undefined, enumerable: true } }) as T

/**
 * The same driver with its optional fast paths hidden (`nodes.ancestry`, `nodes.insertAll`, `processes.claimRunnable`,
 * `processes.updateRecordAndLease`, `immediate`), so the engine takes its generic path: the differential tests run a
 * driver both ways.
 *
 * @since 0.1.0
 */
export const withoutFastPaths = (driver: StorageDriver): StorageDriver => {
  const readView = (tx: ReadTransaction): ReadTransaction =>
    Object.create(tx, {
      nodes: { value: without<NodeReads>(tx.nodes, "ancestry"), enumerable: true },
      immediate: { value: undefined, enumerable: true }
    })
  const writeView = (tx: WriteTransaction): WriteTransaction =>
    Object.create(tx, {
      nodes: { value: without(without(tx.nodes, "ancestry"), "insertAll"), enumerable: true },
      immediate: { value: undefined, enumerable: true },
      processes: {
        value: without(without<ProcessWrites>(tx.processes, "claimRunnable"), "updateRecordAndLease"),
        enumerable: true
      }
    })
  const read: StorageDriver["read"] = (unit, body) => driver.read(unit, (tx) => body(readView(tx)))
  const write: StorageDriver["write"] = (unit, body) => driver.write(unit, (tx) => body(writeView(tx)))
  return Object.create(driver, { read: { value: read, enumerable: true }, write: { value: write, enumerable: true } })
}
