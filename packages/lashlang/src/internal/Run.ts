/**
 * The state of one execution and the shapes of compiled code. A program is compiled, per run, into closures:
 * synchronous ones for pure code (`Ev`, `Exec`) and generator ones for code that performs host operations (`EvG`,
 * `ExecG`), which yield {@link Request}s to the driver (docs/lashlang.md, "Performance").
 *
 * @internal
 */
import type { ProcessDecl } from "../Ast.js"
import type { Span } from "../Errors.js"
import type { HostOperation, Site } from "../Host.js"
import type { LinkedModule } from "../Linker.js"
import type { Value } from "../Value.js"
import type { Budget, ExecLimits, PrintBudget } from "./Budget.js"
import type { BuiltinContext } from "./Builtins.js"
import type { HostResult, OperationContext } from "./Operations.js"
import type { Shapes } from "./Sizes.js"
import type { ValidationContext } from "./Validate.js"
import type { Variables } from "./Variables.js"

/** How a statement completed. */
export const NORMAL = 0
export const BREAK = 1
export const CONTINUE = 2
/** `submit`, `finish` or `fail` ran: everything stops. */
export const TERMINATED = 3

/** A compiled pure expression. */
export type Ev = () => Value
/** A compiled pure statement; returns its completion. */
export type Exec = () => number

/** What effectful code asks of the driver: one host operation, or the calls of an aggregate `await` together. */
export type Request =
  | { readonly _tag: "one"; readonly op: HostOperation }
  | { readonly _tag: "many"; readonly ops: ReadonlyArray<HostOperation> }

/** The driver's answer to a request. */
export type Answer = HostResult | ReadonlyArray<HostResult>

/** A compiled effectful expression. */
export type EvG = () => Generator<Request, Value, Answer>
/** A compiled effectful statement; returns its completion. */
export type ExecG = () => Generator<Request, number, Answer>

/** Yields one host operation to the driver, after counting it against the block's limits, and returns its result. */
export function* perform(run: Run, op: HostOperation): Generator<Request, HostResult, Answer> {
  run.budget.hostOperation(op._tag)
  return (yield { _tag: "one", op }) as HostResult
}

/** The sites performed by the run, with an occurrence counter per node. */
export class Sites {
  private readonly occurrences = new Map<string, number>()
  private readonly performed: Array<Site> = []

  constructor(
    private readonly linked: LinkedModule,
    private readonly entry: string
  ) {}

  /** The site of the next operation performed by `node`. */
  next(node: object, kind: string): Site {
    const nodeId = this.linked.nodeIds.get(node) ?? `${kind}:unknown`
    const occurrence = this.occurrences.get(nodeId) ?? 0
    this.occurrences.set(nodeId, occurrence + 1)
    const site = { entry: this.entry, nodeId, kind, occurrence }
    this.performed.push(site)
    return site
  }

  /** Every site performed so far, in order. */
  list(): ReadonlyArray<Site> {
    return this.performed
  }
}

/** The top-level statement being run: where a runtime error is reported. */
export class Location {
  private span: Span | undefined = undefined
  at(span: Span): void {
    this.span = span
  }
  current(): Span | undefined {
    return this.span
  }
}

/** How the run terminated, once a `submit`, `finish` or `fail` has run. */
export class Termination {
  private ended: { readonly kind: "submit" | "finish" | "fail"; readonly value: Value } | undefined = undefined
  end(kind: "submit" | "finish" | "fail", value: Value): void {
    this.ended = { kind, value }
  }
  result(): { readonly kind: "submit" | "finish" | "fail"; readonly value: Value } | undefined {
    return this.ended
  }
}

/** Everything compiled code uses of its run. */
export interface Run extends OperationContext, BuiltinContext {
  readonly linked: LinkedModule
  readonly mode: "foreground" | "process"
  /** The process being run (process mode). */
  readonly entryDecl: ProcessDecl | undefined
  readonly limits: ExecLimits
  readonly budget: Budget
  readonly shapes: Shapes
  readonly vars: Variables
  readonly validation: ValidationContext
  readonly prints: PrintBudget
  readonly sites: Sites
  readonly location: Location
  readonly termination: Termination
}
