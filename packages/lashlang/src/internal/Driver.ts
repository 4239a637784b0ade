/**
 * The host driver (docs/lashlang.md, "The host boundary"): runs a compiled program, hands each host operation it
 * yields to `host.perform` and feeds the result back. A `HostFailure` becomes a result the program sees
 * (`{ ok: false, error }`); any other failure of the host ends the execution with that failure, typed. A host
 * result enters the program only after it is admitted (within the limits, strings well formed); one that is past a
 * limit is a failed result naming the limit. Aggregate `await` performs its calls concurrently, bounded.
 *
 * @internal
 */
import { Effect } from "effect"
import type { LashlangRuntimeError } from "../Errors.js"
import { HostFailure } from "../Errors.js"
import type { HostOperation, LashlangHost } from "../Host.js"
import type { Value } from "../Value.js"
import { Fault, toRuntimeError, truncateHostText } from "./Fault.js"
import type { HostResult } from "./Operations.js"
import type { Answer, ExecG, Request, Run } from "./Run.js"

/** How a program run ended: it completed (its completion code), or a runtime error stopped it. */
export type Completion =
  | { readonly _tag: "Completed" }
  | { readonly _tag: "Faulted"; readonly error: LashlangRuntimeError }

/** Runs `program` against `host`; a failure of `perform` other than `HostFailure` fails the returned Effect. */
export const drive = <E, R>(
  run: Run,
  program: ExecG,
  host: LashlangHost<E, R>
): Effect.Effect<Completion, Exclude<E, HostFailure>, R> => {
  const isHostFailure = (e: E): e is Extract<E, HostFailure> => e instanceof HostFailure
  const admitted = (v: Value): HostResult => {
    try {
      return { ok: true, value: run.shapes.admit(v, true) }
    } catch (e) {
      if (e instanceof Fault) return { ok: false, error: `the result is not usable: ${e.message}` }
      throw e
    }
  }
  const performOne = (op: HostOperation): Effect.Effect<HostResult, Exclude<E, HostFailure>, R> =>
    host.perform(op).pipe(
      Effect.map(admitted),
      Effect.catchIf(
        isHostFailure,
        (f) => Effect.succeed<HostResult>({ ok: false, error: truncateHostText((f as HostFailure).message) })
      )
    ) as Effect.Effect<HostResult, Exclude<E, HostFailure>, R>
  return Effect.gen(function*() {
    const gen = program()
    let answer: Answer | undefined = undefined
    for (;;) {
      let step: IteratorResult<Request, number>
      try {
        step = answer === undefined ? gen.next() : gen.next(answer)
      } catch (thrown) {
        return { _tag: "Faulted", error: toRuntimeError(thrown, run.location.current()) } satisfies Completion
      }
      if (step.done === true) return { _tag: "Completed" } satisfies Completion
      const request: Request = step.value
      const started = run.budget.now()
      answer = request._tag === "one"
        ? yield* performOne(request.op)
        : yield* Effect.forEach(request.ops, performOne, { concurrency: run.limits.aggregateConcurrency })
      run.budget.hostTime(run.budget.now() - started)
    }
  })
}
