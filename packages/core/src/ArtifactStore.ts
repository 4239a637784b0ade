/**
 * The `ArtifactStore` port: content-addressed Lashlang module artifacts.
 *
 * @since 0.1.0
 */
import type { ModuleArtifact } from "@lash/lashlang"
import { Context, type Effect, type Option } from "effect"
import type { StoreError } from "./Errors.js"
import type { DurabilityTier } from "./Model.js"

/** The service shape of {@link ArtifactStore}. @since 0.1.0 */
export interface ArtifactStoreService {
  readonly tier: DurabilityTier
  /** Insert-if-absent by `artifact.moduleRef`. */
  put(artifact: ModuleArtifact): Effect.Effect<void, StoreError>
  get(ref: string): Effect.Effect<Option.Option<ModuleArtifact>, StoreError>
}

/**
 * The artifact store port.
 *
 * @since 0.1.0
 */
export class ArtifactStore extends Context.Tag("@lash/core/ArtifactStore")<ArtifactStore, ArtifactStoreService>() {}
