/**
 * The union of storage ports a backend layer provides.
 *
 * @since 0.1.0
 */
import type { ArtifactStore } from "./ArtifactStore.js"
import type { EffectJournal } from "./EffectJournal.js"
import type { ProcessEnvStore } from "./ProcessEnvStore.js"
import type { ProcessRegistry } from "./ProcessRegistry.js"
import type { SessionStore } from "./SessionStore.js"
import type { StorageInfo } from "./StorageInfo.js"
import type { TriggerStore } from "./TriggerStore.js"

/**
 * Every storage port. A backend is ONE layer providing all of them over one backing store.
 *
 * @since 0.1.0
 */
export type LashStorage =
  | SessionStore
  | ProcessRegistry
  | ProcessEnvStore
  | TriggerStore
  | ArtifactStore
  | EffectJournal
  | StorageInfo
