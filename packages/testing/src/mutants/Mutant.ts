/**
 * Mutants: broken backends the kit must reject (packages/testing/README.md, "The kit can fail"). A mutant wraps any
 * correct backend's ports and breaks exactly one rule, so it depends on no backend's internals: the same mutant runs
 * over the memory, SQLite or your own backend, and `caughtBy` names the scenarios that must reject it with a
 * `ConformanceViolation` (never a crash), while passing on the unwrapped backend.
 *
 * @since 0.1.0
 */
import type { LashStorage } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import type { Handle } from "../conformance/Harness.js"
import type { StorageUnderTest } from "../StorageUnderTest.js"

/**
 * The port (or configuration) a mutant breaks; `driver` is a rule below the ports (a storage driver's units, its SQL,
 * its caches), as in a backend's own mutants. @since 0.1.0
 */
export type MutantPort =
  | "ProcessRegistry"
  | "SessionStore"
  | "TriggerStore"
  | "ProcessEnvStore"
  | "ArtifactStore"
  | "EffectJournal"
  | "StorageInfo"
  | "fresh"
  | "driver"

/** One broken backend. @since 0.1.0 */
export interface Mutant {
  readonly name: string
  readonly port: MutantPort
  /** The one rule it breaks. */
  readonly bug: string
  /** The scenarios that must reject it with a ConformanceViolation naming them. */
  readonly caughtBy: ReadonlyArray<string>
  /** The model-based scenario that also finds it, without any hand-written scenario (default seed and budget). */
  readonly foundByModel?: "MB-PR" | "MB-SS" | "MB-TS"
  /** The backend with the bug. */
  readonly apply: (backend: StorageUnderTest) => StorageUnderTest
}

/**
 * A mutant that wraps every handle: `perStore` runs once per fresh store (state a broken backend would keep in the
 * store), `perHandle` on every build of its layer (state it would keep per handle, such as a cache).
 *
 * @since 0.1.0
 */
export const wrapHandles = <S>(
  name: string,
  perStore: () => S,
  perHandle: (handle: Handle, store: S) => Handle
) =>
(backend: StorageUnderTest): StorageUnderTest => ({
  ...backend,
  name: `${backend.name}+${name}`,
  fresh: Effect.map(backend.fresh, (layer) => {
    const store = perStore()
    return Layer.scopedContext(
      Effect.map(Layer.build(layer), (handle) => perHandle(handle as Context.Context<LashStorage>, store))
    )
  })
})

/**
 * Replaces some methods of one port of a handle; the others (and the port's fields) are the real ones.
 *
 * @since 0.1.0
 */
export const override = <I, S extends object>(
  handle: Handle,
  tag: Context.Tag<I, S>,
  f: (real: S) => Partial<S>
): Handle => {
  const real = Context.get(handle as unknown as Context.Context<I>, tag)
  return Context.add(handle, tag, Object.assign(Object.create(real) as S, f(real))) as unknown as Handle
}
