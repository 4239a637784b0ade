/**
 * Pure evaluation (docs/lashlang.md, "Performance"): code that performs no host operation is compiled, once per run,
 * into plain synchronous closures: a variable is a cell resolved at compile time, each node charges its step inline,
 * and the common number cases of the operators skip the general path. Nothing here suspends.
 *
 * Each expression is compiled for one of two uses: *escaping* (its value may be stored or returned, so a container
 * read from a variable loses its single owner) or *peeking* (its value is only inspected: compared, measured,
 * converted to text or a number), which keeps ownership, so `counts[k] = counts[k] + 1` and
 * `while i < len(xs) { xs[i] = 0 }` change their containers in place.
 *
 * @internal
 */
import type { Expr, Stmt } from "../Ast.js"
import type { CallResolution } from "../Linker.js"
import { type Authority, type Descriptor, isList, type ProcessDefValue, truthy, type Value } from "../Value.js"
import { fastBinary, type Operand } from "./Arithmetic.js"
import { builtin, BUILTINS } from "./Builtins.js"
import { toNumber } from "./Coerce.js"
import { compare, equals } from "./Compare.js"
import { fault } from "./Fault.js"
import { binary, field, index, plus, schemaOf, unwrap } from "./Operations.js"
import { compilePureStatement } from "./PureStatements.js"
import { type Ev, type Exec, NORMAL, type Run } from "./Run.js"
import { checkType } from "./Validate.js"

/** The authority value of a module path. */
export const authority = (a: { readonly path: ReadonlyArray<string>; readonly resourceType: string }): Authority => ({
  _tag: "Authority",
  path: a.path,
  resourceType: a.resourceType,
  alias: a.path.join(".")
})

/** The process definition value of a process declared by the module. */
export const processDef = (run: Run, name: string): ProcessDefValue => {
  const proc = run.linked.processValues.get(name)!
  return {
    _tag: "ProcessDef",
    processName: name,
    moduleRef: run.linked.artifact.moduleRef,
    processRef: proc.export.ref,
    hostRequirementsRef: run.linked.artifact.hostRequirementsRef
  }
}

/** A value constructor call: the argument is validated when its static type was not precise. */
export const construct = (run: Run, res: CallResolution, arg: Value): Descriptor => {
  if (res.kind !== "ctor") return fault("TypeError", "internal: unresolved call")
  if (!res.precise) {
    const problem = checkType(run.validation, arg, res.input, "$")
    if (problem !== undefined) fault("ValidationFailed", `constructor \`${res.typeName}\` input is invalid: ${problem}`)
  }
  return run.shapes.descriptor(res.typeName, arg)
}

/** What a bare name stands for when its variable is unbound: a module authority, a process, or nothing. */
export const nameFallback = (run: Run, x: Extract<Expr, { k: "name" }>): Value | undefined => {
  const auth = run.linked.authorities.get(x)
  if (auth !== undefined) return authority(auth)
  if (run.linked.processValues.has(x.name)) return processDef(run, x.name)
  return undefined
}

/** The shape `x = x + e` / `x = push(x, e)` of a list append, if the assignment has it. */
export const appendShape = (
  run: Run,
  s: Extract<Stmt, { k: "assign" }>
): { readonly extra: Expr; readonly single: boolean } | undefined => {
  if (s.target.path.length !== 0) return undefined
  const root = s.target.root
  const e = s.e
  if (e.k === "bin" && e.op === "+" && e.l.k === "name" && e.l.name === root) return { extra: e.r, single: false }
  if (
    e.k === "call" && e.name === "push" && e.args.length === 2 && e.args[0]!.k === "name" &&
    e.args[0]!.name === root && run.linked.calls.get(e) === undefined
  ) return { extra: e.args[1]!, single: true }
  return undefined
}

/** A compiled expression together with the steps its caller must charge for it (see `PureCompiler.fused`). */
export interface Fused {
  readonly ev: Ev
  readonly steps: number
}

/**
 * Compiles pure code of one run. Every evaluated node costs one step; a *straight* subtree (one whose nodes are all
 * evaluated whenever its root is: no ternary, `and` or `or` inside) is charged once, for all its nodes, by its root,
 * so the closures inside it do not count.
 */
export class PureCompiler {
  private readonly straightness = new WeakMap<Expr, number>()

  constructor(readonly run: Run) {}

  /** The number of nodes of `x` when it is straight, else 0. */
  private straight(x: Expr): number {
    const known = this.straightness.get(x)
    if (known !== undefined) return known
    const all = (ys: ReadonlyArray<Expr>): number => {
      let n = 1
      for (const y of ys) {
        const m = this.straight(y)
        if (m === 0) return 0
        n += m
      }
      return n
    }
    let n: number
    switch (x.k) {
      case "lit":
      case "name":
      case "type":
        n = 1
        break
      case "field":
        n = this.run.linked.authorities.has(x) ? 1 : all([x.obj])
        break
      case "index":
        n = all([x.obj, x.idx])
        break
      case "list":
        n = all(x.items)
        break
      case "rec":
        n = all(x.entries.map(([, y]) => y))
        break
      case "call":
      case "mcall":
        n = all(x.args)
        break
      case "unwrap":
        n = all([x.e])
        break
      case "un":
        n = x.op === "await" ? 0 : all([x.e])
        break
      case "bin":
        n = x.op === "and" || x.op === "or" ? 0 : all([x.l, x.r])
        break
      default:
        n = 0
    }
    this.straightness.set(x, n)
    return n
  }

  /**
   * `x` compiled without its own steps when it is straight, with the number of steps the caller charges for it (a
   * statement adds them to its own); otherwise the counting closure and 0.
   */
  fused(x: Expr, escape: boolean): Fused {
    const n = this.straight(x)
    return n > 0 ? { ev: this.node(x, escape, false), steps: n } : { ev: this.node(x, escape, true), steps: 0 }
  }

  /** A pure expression that charges its own steps; `escape` = its value may be stored or returned. */
  expr(x: Expr, escape: boolean): Ev {
    const { ev, steps } = this.fused(x, escape)
    if (steps === 0) return ev
    const budget = this.run.budget
    return () => {
      budget.steps(steps)
      return ev()
    }
  }

  /**
   * One node. `counted`: the node charges its own step and compiles its children as counting expressions; otherwise
   * it is inside a straight subtree whose root charged for it, and so are its children.
   */
  private node(x: Expr, escape: boolean, counted: boolean): Ev {
    const f = this.uncounted(x, escape, counted)
    if (!counted) return f
    const budget = this.run.budget
    return () => {
      budget.step()
      return f()
    }
  }

  /** A child of a node (see {@link node}). */
  private child(y: Expr, escape: boolean, counted: boolean): Ev {
    return counted ? this.expr(y, escape) : this.node(y, escape, false)
  }

  /** The operand of a binary operator, with its cell or number when it is that simple. */
  private operand(y: Expr, escape: boolean, counted: boolean): Operand {
    const ev = this.child(y, escape, counted)
    if (counted) return { ev }
    if (y.k === "lit" && typeof y.v === "number") return { ev, number: y.v }
    if (y.k === "name") return { ev, cell: this.run.vars.cell(y.name) }
    return { ev }
  }

  private uncounted(x: Expr, escape: boolean, counted: boolean): Ev {
    const run = this.run
    const vars = run.vars
    switch (x.k) {
      case "lit": {
        const v = x.v
        return () => v
      }
      case "list": {
        const items = x.items.map((y) => this.child(y, true, counted))
        return () => {
          const out = new Array<Value>(items.length)
          for (let i = 0; i < items.length; i++) out[i] = items[i]!()
          return run.shapes.list(out)
        }
      }
      case "rec": {
        const entries = x.entries.map(([k, y]) => [k, this.child(y, true, counted)] as const)
        return () => {
          const m = new Map<string, Value>()
          for (const [k, y] of entries) m.set(k, y())
          return run.shapes.record(m)
        }
      }
      case "name": {
        const cell = vars.cell(x.name)
        const fallback = nameFallback(run, x)
        const name = x.name
        const missing = (): Value => fallback ?? fault("UnknownName", `unknown name \`${name}\``)
        if (escape) {
          return () => {
            const v = cell.v
            if (v === undefined) return missing()
            cell.owned = undefined
            return v
          }
        }
        return () => {
          const v = cell.v
          return v === undefined ? missing() : v
        }
      }
      case "field": {
        const auth = run.linked.authorities.get(x)
        if (auth !== undefined) {
          const v = authority(auth)
          return () => v
        }
        const obj = this.child(x.obj, false, counted)
        const key = x.key
        return () => {
          const v = field(obj(), key)
          if (escape) vars.disown(v)
          return v
        }
      }
      case "index": {
        const obj = this.child(x.obj, false, counted)
        const idx = this.child(x.idx, false, counted)
        return () => {
          const o = obj()
          const i = idx()
          const v = typeof i === "number" && isList(o) && Number.isInteger(i) && i >= 0
            ? (i < o.length ? o[i]! : null)
            : index(run, o, i)
          if (escape) vars.disown(v)
          return v
        }
      }
      case "call": {
        const impl = builtin(x.name)
        const args = x.args.map((y) => this.child(y, BUILTINS[x.name]?.aliasesArguments ?? true, counted))
        if (args.length === 1) {
          const a0 = args[0]!
          return () => impl(run, [a0()])
        }
        return () => {
          const values = new Array<Value>(args.length)
          for (let i = 0; i < args.length; i++) values[i] = args[i]!()
          return impl(run, values)
        }
      }
      case "mcall": {
        const res = run.linked.calls.get(x)
        if (res?.kind !== "ctor") return () => fault("TypeError", "internal: effectful call evaluated synchronously")
        const a0 = this.child(x.args[0]!, true, counted)
        return () => construct(run, res, a0())
      }
      case "unwrap": {
        const e = this.child(x.e, true, counted)
        return () => unwrap(e())
      }
      case "un": {
        const e = this.child(x.e, false, counted)
        if (x.op === "!") return () => !truthy(e())
        if (x.op === "-") {
          return () => {
            const v = e()
            return typeof v === "number" ? -v : -toNumber(v)
          }
        }
        return () => fault("TypeError", "internal: `await` evaluated synchronously")
      }
      case "bin":
        return this.binary(x, escape, counted)
      case "tern": {
        const c = this.expr(x.c, false)
        const a = this.expr(x.a, escape)
        const b = this.expr(x.b, escape)
        return () => (truthy(c()) ? a() : b())
      }
      case "type": {
        const t = x.t
        const variable = (name: string) => vars.cell(name).v
        return () => run.shapes.typeValue(schemaOf(t, variable))
      }
      default:
        return () => fault("TypeError", "internal: effectful node evaluated synchronously")
    }
  }

  private binary(x: Extract<Expr, { k: "bin" }>, escape: boolean, counted: boolean): Ev {
    const run = this.run
    const op = x.op
    if (op === "and" || op === "or") {
      const l = this.expr(x.l, false)
      const r = this.expr(x.r, false)
      return op === "and" ? () => truthy(l()) && truthy(r()) : () => truthy(l()) || truthy(r())
    }
    // Only `+` can return (part of) an operand: a list concatenation.
    const l = this.operand(x.l, op === "+" && escape, counted)
    const r = this.operand(x.r, op === "+" && escape, counted)
    const general = (a: Value, b: Value): Value => binary(run, op, a, b)
    const fast = fastBinary(op, l, r, general)
    if (fast !== undefined) return fast
    const le = l.ev
    const re = r.ev
    switch (op) {
      case "+":
        return () => {
          const a = le()
          const b = re()
          return typeof a === "number" && typeof b === "number" ? a + b : plus(run, a, b)
        }
      case "-":
        return () => {
          const a = le()
          const b = re()
          return typeof a === "number" && typeof b === "number" ? a - b : toNumber(a) - toNumber(b)
        }
      case "*":
        return () => {
          const a = le()
          const b = re()
          return typeof a === "number" && typeof b === "number" ? a * b : toNumber(a) * toNumber(b)
        }
      case "%":
        return () => {
          const a = le()
          const b = re()
          return typeof a === "number" && typeof b === "number" ? a % b : toNumber(a) % toNumber(b)
        }
      case "==":
      case "!=": {
        const negate = op === "!="
        return () => {
          const a = le()
          const b = re()
          const eq = typeof a === "number" && typeof b === "number" ? a === b : equals(a, b, run.charge)
          return negate ? !eq : eq
        }
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return () => {
          const a = le()
          const b = re()
          if (typeof a === "number" && typeof b === "number") {
            return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
          }
          return compare(op, a, b, run.charge)
        }
      default:
        return () => binary(run, op, le(), re())
    }
  }

  /** A pure statement. */
  stmt(s: Stmt): Exec {
    return compilePureStatement(this, s)
  }

  /** A block of pure statements. */
  block(stmts: ReadonlyArray<Stmt>): Exec {
    const fns = stmts.map((s) => this.stmt(s))
    if (fns.length === 1) return fns[0]!
    return () => {
      for (let i = 0; i < fns.length; i++) {
        const r = fns[i]!()
        if (r !== NORMAL) return r
      }
      return NORMAL
    }
  }
}
