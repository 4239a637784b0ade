/**
 * The conformance harness: scenarios, the typed violation a broken backend produces, and the runner the suites,
 * the mutation tests and other runners share (packages/testing/README.md, "How the kit runs a scenario").
 *
 * @since 0.1.0
 */
import type { DurabilityTier, LashStorage } from "@lash/core"
import {
  Cause,
  type Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Layer,
  Option,
  type Scope,
  type TestClock
} from "effect"
import type { StorageLayer, StorageUnderTest } from "../StorageUnderTest.js"
import { isolationAndReopen, isolationPrecheck } from "./Precheck.js"
import { ConformanceViolation, render, ScenarioCrashed } from "./Violation.js"

export { ConformanceViolation, ScenarioCrashed } from "./Violation.js"

/** The services of one backend handle (`StorageSignals`, when the backend has it, is in there too). @since 0.1.0 */
export type Handle = Context.Context<LashStorage>

/** The suites a scenario belongs to. @since 0.1.0 */
export type SuiteName =
  | "ProcessRegistry"
  | "RuntimePersistence"
  | "SessionLifecycle"
  | "TriggerStore"
  | "EnvAndArtifact"
  | "EffectJournal"
  | "EffectController"
  | "Backend"
  | "RuntimeRebuild"
  | "ModelBased"

/** What a scenario receives. @since 0.1.0 */
export interface ScenarioContext {
  readonly scenarioId: string
  readonly tier: DurabilityTier
  /** The backend's test configuration. */
  readonly backend: StorageUnderTest
  /** The first handle on a fresh store, open for the whole scenario. */
  readonly handle: Handle
  /** The layer `fresh` returned: building it is opening another handle on the same store. */
  readonly storage: StorageLayer
  /** Opens another live handle on the same store, in the scenario's scope. */
  readonly reopen: Effect.Effect<Handle, unknown, Scope.Scope>
  /** Runs `f` on a new handle in a scope of its own and closes that handle (finalizers run) before returning. */
  readonly closed: <A, E>(f: (handle: Handle) => Effect.Effect<A, E, Scope.Scope>) => Effect.Effect<A, unknown>
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
    reason?: string | ReadonlyArray<string>
  ) => Effect.Effect<E, ConformanceViolation>
  /**
   * Runs `n` contenders behind one start gate and returns each one's exit. Contenders alternate between the first
   * handle and a second live handle on the same store, so a race crosses connections.
   */
  readonly race: <A, E>(
    n: number,
    f: (i: number, handle: Handle) => Effect.Effect<A, E>
  ) => Effect.Effect<ReadonlyArray<Exit.Exit<A, E>>, unknown, Scope.Scope>
  /** Runs `effect`, which must succeed with a value that passes `check` (default: any); returns the value. */
  readonly expectSuccess: <A, E>(
    text: string,
    effect: Effect.Effect<A, E>,
    check?: (a: A) => boolean,
    expected?: unknown
  ) => Effect.Effect<A, ConformanceViolation>
  /** The value of `option`, or a violation naming `text` when it is `None`. */
  readonly some: <A>(text: string, option: Option.Option<A>) => Effect.Effect<A, ConformanceViolation>
  /** `ms` scaled by the backend's `timeoutScale`. */
  readonly scaled: (ms: number) => Duration.Duration
  /** Fails with a violation naming `text` unless `effect` completes within `ms` (scaled). */
  readonly within: <A, E>(
    text: string,
    ms: number,
    effect: Effect.Effect<A, E>
  ) => Effect.Effect<A, E | ConformanceViolation>
}

/** One scenario. @since 0.1.0 */
export interface Scenario {
  readonly id: string
  readonly suite: SuiteName
  readonly title: string
  /** `test` runs under TestClock (the kit moves time); `live` on the real clock (races, blocking waits). */
  readonly clock: "test" | "live"
  /** Only for these tiers (default both). */
  readonly tiers?: ReadonlyArray<DurabilityTier>
  /** What the backend must offer besides its ports; n/a without it (`tampering`: `StorageUnderTest.tampering`). */
  readonly needs?: ReadonlyArray<"tampering">
  /** The test timeout before `timeoutScale` (default 10 s under TestClock, 30 s live). */
  readonly timeoutMs?: number
  readonly run: (ctx: ScenarioContext) => Effect.Effect<void, unknown, Scope.Scope>
}

/** Where TestClock starts in every scenario: 2026-01-01T00:00:00Z. @since 0.1.0 */
export const T0 = 1_767_225_600_000

/** The test timeout of a scenario for a backend, in milliseconds. @since 0.1.0 */
export const timeoutOf = (scenario: Scenario, backend: StorageUnderTest): number =>
  backend.timeouts?.[scenario.id] ??
    Math.ceil((scenario.timeoutMs ?? (scenario.clock === "test" ? 10_000 : 30_000)) * (backend.timeoutScale ?? 1))

const tagOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "_tag" in e ? String((e as { readonly _tag: unknown })._tag) : undefined
const reasonOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "reason" in e ? String((e as { readonly reason: unknown }).reason) : undefined

/** Builds the context of one scenario over an open handle. @since 0.1.0 */
export const makeContext = (
  scenarioId: string,
  backend: StorageUnderTest,
  storage: StorageLayer,
  handle: Handle
): Effect.Effect<ScenarioContext> =>
  Effect.map(Effect.cached(Layer.build(storage)), (second): ScenarioContext => {
    const scale = backend.timeoutScale ?? 1
    const violation = (invariant: string, expected: unknown, actual: unknown) =>
      new ConformanceViolation({ scenarioId, invariant, expected: render(expected), actual: render(actual) })
    return {
      scenarioId,
      tier: backend.tier,
      backend,
      handle,
      storage,
      reopen: Layer.build(storage),
      closed: (f) => Effect.scoped(Effect.flatMap(Layer.build(storage), f)),
      invariant: (text, ok, expected, actual) => (ok ? Effect.void : Effect.fail(violation(text, expected, actual))),
      expectFailure: (text, effect, tag, reason) =>
        Effect.flatMap(Effect.either(effect), (r) => {
          const reasons = reason === undefined ? undefined : typeof reason === "string" ? [reason] : reason
          if (
            r._tag === "Left" && tagOf(r.left) === tag &&
            (reasons === undefined || reasons.includes(reasonOf(r.left) ?? ""))
          ) {
            return Effect.succeed(r.left)
          }
          const actualReason = r._tag === "Left" ? reasonOf(r.left) : undefined
          return Effect.fail(
            violation(
              text,
              reasons === undefined ? `failure ${tag}` : `failure ${tag}(${reasons.join(" | ")})`,
              r._tag === "Right"
                ? `success ${render(r.right)}`
                : `failure ${tagOf(r.left) ?? render(r.left)}${actualReason === undefined ? "" : `(${actualReason})`}`
            )
          )
        }),
      race: (n, f) =>
        Effect.gen(function*() {
          const other = yield* second
          const gate = yield* Deferred.make<void>()
          const contenders = Array.from(
            { length: n },
            (_, i) => Effect.zipRight(Deferred.await(gate), Effect.exit(f(i, i % 2 === 0 ? handle : other)))
          )
          const fiber = yield* Effect.fork(Effect.all(contenders, { concurrency: "unbounded" }))
          yield* Deferred.succeed(gate, undefined)
          return yield* fiber
        }),
      expectSuccess: (text, effect, check = () => true, expected = "success") =>
        Effect.flatMap(Effect.either(effect), (r) => {
          if (r._tag === "Right") {
            return check(r.right)
              ? Effect.succeed(r.right)
              : Effect.fail(violation(text, expected, r.right))
          }
          const why = reasonOf(r.left)
          return Effect.fail(
            violation(
              text,
              expected,
              `failure ${tagOf(r.left) ?? render(r.left)}${why === undefined ? "" : `(${why})`}`
            )
          )
        }),
      some: (text, option) =>
        Option.match(option, { onNone: () => Effect.fail(violation(text, "Some", "None")), onSome: Effect.succeed }),
      scaled: (ms) => Duration.millis(Math.ceil(ms * scale)),
      within: (text, ms, effect) =>
        Effect.flatMap(
          Effect.timeoutOption(effect, Duration.millis(Math.ceil(ms * scale))),
          Option.match({
            onNone: () => Effect.fail(violation(text, `completes within ${Math.ceil(ms * scale)} ms`, "still waiting")),
            onSome: Effect.succeed
          })
        )
    }
  })

/**
 * Runs one scenario against a fresh store of `backend`: the isolation and reopen precheck first (once per backend),
 * then the scenario on a new store. A broken contract fails with `ConformanceViolation`; anything else (a defect, an
 * unexpected error) with `ScenarioCrashed`, so mutation tests can tell them apart.
 *
 * @since 0.1.0
 */
export const runScenario = (
  scenario: Scenario,
  backend: StorageUnderTest
): Effect.Effect<void, ConformanceViolation | ScenarioCrashed, Scope.Scope> =>
  Effect.gen(function*() {
    yield* isolationAndReopen(backend, scenario.id)
    // Under TestClock, time starts at T0 so no backend can mistake 0 for "unset".
    yield* Effect.clockWith((clock) => ("setTime" in clock ? (clock as TestClock.TestClock).setTime(T0) : Effect.void))
    const storage = yield* backend.fresh
    const handle: Handle = yield* Layer.build(storage)
    yield* isolationPrecheck(handle, scenario.id)
    yield* scenario.run(yield* makeContext(scenario.id, backend, storage, handle))
  }).pipe(
    Effect.catchAllCause((cause): Effect.Effect<never, ConformanceViolation | ScenarioCrashed> => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some" && failure.value instanceof ConformanceViolation) return Effect.fail(failure.value)
      return Effect.fail(new ScenarioCrashed({ scenarioId: scenario.id, cause }))
    })
  )

/** Asserts an exit succeeded with a value. @since 0.1.0 */
export const succeeded = <A, E>(exit: Exit.Exit<A, E>): exit is Exit.Success<A, E> => Exit.isSuccess(exit)

/** The `_tag` of an exit's failure (`undefined` for a success or a defect). @since 0.1.0 */
export const failureTag = <A, E>(exit: Exit.Exit<A, E>): string | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Cause.failureOption(exit.cause), tagOf)) : undefined

/** Counts race exits by outcome: `ok`, or the failure tag (`defect` for a defect). @since 0.1.0 */
export const outcomes = <A, E>(exits: ReadonlyArray<Exit.Exit<A, E>>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const e of exits) {
    const key = Exit.isSuccess(e) ? "ok" : (failureTag(e) ?? "defect")
    out[key] = (out[key] ?? 0) + 1
  }
  return out
}
