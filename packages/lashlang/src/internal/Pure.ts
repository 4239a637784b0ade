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

/** Compiles pure code of one run. */
export class PureCompiler {
  constructor(readonly run: Run) {}

  /** A pure expression; `escape` = its value may be stored or returned (see the module comment). */
  expr(x: Expr, escape: boolean): Ev {
    const run = this.run
    const budget = run.budget
    const vars = run.vars
    switch (x.k) {
      case "lit": {
        const v = x.v
        return () => {
          budget.step()
          return v
        }
      }
      case "list": {
        const items = x.items.map((y) => this.expr(y, true))
        return () => {
          budget.step()
          const out = new Array<Value>(items.length)
          for (let i = 0; i < items.length; i++) out[i] = items[i]!()
          return run.shapes.list(out)
        }
      }
      case "rec": {
        const entries = x.entries.map(([k, y]) => [k, this.expr(y, true)] as const)
        return () => {
          budget.step()
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
            budget.step()
            const v = cell.v
            if (v === undefined) return missing()
            cell.owned = undefined
            return v
          }
        }
        return () => {
          budget.step()
          const v = cell.v
          return v === undefined ? missing() : v
        }
      }
      case "field": {
        const auth = run.linked.authorities.get(x)
        if (auth !== undefined) {
          const v = authority(auth)
          return () => {
            budget.step()
            return v
          }
        }
        const obj = this.expr(x.obj, false)
        const key = x.key
        return () => {
          budget.step()
          const v = field(obj(), key)
          if (escape) vars.disown(v)
          return v
        }
      }
      case "index": {
        const obj = this.expr(x.obj, false)
        const idx = this.expr(x.idx, false)
        return () => {
          budget.step()
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
        const sig = BUILTINS[x.name]
        const impl = builtin(x.name)
        const args = x.args.map((y) => this.expr(y, sig?.aliasesArguments ?? true))
        if (args.length === 1) {
          const a0 = args[0]!
          return () => {
            budget.step()
            return impl(run, [a0()])
          }
        }
        return () => {
          budget.step()
          const values = new Array<Value>(args.length)
          for (let i = 0; i < args.length; i++) values[i] = args[i]!()
          return impl(run, values)
        }
      }
      case "mcall": {
        const res = run.linked.calls.get(x)
        if (res?.kind !== "ctor") return () => fault("TypeError", "internal: effectful call evaluated synchronously")
        const a0 = this.expr(x.args[0]!, true)
        return () => {
          budget.step()
          return construct(run, res, a0())
        }
      }
      case "unwrap": {
        const e = this.expr(x.e, true)
        return () => {
          budget.step()
          return unwrap(e())
        }
      }
      case "un": {
        const e = this.expr(x.e, false)
        if (x.op === "!") {
          return () => {
            budget.step()
            return !truthy(e())
          }
        }
        if (x.op === "-") {
          return () => {
            budget.step()
            const v = e()
            return typeof v === "number" ? -v : -toNumber(v)
          }
        }
        return () => fault("TypeError", "internal: `await` evaluated synchronously")
      }
      case "bin":
        return this.binary(x, escape)
      case "tern": {
        const c = this.expr(x.c, false)
        const a = this.expr(x.a, escape)
        const b = this.expr(x.b, escape)
        return () => {
          budget.step()
          return truthy(c()) ? a() : b()
        }
      }
      case "type": {
        const t = x.t
        const variable = (name: string) => vars.cell(name).v
        return () => {
          budget.step()
          return run.shapes.typeValue(schemaOf(t, variable))
        }
      }
      default:
        return () => fault("TypeError", "internal: effectful node evaluated synchronously")
    }
  }

  private binary(x: Extract<Expr, { k: "bin" }>, escape: boolean): Ev {
    const run = this.run
    const budget = run.budget
    const op = x.op
    // Only `+` can return (part of) an operand: a list concatenation.
    const l = this.expr(x.l, op === "+" && escape)
    const r = this.expr(x.r, op === "+" && escape)
    switch (op) {
      case "and":
        return () => {
          budget.step()
          return truthy(l()) && truthy(r())
        }
      case "or":
        return () => {
          budget.step()
          return truthy(l()) || truthy(r())
        }
      case "+":
        return () => {
          budget.step()
          const a = l()
          const b = r()
          return typeof a === "number" && typeof b === "number" ? a + b : plus(run, a, b)
        }
      case "-":
        return () => {
          budget.step()
          const a = l()
          const b = r()
          return typeof a === "number" && typeof b === "number" ? a - b : toNumber(a) - toNumber(b)
        }
      case "*":
        return () => {
          budget.step()
          const a = l()
          const b = r()
          return typeof a === "number" && typeof b === "number" ? a * b : toNumber(a) * toNumber(b)
        }
      case "%":
        return () => {
          budget.step()
          const a = l()
          const b = r()
          return typeof a === "number" && typeof b === "number" ? a % b : toNumber(a) % toNumber(b)
        }
      case "==":
      case "!=": {
        const negate = op === "!="
        return () => {
          budget.step()
          const a = l()
          const b = r()
          const eq = typeof a === "number" && typeof b === "number" ? a === b : equals(a, b, run.charge)
          return negate ? !eq : eq
        }
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return () => {
          budget.step()
          const a = l()
          const b = r()
          if (typeof a === "number" && typeof b === "number") {
            return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
          }
          return compare(op, a, b)
        }
      default:
        return () => {
          budget.step()
          return binary(run, op, l(), r())
        }
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
