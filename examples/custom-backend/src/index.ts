/**
 * lash-backend-laggy: an example third-party backend written as a storage driver (docs/storage-drivers.md) over a
 * key-value store with optimistic transactions, behind a simulated network hop. The storage engine of `@lash/core`
 * turns the driver into every storage port; the conformance kit of `@lash/testing` verifies the result.
 *
 * @since 0.1.0
 */
import { type LashStorage, StorageEngine, type StorageSignals } from "@lash/core"
import { Effect, type Layer } from "effect"
import * as KeyValueDriver from "./KeyValueDriver.js"

export type { KeyValueDriverOptions } from "./KeyValueDriver.js"

/**
 * The backend layer: one private store per build.
 *
 * @since 0.1.0
 */
export const LaggyBackend = {
  layer: (options: KeyValueDriver.KeyValueDriverOptions = {}): Layer.Layer<LashStorage | StorageSignals> =>
    StorageEngine.layer(Effect.sync(() => KeyValueDriver.make(options)))
}
