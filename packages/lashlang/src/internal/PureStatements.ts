/**
 * Pure statements (docs/lashlang.md, "Semantics"): control flow, loops (each iteration costs a step; a `for`
 * variable gets its previous binding back afterwards) and assignments, including the in-place list append of
 * `Assign`. Compiled into synchronous closures that return their completion.
 *
 * @internal
 */
import type { Expr, Stmt } from "../Ast.js"
import { isList, truthy, type Value } from "../Value.js"
import { appendOneToList, appendToList, assignPath, type PathStep } from "./Assign.js"
import { fault } from "./Fault.js"
import { plus } from "./Operations.js"
import { appendShape, type PureCompiler } from "./Pure.js"
import { BREAK, CONTINUE, type Exec, NORMAL } from "./Run.js"

/** A pure statement. */
export const compilePureStatement = (c: PureCompiler, s: Stmt): Exec => {
  const run = c.run
  const budget = run.budget
  const vars = run.vars
  switch (s.k) {
    case "if": {
      const cond = c.fused(s.c, false)
      const ev = cond.ev
      const steps = 1 + cond.steps
      const then = c.block(s.then)
      const otherwise = s.else === undefined ? undefined : c.block(s.else)
      return () => {
        budget.steps(steps)
        return truthy(ev()) ? then() : otherwise === undefined ? NORMAL : otherwise()
      }
    }
    case "for": {
      const list = c.expr(s.e, true)
      const cell = vars.cell(s.v)
      const body = c.block(s.body)
      return () => {
        budget.step()
        const items = list()
        if (!isList(items)) return fault("NotIterable", "`for` expects a list")
        const prev = cell.v
        const prevOwned = cell.owned
        try {
          for (let i = 0; i < items.length; i++) {
            budget.step()
            vars.set(cell, items[i]!)
            if (body() === BREAK) break
          }
        } finally {
          vars.restore(cell, prev, prevOwned)
        }
        return NORMAL
      }
    }
    case "while": {
      const cond = c.fused(s.c, false)
      const ev = cond.ev
      // Each round charges its condition and itself; the last, failing condition charges one step more.
      const round = cond.steps + 1
      const body = c.block(s.body)
      return () => {
        budget.step()
        for (;;) {
          budget.steps(round)
          const v = ev()
          if (v !== true && !truthy(v)) break
          if (body() === BREAK) break
        }
        return NORMAL
      }
    }
    case "break":
      return () => {
        budget.step()
        return BREAK
      }
    case "continue":
      return () => {
        budget.step()
        return CONTINUE
      }
    case "assign":
      return s.target.path.length === 0 ? assignVariable(c, s) : assignInto(c, s)
    case "expr": {
      const { ev, steps } = c.fused(s.e, false)
      return () => {
        budget.steps(1 + steps)
        ev()
        return NORMAL
      }
    }
    default:
      return () => fault("TypeError", "internal: effectful statement executed synchronously")
  }
}

const assignVariable = (c: PureCompiler, s: Extract<Stmt, { k: "assign" }>): Exec => {
  const run = c.run
  const budget = run.budget
  const vars = run.vars
  const cell = vars.cell(s.target.root)
  const { ev: value, steps } = c.fused(s.e, true)
  const append = appendShape(run, s)
  if (append !== undefined) {
    // `xs = xs + [a, b]`: the literal's items are appended without building the literal as a list of its own; one
    // item (`xs = xs + [a]`, the loop of docs/lashlang.md, "Performance") is appended as `push` appends it.
    const literal = !append.single && append.extra.k === "list"
      ? (append.extra as Extract<Expr, { k: "list" }>).items.map((y) => c.expr(y, true))
      : undefined
    const one = literal?.length === 1 ? literal[0]! : undefined
    const extra = literal === undefined
      ? c.expr(append.extra, true)
      : one !== undefined
      ? () => {
        budget.step()
        return one()
      }
      : () => {
        budget.step()
        const out = new Array<Value>(literal.length)
        for (let i = 0; i < literal.length; i++) out[i] = literal[i]!()
        return out
      }
    const single = append.single || one !== undefined
    return () => {
      budget.step()
      const cur = cell.v
      if (!isList(cur)) {
        budget.steps(steps)
        vars.set(cell, value())
        return NORMAL
      }
      budget.step()
      budget.step()
      const v = extra()
      if (single) appendOneToList(vars, run.shapes, cell, cur, v)
      else if (isList(v)) appendToList(vars, run.shapes, cell, cur, v)
      else vars.set(cell, plus(run, cur, v))
      return NORMAL
    }
  }
  const total = 1 + steps
  return () => {
    budget.steps(total)
    const v = value()
    if (typeof v === "number" && typeof cell.v === "number") cell.v = v
    else vars.set(cell, v)
    return NORMAL
  }
}

const assignInto = (c: PureCompiler, s: Extract<Stmt, { k: "assign" }>): Exec => {
  const run = c.run
  const budget = run.budget
  const cell = run.vars.cell(s.target.root)
  const steps = s.target.path.map((step) =>
    "idx" in step ? { field: false, ev: c.expr(step.idx, false) } : { field: true, key: step.key }
  )
  const value = c.expr(s.e, true)
  return () => {
    budget.step()
    const path: Array<PathStep> = steps.map((step) =>
      step.ev === undefined ? { field: true, key: step.key! } : { field: false, key: step.ev() }
    )
    assignPath(run.vars, run.shapes, cell, path, value())
    return NORMAL
  }
}
