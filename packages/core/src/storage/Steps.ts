/**
 * Unit bodies written once, run in as few Effect steps as the driver allows. A body is a generator of Effects as with
 * `Effect.gen`; {@link gen} runs it the same way (each yielded effect in order, the first failure ends the body, a
 * throw is a defect), except that it takes in place, without going back to the fiber's run loop:
 *
 * - a yielded `Exit` (what `Effect.succeed`, `Effect.fail` and a decoded row are): its value, or the failure;
 * - a yielded {@link gen} effect: its generator, run inside the same loop;
 * - a yielded effect the transaction can run now (`ReadTransaction.immediate`, a synchronous driver's statement,
 *   packages/backends/sql/src/Statements.ts): its `Exit`.
 *
 * Anything else (the clock, a driver that answers later) goes through the run loop as `Effect.gen` would take it, and
 * the body resumes in this loop after it. So over a synchronous driver a turn commit's reads, checks and writes
 * (storage/CommitOrder.ts's order, kept: it is still one body yielding in that order) are plain calls inside one step;
 * over any other driver the body behaves as an `Effect.gen` body.
 *
 * @since 0.1.0
 */
import { Effect, Effectable, Exit } from "effect"
import { type YieldWrap, yieldWrapGet } from "effect/Utils"
import type { ReadTransaction } from "./Driver.js"

type AnyEffect = Effect.Effect<unknown, unknown, unknown>
type Body = Iterator<YieldWrap<AnyEffect>, unknown, unknown>

/** What runs a yielded effect now, if it can: the transaction's `immediate`. */
type Now = ReadTransaction["immediate"]

/** A {@link gen} body: run on its own, an `Effect.gen` body; yielded inside another loop, run in place there. */
class Gen extends Effectable.Class<unknown, unknown, unknown> {
  constructor(readonly body: () => Body) {
    super()
  }
  commit(): AnyEffect {
    return drive(undefined, [this.body()], undefined)
  }
}

/** Runs the innermost body of `stack` from `input` until the stack is done, a step fails, or one must wait. */
const drive = (now: Now, stack: Array<Body>, input: unknown): AnyEffect => {
  let value = input
  for (;;) {
    const body = stack[stack.length - 1]!
    let state: IteratorResult<YieldWrap<AnyEffect>, unknown>
    try {
      state = body.next(value)
    } catch (defect) {
      return Effect.die(defect)
    }
    if (state.done === true) {
      stack.pop()
      if (stack.length === 0) return Effect.succeed(state.value)
      value = state.value
      continue
    }
    const effect = yieldWrapGet(state.value)
    if (effect instanceof Gen) {
      stack.push(effect.body())
      value = undefined
      continue
    }
    // The driver's statements first: most of what a unit body yields.
    const exit = now?.(effect) ?? (Exit.isExit(effect) ? effect : undefined)
    if (exit === undefined) return Effect.flatMap(effect, (a) => drive(now, stack, a))
    if (Exit.isFailure(exit)) return exit
    value = exit.value
  }
}

type ErrorOf<Eff> = [Eff] extends [never] ? never
  : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer E, infer _R>>] ? E
  : never
type ContextOf<Eff> = [Eff] extends [never] ? never
  : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer _E, infer R>>] ? R
  : never

/**
 * A body that runs in place when an enclosing {@link unit} body (or another `gen`) yields it, taking the enclosing
 * unit's synchronous statements; run on its own it is an `Effect.gen` body.
 *
 * @since 0.1.0
 */
export const gen = <Eff extends YieldWrap<Effect.Effect<any, any, any>>, A>(
  f: () => Generator<Eff, A, never>
): Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>> => {
  return new Gen(f as () => Body) as Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>>
}

/**
 * The body of one unit over `tx`: the statements `tx` can run now are run in place (see the module comment).
 *
 * @since 0.1.0
 */
export const unit = <Eff extends YieldWrap<Effect.Effect<any, any, any>>, A>(
  tx: Pick<ReadTransaction, "immediate">,
  f: () => Generator<Eff, A, never>
): Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>> => {
  const body = f as () => Body
  const now = tx.immediate
  return Effect.suspend(() => drive(now, [body()], undefined)) as Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>>
}
