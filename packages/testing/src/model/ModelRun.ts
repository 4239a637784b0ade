/**
 * Model-based conformance (packages/testing/README.md, "Model-based conformance"): fast-check generates sequences of
 * port calls (`fc.commands`), runs each sequence on a fresh store of the backend under test and on a small reference
 * model, and compares every answer. A difference is shrunk to a minimal sequence and reported as a
 * `ConformanceViolation` whose `actual` carries the sequence, the seed and the replay path.
 *
 * Budget and reproduction:
 * - `LASH_CONFORMANCE_SEED`: the seed (default a fixed one, so `pnpm test` is deterministic; `random` draws one and
 *   prints it);
 * - `LASH_CONFORMANCE_RUNS`: sequences per model (default 25, a few seconds per backend);
 * - `LASH_CONFORMANCE_PATH` and `LASH_CONFORMANCE_REPLAY`: with the seed, replay exactly the shrunk counterexample a
 *   failure printed (the message prints all three).
 *
 * fast-check is used through `effect/FastCheck`, the copy `@effect/vitest` uses, so the kit adds no dependency.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, FastCheck as fc, FiberRef, Layer, Option, Runtime, Scope } from "effect"
import type { Handle, Scenario, ScenarioContext, SuiteName } from "../conformance/Harness.js"
import { ConformanceViolation } from "../conformance/Violation.js"

/** The default seed of the model-based scenarios. @since 0.1.0 */
export const DEFAULT_SEED = 20_261_206

/** How many sequences a model runs, from which seed, optionally replaying one path. @since 0.1.0 */
export interface ModelBudget {
  readonly seed: number
  readonly numRuns: number
  readonly path?: string
  /** The `replayPath` fast-check prints with a shrunk command sequence (needed, with `path`, to replay it). */
  readonly replayPath?: string
  /** Report the first failing sequence as it is, without shrinking it (faster, less readable). */
  readonly noShrink?: boolean
}

/**
 * A budget that wins over the environment for the effects it wraps (`Effect.locally(modelBudgetOverride, budget)`):
 * the mutation tests pin the default seed so that what they show does not depend on the caller's environment.
 *
 * @since 0.1.0
 */
export const modelBudgetOverride: FiberRef.FiberRef<ModelBudget | undefined> = FiberRef.unsafeMake<
  ModelBudget | undefined
>(undefined)

/** The fast-check settings of this process: seed, runs and an optional replay path. @since 0.1.0 */
export const modelBudget = (): ModelBudget => {
  const rawSeed = process.env.LASH_CONFORMANCE_SEED
  const seed = rawSeed === undefined || rawSeed === ""
    ? DEFAULT_SEED
    : rawSeed === "random"
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(rawSeed)
  const runs = Number(process.env.LASH_CONFORMANCE_RUNS ?? "")
  const path = process.env.LASH_CONFORMANCE_PATH
  const replayPath = process.env.LASH_CONFORMANCE_REPLAY
  return {
    seed: Number.isFinite(seed) ? seed : DEFAULT_SEED,
    numRuns: Number.isFinite(runs) && runs > 0 ? runs : 25,
    ...(path === undefined || path === "" ? {} : { path }),
    ...(replayPath === undefined || replayPath === "" ? {} : { replayPath })
  }
}

/** One generated step: a port call on the store and the same call on the model, compared. @since 0.1.0 */
export interface ModelStep<M> {
  /** How the step prints in a counterexample. */
  readonly label: string
  /** False when the step does not apply to the model's state (fast-check then skips it). */
  readonly applies?: (model: M) => boolean
  /** Runs the call on `handle`, checks the answer against the model with `ctx`, and updates the model. */
  readonly run: (model: M, handle: Handle, ctx: ScenarioContext) => Effect.Effect<void, unknown>
}

interface Real {
  readonly handle: Handle
  readonly run: (effect: Effect.Effect<void, unknown>) => Promise<void>
}

class Step<M extends object> implements fc.AsyncCommand<M, Real, false> {
  constructor(private readonly step: ModelStep<M>, private readonly ctx: ScenarioContext) {}
  check(model: Readonly<M>): boolean {
    return this.step.applies?.(model as M) ?? true
  }
  run(model: M, real: Real): Promise<void> {
    return real.run(this.step.run(model, real.handle, this.ctx))
  }
  toString(): string {
    return this.step.label
  }
}

/** What a model-based scenario is made of. @since 0.1.0 */
export interface ModelDefinition<M extends object> {
  readonly id: string
  readonly suite: SuiteName
  readonly title: string
  /** The model of a fresh, empty store (it may read the clock). */
  readonly initial: Effect.Effect<M>
  /** The steps, as arbitraries. */
  readonly steps: ReadonlyArray<fc.Arbitrary<ModelStep<M>>>
  readonly maxSteps?: number
}

/** Turns a rejected step into the error fast-check records: the violation itself, or a readable error. */
const runStep = (runtime: Runtime.Runtime<never>) => (effect: Effect.Effect<void, unknown>): Promise<void> =>
  Runtime.runPromiseExit(runtime)(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return
    const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
    throw failure instanceof ConformanceViolation ? failure : new Error(Cause.pretty(exit.cause))
  })

/**
 * A catalog scenario that checks the backend against a model. It runs under TestClock: steps that advance time call
 * `TestClock.adjust`, and the model reads the same clock.
 *
 * @since 0.1.0
 */
export const modelScenario = <M extends object>(definition: ModelDefinition<M>): Scenario => ({
  id: definition.id,
  suite: definition.suite,
  title: definition.title,
  clock: "test",
  // Generous, and growing with LASH_CONFORMANCE_RUNS: a large budget on a slow store must not time out.
  timeoutMs: 60_000 + 2_000 * modelBudget().numRuns,
  run: (ctx) =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const run = runStep(runtime)
      const budget = (yield* FiberRef.get(modelBudgetOverride)) ?? modelBudget()
      if (process.env.LASH_CONFORMANCE_SEED === "random") {
        yield* Effect.sync(() =>
          console.log(`[${ctx.backend.name}] ${definition.id}: LASH_CONFORMANCE_SEED=${budget.seed}`)
        )
      }
      const steps = fc.commands(
        definition.steps.map((arb) => arb.map((step) => new Step(step, ctx))),
        {
          maxCommands: definition.maxSteps ?? 40,
          size: "max",
          ...(budget.replayPath === undefined ? {} : { replayPath: budget.replayPath })
        }
      )
      const property = fc.asyncProperty(steps, async (commands) => {
        const scope = await Runtime.runPromise(runtime)(Scope.make())
        try {
          const handle = await Runtime.runPromise(runtime)(
            Scope.extend(Effect.flatMap(ctx.backend.fresh, Layer.build), scope).pipe(Effect.orDie)
          )
          const model = await Runtime.runPromise(runtime)(definition.initial)
          await fc.asyncModelRun(() => ({ model, real: { handle, run } }), commands)
        } finally {
          await Runtime.runPromise(runtime)(Scope.close(scope, Exit.void))
        }
      })
      const details = yield* Effect.promise(() =>
        fc.check(property, {
          seed: budget.seed,
          numRuns: budget.numRuns,
          ...(budget.path === undefined ? {} : { path: budget.path }),
          ...(budget.noShrink === true ? { endOnFailure: true } : {})
        })
      )
      if (!details.failed) return
      const counterexample = details.counterexample?.[0]
      const replayPath = /replayPath="([^"]*)"/.exec(String(counterexample))?.[1]
      const replay = `seed ${details.seed}, path ${details.counterexamplePath}; reproduce with ` +
        `LASH_CONFORMANCE_SEED=${details.seed} LASH_CONFORMANCE_PATH=${details.counterexamplePath}` +
        (replayPath === undefined ? "" : ` LASH_CONFORMANCE_REPLAY=${replayPath}`)
      const error = details.errorInstance
      if (error instanceof ConformanceViolation) {
        return yield* Effect.fail(
          new ConformanceViolation({
            scenarioId: definition.id,
            invariant: `${error.invariant} (after a generated sequence of calls)`,
            expected: error.expected,
            actual: `${error.actual}\n  sequence: ${String(counterexample)}\n  replay:   ${replay}`
          })
        )
      }
      return yield* Effect.fail(
        new ConformanceViolation({
          scenarioId: definition.id,
          invariant: "every generated sequence of calls runs without an unexpected error",
          expected: "no error",
          actual: `${error instanceof Error ? error.message : String(error)}\n  sequence: ${
            String(counterexample)
          }\n  replay:   ${replay}`
        })
      )
    })
})
