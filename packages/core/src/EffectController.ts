/**
 * The `EffectController` port: the boundary every nondeterministic, reply-producing step crosses.
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { EffectCodec, EffectEnvelope, ExecutionScope } from "./Effects.js"
import type { EffectReplayConflict, InvalidExecutionScope, StoreError } from "./Errors.js"
import type { DurabilityTier } from "./Model.js"

/**
 * Effects bound to one execution scope. `local` may also fail with a storage error: that is infrastructure, not an
 * outcome, so it passes through and is never recorded (a retry runs the effect again).
 *
 * @since 0.1.0
 */
export interface ScopedEffects {
  readonly scope: ExecutionScope
  execute<A, E>(
    envelope: EffectEnvelope,
    codec: EffectCodec<A, E>,
    local: Effect.Effect<A, E | StoreError>
  ): Effect.Effect<A, E | EffectReplayConflict | StoreError>
}

/** The service shape of {@link EffectController}. @since 0.1.0 */
export interface EffectControllerService {
  readonly tier: DurabilityTier
  readonly kind: "inline" | "journaled"
  scoped(scope: ExecutionScope): Effect.Effect<ScopedEffects, InvalidExecutionScope>
}

/**
 * The effect controller port.
 *
 * @since 0.1.0
 */
export class EffectController
  extends Context.Tag("@lash/core/EffectController")<EffectController, EffectControllerService>()
{}
