/**
 * `IdGenerator`: the only source of randomness in lash, and `Failpoints`: named crash points for crash tests.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import { randomUUID } from "node:crypto"

/**
 * Mints fresh ids (turn ids, attempt ids, child session ids). Inject `IdGenerator.sequential` for reproducible runs.
 *
 * @since 0.1.0
 */
export class IdGenerator extends Context.Tag("@lash/core/IdGenerator")<
  IdGenerator,
  { next(kind: string): Effect.Effect<string> }
>() {
  /** Random UUIDs. */
  static readonly random: Layer.Layer<IdGenerator> = Layer.succeed(IdGenerator, {
    next: (kind) => Effect.sync(() => `${kind}-${randomUUID()}`)
  })
  /** `<prefix><kind>-<n>` with one counter per layer instance. */
  static sequential(prefix = ""): Layer.Layer<IdGenerator> {
    return Layer.effect(
      IdGenerator,
      Effect.map(Ref.make(0), (counter) => ({
        next: (kind: string) => Effect.map(Ref.updateAndGet(counter, (n) => n + 1), (n) => `${prefix}${kind}-${n}`)
      }))
    )
  }
}

/**
 * Mints an id through the `IdGenerator` in context, or a random UUID when none is provided.
 *
 * @since 0.1.0
 */
export const nextId = (kind: string): Effect.Effect<string> =>
  Effect.flatMap(
    Effect.serviceOption(IdGenerator),
    (gen) => gen._tag === "Some" ? gen.value.next(kind) : Effect.sync(() => `${kind}-${randomUUID()}`)
  )

/**
 * Named points where a crash test may kill the process. Read with `Effect.serviceOption`; absent = no-op.
 *
 * @since 0.1.0
 */
export class Failpoints
  extends Context.Tag("@lash/core/Failpoints")<Failpoints, { hit(name: string): Effect.Effect<void> }>()
{
  /** Does nothing. */
  static readonly noop: Layer.Layer<Failpoints> = Layer.succeed(Failpoints, { hit: () => Effect.void })
}

/**
 * Marks a failpoint.
 *
 * @since 0.1.0
 */
export const failpoint = (name: string): Effect.Effect<void> =>
  Effect.flatMap(Effect.serviceOption(Failpoints), (fp) => (fp._tag === "Some" ? fp.value.hit(name) : Effect.void))
