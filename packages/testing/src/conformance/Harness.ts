/**
 * The conformance harness: scenarios, the typed violation a broken backend produces, and the runner the suites,
 * the mutation tests and other runners share.
 *
 * @since 0.1.0
 */
import type { DurabilityTier, LashStorage, StorageSignals } from "@lash/core"
import { Cause, type Context, Data, Effect, Exit, Layer, type Scope } from "effect"
import type { StorageUnderTest } from "../StorageUnderTest.js"

/** A broken contract: which scenario, which invariant, what was expected and what happened. @since 0.1.0 */
export class ConformanceViolation extends Data.TaggedError("ConformanceViolation")<{
  readonly scenarioId: string
  readonly invariant: string
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `[${this.scenarioId}] ${this.invariant}: expected ${this.expected}, got ${this.actual}`
  }
}

/** A scenario that failed with something other than a violation (a defect or an unexpected error). @since 0.1.0 */
export class ScenarioCrashed
  extends Data.TaggedError("ScenarioCrashed")<{ readonly scenarioId: string; readonly cause: Cause.Cause<unknown> }>
{
  override get message() {
    return `[${this.scenarioId}] crashed: ${Cause.pretty(this.cause)}`
  }
}

/** The services of one backend handle. @since 0.1.0 */
export type Handle = Context.Context<LashStorage | StorageSignals>

/** What a scenario receives. @since 0.1.0 */
export interface ScenarioContext {
  readonly scenarioId: string
  readonly tier: DurabilityTier
  /** The first handle on a fresh store. */
  readonly handle: Handle
  /** Opens another handle on the same store (a real reopen for durable backends). */
  readonly reopen: Effect.Effect<Handle, unknown, Scope.Scope>
  /** Fails with a violation unless `ok`. */
  readonly invariant: (
    text: string,
    ok: boolean,
    expected: unknown,
    actual: unknown
  ) => Effect.Effect<void, ConformanceViolation>
  /** Asserts `effect` fails with error `tag` (and `reason`, when given); returns the error. */
  readonly expectFailure: <A, E>(
    text: string,
    effect: Effect.Effect<A, E>,
    tag: string,
    reason?: string
  ) => Effect.Effect<E, ConformanceViolation>
  /** Runs `n` copies concurrently and returns each one's exit. */
  readonly race: <A, E>(
    n: number,
    f: (i: number) => Effect.Effect<A, E>
  ) => Effect.Effect<ReadonlyArray<Exit.Exit<A, E>>>
}

/** One scenario. @since 0.1.0 */
export interface Scenario {
  readonly id: string
  readonly suite:
    | "ProcessRegistry"
    | "RuntimePersistence"
    | "SessionLifecycle"
    | "TriggerStore"
    | "EnvAndArtifact"
    | "EffectJournal"
    | "EffectController"
    | "Backend"
  readonly title: string
  /** `test` runs under TestClock (the kit moves time); `live` on the real clock (races, blocking waits). */
  readonly clock: "test" | "live"
  /** Only for these tiers (default both). */
  readonly tiers?: ReadonlyArray<DurabilityTier>
  readonly run: (ctx: ScenarioContext) => Effect.Effect<void, unknown, Scope.Scope>
}

const show = (v: unknown): string => {
  try {
    return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v))
  } catch {
    return String(v)
  }
}

const contextFor = (
  scenarioId: string,
  backend: StorageUnderTest,
  layer: Layer.Layer<LashStorage | StorageSignals, unknown>,
  handle: Handle
): ScenarioContext => ({
  scenarioId,
  tier: backend.tier,
  handle,
  reopen: Layer.build(layer),
  invariant: (text, ok, expected, actual) =>
    ok
      ? Effect.void
      : Effect.fail(
        new ConformanceViolation({ scenarioId, invariant: text, expected: show(expected), actual: show(actual) })
      ),
  expectFailure: (text, effect, tag, reason) =>
    Effect.flatMap(Effect.either(effect), (r) => {
      const actualTag = r._tag === "Left" ? (r.left as { readonly _tag?: string })._tag : undefined
      const actualReason = r._tag === "Left" ? (r.left as { readonly reason?: string }).reason : undefined
      if (r._tag === "Left" && actualTag === tag && (reason === undefined || actualReason === reason)) {
        return Effect.succeed(r.left)
      }
      return Effect.fail(
        new ConformanceViolation({
          scenarioId,
          invariant: text,
          expected: reason === undefined ? `failure ${tag}` : `failure ${tag}(${reason})`,
          actual: r._tag === "Right"
            ? `success ${show(r.right)}`
            : `failure ${actualTag ?? show(r.left)}${actualReason === undefined ? "" : `(${actualReason})`}`
        })
      )
    }),
  race: (n, f) => Effect.all(Array.from({ length: n }, (_, i) => Effect.exit(f(i))), { concurrency: "unbounded" })
})

/**
 * Runs one scenario against a fresh store of `backend`. A broken contract fails with `ConformanceViolation`;
 * anything else (a defect, an unexpected error) with `ScenarioCrashed`, so mutation tests can tell them apart.
 *
 * @since 0.1.0
 */
export const runScenario = (
  scenario: Scenario,
  backend: StorageUnderTest
): Effect.Effect<void, ConformanceViolation | ScenarioCrashed, Scope.Scope> =>
  Effect.gen(function*() {
    const layer = yield* backend.fresh
    const handle: Handle = yield* Layer.build(layer)
    yield* scenario.run(contextFor(scenario.id, backend, layer, handle))
  }).pipe(
    Effect.catchAllCause((cause): Effect.Effect<never, ConformanceViolation | ScenarioCrashed> => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some" && failure.value instanceof ConformanceViolation) return Effect.fail(failure.value)
      return Effect.fail(new ScenarioCrashed({ scenarioId: scenario.id, cause }))
    })
  )

/** Asserts an exit succeeded with a value. @since 0.1.0 */
export const succeeded = <A, E>(exit: Exit.Exit<A, E>): exit is Exit.Success<A, E> => Exit.isSuccess(exit)
