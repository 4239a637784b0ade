/**
 * lash-backend-laggy: an example third-party backend. It serves every storage port from a store of its own
 * (here the memory store) behind a simulated network hop: each call first waits a random few hundred
 * microseconds of real time, so concurrent callers interleave the way they do against a remote database. That is
 * exactly what the conformance kit's races are for.
 *
 * @since 0.1.0
 */
import { MemoryBackend } from "@lash/backend-memory"
import {
  ArtifactStore,
  EffectJournal,
  type LashStorage,
  ProcessEnvStore,
  ProcessRegistry,
  SessionStore,
  StorageInfo,
  StorageSignals,
  TriggerStore
} from "@lash/core"
import { Context, Effect, Layer } from "effect"

/** A real-time pause (not Clock: network latency does not stop when a test freezes time). */
const hop = (maxMicros: number) =>
  Effect.promise(() =>
    new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMicros) / 1000))
  )

/** Delays every method of a service that returns an Effect. */
const laggy = <S extends object>(service: S, maxMicros: number): S =>
  Object.fromEntries(
    Object.entries(service).map(([key, value]) => [
      key,
      typeof value === "function"
        ? (...args: Array<unknown>) =>
          Effect.zipRight(hop(maxMicros), (value as (...a: Array<unknown>) => Effect.Effect<unknown>)(...args))
        : value
    ])
  ) as S

/**
 * The backend layer: one private store per build, every port delayed.
 *
 * @since 0.1.0
 */
export const LaggyBackend = {
  layer: (options: { readonly maxMicros?: number } = {}): Layer.Layer<LashStorage | StorageSignals> =>
    Layer.scopedContext(
      Effect.map(Layer.build(MemoryBackend.layer()), (ctx) => {
        const us = options.maxMicros ?? 500
        return Context.empty().pipe(
          Context.add(SessionStore, laggy(Context.get(ctx, SessionStore), us)),
          Context.add(ProcessRegistry, laggy(Context.get(ctx, ProcessRegistry), us)),
          Context.add(TriggerStore, laggy(Context.get(ctx, TriggerStore), us)),
          Context.add(ProcessEnvStore, laggy(Context.get(ctx, ProcessEnvStore), us)),
          Context.add(ArtifactStore, laggy(Context.get(ctx, ArtifactStore), us)),
          Context.add(EffectJournal, laggy(Context.get(ctx, EffectJournal), us)),
          Context.add(StorageInfo, { ...Context.get(ctx, StorageInfo), name: "laggy" }),
          Context.add(StorageSignals, Context.get(ctx, StorageSignals))
        )
      })
    )
}
