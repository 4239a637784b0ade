/**
 * What a backend hands to the conformance suites.
 *
 * @since 0.1.0
 */
import type { DurabilityTier, LashStorage, StorageSignals } from "@lash/core"
import type { Effect, Layer, Scope } from "effect"

/** The layer of one backend handle. @since 0.1.0 */
export type StorageLayer = Layer.Layer<LashStorage | StorageSignals, unknown>

/**
 * A backend under test.
 *
 * `fresh` creates a NEW, empty backing store in the current scope (a temp file, a schema, a map) and returns the
 * layer that opens a handle on it. Building that layer again opens a SECOND handle on the SAME store: for a
 * durable backend a real reopen (a new connection to the same file or database), for an inline backend the same
 * live store. Nothing may leak between two `fresh` stores: that is the isolation contract every suite relies on.
 *
 * @since 0.1.0
 */
export interface StorageUnderTest {
  readonly name: string
  readonly tier: DurabilityTier
  readonly fresh: Effect.Effect<StorageLayer, unknown, Scope.Scope>
  /** Scenario ids (e.g. `"RB-04"`) the backend legitimately lacks; they are reported as skipped, never passed. */
  readonly skip?: ReadonlyArray<string>
}
