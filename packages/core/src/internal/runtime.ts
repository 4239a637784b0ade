/**
 * The shared state of one core: its services, config, plugins, locks and fibers. Every internal module receives it.
 *
 * @internal
 */
import type { Effect, FiberSet, Option } from "effect"
import type { ArtifactStoreService } from "../ArtifactStore.js"
import type { EffectControllerService } from "../EffectController.js"
import type { EffectJournalService } from "../EffectJournal.js"
import type { SessionId } from "../Identifiers.js"
import type { LanguageModelProviderService } from "../LanguageModel.js"
import type { LashPlugin } from "../Plugin.js"
import type { ProcessEnvStoreService } from "../ProcessEnvStore.js"
import type { ProcessRegistryService } from "../ProcessRegistry.js"
import type { SessionStoreService } from "../SessionStore.js"
import type { StorageInfoService } from "../StorageInfo.js"
import type { TriggerStoreService } from "../TriggerStore.js"
import type { NormalizedConfig } from "./config.js"

/** One core's runtime state. */
export interface CoreRuntime {
  readonly cfg: NormalizedConfig
  readonly instanceId: string
  readonly store: SessionStoreService
  readonly registry: ProcessRegistryService
  readonly envs: ProcessEnvStoreService
  readonly triggers: TriggerStoreService
  readonly artifacts: ArtifactStoreService
  readonly journal: EffectJournalService
  readonly info: StorageInfoService
  readonly provider: LanguageModelProviderService
  readonly controller: EffectControllerService
  /** The config's plugins plus the internal "embed-tools" plugin carrying `config.tools`, in order. */
  readonly plugins: ReadonlyArray<LashPlugin>
  /** Mints an id through the `IdGenerator` captured at build, or a random UUID. */
  readonly nextId: (kind: string) => Effect.Effect<string>
  /** Runs `effect` holding the session's lock (one `Semaphore(1)` per session id in this core). */
  readonly withSessionLock: <A, E, R>(sessionId: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Runs `effect` with the session's lock if it is free; `None` if it is busy. */
  readonly tryWithSessionLock: <A, E, R>(
    sessionId: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E, R>
  /** The core's fibers; closing the core interrupts them. */
  readonly fibers: FiberSet.FiberSet<unknown, unknown>
  /** Runs after every committed turn (set once the drivers exist): forks a drain when work is pending. */
  afterCommit: (sessionId: SessionId) => Effect.Effect<void>
}
