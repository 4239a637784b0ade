/**
 * The `EffectJournal` port: recorded effect outcomes by (scope, replay key). Never touched by session commits.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option } from "effect"
import type { JournalEntry } from "./Effects.js"
import type { StoreError } from "./Errors.js"
import type { DurabilityTier } from "./Model.js"

/** The service shape of {@link EffectJournal}. @since 0.1.0 */
export interface EffectJournalService {
  readonly tier: DurabilityTier
  lookup(scopeId: string, replayKey: string): Effect.Effect<Option.Option<JournalEntry>, StoreError>
  /** Insert-if-absent; returns the winning entry. */
  record(entry: JournalEntry): Effect.Effect<JournalEntry, StoreError>
}

/**
 * The effect journal port.
 *
 * @since 0.1.0
 */
export class EffectJournal extends Context.Tag("@lash/core/EffectJournal")<EffectJournal, EffectJournalService>() {}
