/**
 * The interpreter (docs/lashlang.md, "Semantics" and "Performance"): `execute` runs a linked module, the top-level
 * program in foreground mode or one process in process mode. It builds the state of one run (budget, value shapes,
 * variables), compiles the program into closures (`internal/Pure.ts` for pure code, `internal/Effectful.ts` for code
 * that performs host operations) and drives it against the host (`internal/Driver.ts`). Runtime errors are outcomes,
 * never Effect failures, so globals and prints survive; a host failure other than `HostFailure` fails the Effect.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { HostFailure, LashlangRuntimeError } from "./Errors.js"
import { LashlangRuntimeError as RuntimeError } from "./Errors.js"
import type { LashlangHost, Site } from "./Host.js"
import { Budget, type ExecLimits, PrintBudget, resolveLimits } from "./internal/Budget.js"
import { drive } from "./internal/Driver.js"
import { EffectfulCompiler } from "./internal/Effectful.js"
import { toRuntimeError } from "./internal/Fault.js"
import { PureCompiler } from "./internal/Pure.js"
import { Location, type Run, Sites, Termination } from "./internal/Run.js"
import { Shapes } from "./internal/Sizes.js"
import { CodePoints } from "./internal/Strings.js"
import { isResourceType } from "./internal/Types.js"
import type { ValidationContext } from "./internal/Validate.js"
import { Variables } from "./internal/Variables.js"
import type { LinkedModule } from "./Linker.js"
import type { TypeExpr } from "./TypeExpr.js"
import { isList, isRecord, type Value } from "./Value.js"

export { defaultExecLimits, type ExecLimits, ExecLimitsOptions } from "./internal/Budget.js"

/** The outcome of an execution, always with the final globals and the performed sites. @since 0.1.0 */
export type ExecOutcome =
  | { readonly _tag: "Continued"; readonly globals: ReadonlyMap<string, Value>; readonly sites: ReadonlyArray<Site> }
  | {
    readonly _tag: "Submitted" | "Finished" | "Failed"
    readonly value: Value
    readonly globals: ReadonlyMap<string, Value>
    readonly sites: ReadonlyArray<Site>
  }
  | {
    readonly _tag: "Errored"
    readonly error: LashlangRuntimeError
    readonly globals: ReadonlyMap<string, Value>
    readonly sites: ReadonlyArray<Site>
  }

/** Options of {@link execute}: the mode, the process to run in process mode, and limits over the defaults. */
export type ExecOptions = {
  readonly mode: "foreground" | "process"
  readonly entry?: { readonly component: string; readonly pos: number }
} & Partial<ExecLimits>

const errored = (
  error: LashlangRuntimeError,
  globals: ReadonlyMap<string, Value>,
  sites: ReadonlyArray<Site> = []
): ExecOutcome => ({ _tag: "Errored", error, globals, sites })

/** How a `Ref` type resolves at run time: an alias, a named data type, an authority or a descriptor type. */
const refResolver = (linked: LinkedModule) => {
  const aliases = new Map<string, TypeExpr>(linked.program.types.map((t) => [t.name, t.type] as const))
  const catalog = linked.env.catalog
  return (name: string): TypeExpr | "authority" | "descriptor" | undefined =>
    aliases.get(name) ?? catalog.namedDataTypes[name] ??
      (isResourceType(linked.env, name)
        ? "authority"
        : catalog.constructors[name] !== undefined
        ? "descriptor"
        : undefined)
}

/**
 * Executes a linked module: the top-level program in `foreground` mode, or the process `entry` in `process` mode
 * (globals are then the process arguments). A `HostFailure` from `perform` is seen by the program; any other host
 * failure ends the execution and is the failure of the returned Effect.
 *
 * @since 0.1.0
 */
export const execute = <E = HostFailure, R = never>(
  linked: LinkedModule,
  globals: ReadonlyMap<string, Value>,
  host: LashlangHost<E, R>,
  options: ExecOptions
): Effect.Effect<ExecOutcome, Exclude<E, HostFailure>, R> =>
  Effect.clockWith((clock) =>
    Effect.suspend((): Effect.Effect<ExecOutcome, Exclude<E, HostFailure>, R> => {
      const { entry, mode, ...overrides } = options
      const limits = resolveLimits(mode, overrides)
      if ("invalid" in limits) {
        return Effect.succeed(errored(new RuntimeError({ kind: "ValueError", message: limits.invalid }), globals))
      }
      const decl = mode === "process"
        ? [...linked.processValues.values()].find((p) =>
          p.export.ref.pos === entry?.pos && p.export.ref.component === entry?.component
        )?.decl
        : undefined
      if (mode === "process" && decl === undefined) {
        return Effect.succeed(
          errored(new RuntimeError({ kind: "ValueError", message: "unknown process entry" }), globals)
        )
      }
      const budget = new Budget(limits, clock)
      const charge = (units: number) => budget.charge(units)
      const shapes = new Shapes(limits, charge)
      let run: Run
      try {
        const vars = new Variables(globals, shapes, limits)
        const validation: ValidationContext = {
          resolveRef: refResolver(linked),
          typeVariable: (name) => {
            const v = vars.cell(name).v
            return typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "TypeValue"
              ? v.schema
              : undefined
          },
          charge
        }
        run = {
          linked,
          mode,
          entryDecl: decl,
          limits,
          budget,
          shapes,
          vars,
          validation,
          charge,
          codePoints: new CodePoints(charge),
          prints: new PrintBudget(limits),
          sites: new Sites(linked, decl?.name ?? "main"),
          location: new Location(),
          termination: new Termination()
        }
      } catch (thrown) {
        // Only globals past the hard nesting bound get here: nothing ran.
        return Effect.succeed(errored(toRuntimeError(thrown, undefined), globals))
      }
      const pure = new PureCompiler(run)
      const program = new EffectfulCompiler(run, pure).block(decl?.body ?? linked.program.body, true)
      return Effect.map(drive(run, program, host), (completion): ExecOutcome => {
        const out = run.vars.snapshot()
        const sites = run.sites.list()
        if (completion._tag === "Faulted") return errored(completion.error, out, sites)
        const ended = run.termination.result()
        if (ended !== undefined) {
          const tag = ended.kind === "submit" ? "Submitted" : ended.kind === "finish" ? "Finished" : "Failed"
          return { _tag: tag, value: ended.value, globals: out, sites }
        }
        return mode === "process"
          ? { _tag: "Finished", value: null, globals: out, sites }
          : { _tag: "Continued", globals: out, sites }
      })
    })
  )
