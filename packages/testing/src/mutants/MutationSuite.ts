/**
 * `mutationSuite(backend)`: runs every mutant of the kit over a backend (packages/testing/README.md, "The kit can
 * fail"). Each test asserts that the mutant is rejected by the scenario named in `caughtBy` with a
 * `ConformanceViolation` whose `scenarioId` is that scenario (a crash does not count), and that the same scenario
 * passes on the unmutated backend (the positive control).
 *
 * @since 0.1.0
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { catalog, runScenarioById, scenarioById } from "../conformance/Catalog.js"
import { timeoutOf } from "../conformance/Harness.js"
import { DEFAULT_SEED, modelBudgetOverride } from "../model/ModelRun.js"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import { mutants as all } from "./index.js"
import type { Mutant } from "./Mutant.js"

/**
 * One mutant against one scenario: fails unless the scenario rejects the mutant with a violation naming it and passes
 * on `backend`.
 *
 * @since 0.1.0
 */
export const expectCaught = (mutant: Mutant, scenarioId: string, backend: StorageUnderTest) =>
  Effect.gen(function*() {
    const verdict = yield* Effect.flip(runScenarioById(scenarioId, mutant.apply(backend)))
    expect(verdict._tag, `${mutant.name} must be caught as a violation, not a crash:\n${verdict.message}`).toBe(
      "ConformanceViolation"
    )
    expect(verdict.scenarioId).toBe(scenarioId)
    yield* runScenarioById(scenarioId, backend)
    return verdict
  })

/**
 * Registers one test per (mutant, catching scenario) for `backend`.
 *
 * @since 0.1.0
 */
export const mutationSuite = (
  backend: StorageUnderTest,
  options: { readonly mutants?: ReadonlyArray<Mutant> } = {}
): void =>
  void describe(`${backend.name}: the kit rejects every mutant`, () => {
    for (const mutant of options.mutants ?? all) {
      for (const id of mutant.caughtBy) {
        const scenario = scenarioById(id, backend)
        if (scenario === undefined) throw new Error(`mutant ${mutant.name} names an unknown scenario ${id}`)
        const title = `${id} rejects ${mutant.name} (${mutant.port}): ${mutant.bug}`
        const run = () => Effect.asVoid(expectCaught(mutant, id, backend))
        const timeout = 2 * timeoutOf(scenario, backend)
        if (scenario.clock === "test") it.scoped(title, run, timeout)
        else it.scopedLive(title, run, timeout)
      }
      const model = mutant.foundByModel
      if (model !== undefined) {
        // The model finds the bug on its own: no hand-written scenario involved. The seed and budget are pinned, so
        // what this shows does not depend on LASH_CONFORMANCE_SEED, and the first failing sequence is enough (no
        // shrinking). The model's positive control is the conformance run of the same backend.
        it.scoped(
          `${model} finds ${mutant.name} without its hand-written scenario (${mutant.caughtBy.join(", ")})`,
          () =>
            Effect.gen(function*() {
              const verdict = yield* Effect.flip(runScenarioById(model, mutant.apply(backend))).pipe(
                Effect.locally(modelBudgetOverride, { seed: DEFAULT_SEED, numRuns: 100, noShrink: true })
              )
              expect(verdict._tag, `${model} must report ${mutant.name} as a violation:\n${verdict.message}`).toBe(
                "ConformanceViolation"
              )
              expect(verdict.scenarioId).toBe(model)
            }),
          timeoutOf(catalog.get(model)!, backend)
        )
      }
    }
  })
