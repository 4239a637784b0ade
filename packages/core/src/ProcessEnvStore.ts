/**
 * The `ProcessEnvStore` port: content-addressed execution envs, the only session-derived input a worker uses.
 *
 * @since 0.1.0
 */
import { Context, Effect, Option } from "effect"
import { ProcessEnvNotFound, type StoreError } from "./Errors.js"
import type { EnvRef } from "./Identifiers.js"
import { Ids } from "./Ids.js"
import type { DurabilityTier } from "./Model.js"
import type { ProcessExecutionEnvSpec } from "./Process.js"

/** The service shape of {@link ProcessEnvStore}. @since 0.1.0 */
export interface ProcessEnvStoreService {
  readonly tier: DurabilityTier
  /** Insert-if-absent; the first write wins. */
  put(ref: EnvRef, spec: ProcessExecutionEnvSpec): Effect.Effect<void, StoreError>
  get(ref: EnvRef): Effect.Effect<Option.Option<ProcessExecutionEnvSpec>, StoreError>
}

/**
 * The process env store port.
 *
 * @since 0.1.0
 */
export class ProcessEnvStore
  extends Context.Tag("@lash/core/ProcessEnvStore")<ProcessEnvStore, ProcessEnvStoreService>()
{}

/**
 * Persists an execution env under its content address and returns the ref to attach to a registration.
 *
 * @since 0.1.0
 */
export const persistProcessExecutionEnv = (
  spec: ProcessExecutionEnvSpec
): Effect.Effect<EnvRef, StoreError, ProcessEnvStore> =>
  Effect.flatMap(ProcessEnvStore, (store) => {
    const ref = Ids.envRef(spec)
    return Effect.as(store.put(ref, spec), ref)
  })

/**
 * Loads an execution env, failing with `ProcessEnvNotFound` when it was never stored.
 *
 * @since 0.1.0
 */
export const loadProcessExecutionEnv = (
  ref: EnvRef
): Effect.Effect<ProcessExecutionEnvSpec, StoreError | ProcessEnvNotFound, ProcessEnvStore> =>
  Effect.flatMap(ProcessEnvStore, (store) =>
    Effect.flatMap(
      store.get(ref),
      Option.match({
        onNone: () => Effect.fail(new ProcessEnvNotFound({ envRef: ref })),
        onSome: Effect.succeed
      })
    ))
