/**
 * Statements that perform host operations (docs/lashlang.md, "Semantics"): control flow around effectful code,
 * assignments of effectful values, `print` (within the block's allowance, the first print included), `submit` /
 * `finish` / `fail` (which stop the run), `wake` / `yield` and `cancel`.
 *
 * @internal
 */
import type { Stmt } from "../Ast.js"
import { formatType } from "../TypeExpr.js"
import { isList, truthy, type Value } from "../Value.js"
import { appendOneToList, appendToList, assignPath, type PathStep } from "./Assign.js"
import type { EffectfulCompiler } from "./Effectful.js"
import { fault } from "./Fault.js"
import { plus } from "./Operations.js"
import { appendShape } from "./Pure.js"
import { type Answer, BREAK, type ExecG, NORMAL, perform, type Request, type Run, TERMINATED } from "./Run.js"
import { textPrefix } from "./Text.js"
import { checkType } from "./Validate.js"

const MARKER = "[output truncated]"

/** An effectful statement. */
export const compileStatement = (c: EffectfulCompiler, s: Stmt): ExecG => {
  const run = c.run
  const budget = run.budget
  const vars = run.vars
  switch (s.k) {
    case "if": {
      const cond = c.expr(s.c, false)
      const then = c.block(s.then, false)
      const otherwise = s.else === undefined ? undefined : c.block(s.else, false)
      return function*() {
        budget.step()
        if (truthy(yield* cond())) return yield* then()
        return otherwise === undefined ? NORMAL : yield* otherwise()
      }
    }
    case "for": {
      const list = c.expr(s.e, true)
      const cell = vars.cell(s.v)
      const body = c.block(s.body, false)
      return function*() {
        budget.step()
        const items = yield* list()
        if (!isList(items)) return fault("NotIterable", "`for` expects a list")
        const prev = cell.v
        const prevOwned = cell.owned
        try {
          for (let i = 0; i < items.length; i++) {
            budget.step()
            vars.set(cell, items[i]!)
            const r = yield* body()
            if (r === BREAK) break
            if (r === TERMINATED) return TERMINATED
          }
        } finally {
          vars.restore(cell, prev, prevOwned)
        }
        return NORMAL
      }
    }
    case "while": {
      const cond = c.expr(s.c, false)
      const body = c.block(s.body, false)
      return function*() {
        budget.step()
        while (truthy(yield* cond())) {
          budget.step()
          const r = yield* body()
          if (r === BREAK) break
          if (r === TERMINATED) return TERMINATED
        }
        return NORMAL
      }
    }
    case "assign":
      return compileAssign(c, s)
    case "expr": {
      const e = c.expr(s.e, false)
      return function*() {
        budget.step()
        yield* e()
        return NORMAL
      }
    }
    case "print": {
      const e = c.expr(s.e, false)
      return function*() {
        budget.step()
        const v = yield* e()
        if (run.mode !== "foreground") return fault("ModeViolation", "`print` can't be used inside a process body")
        yield* print(run, s, v)
        return NORMAL
      }
    }
    case "submit":
    case "finish":
    case "fail": {
      const e = s.e === undefined ? undefined : c.expr(s.e, true)
      const kind = s.k
      return function*() {
        budget.step()
        const v = e === undefined ? null : yield* e()
        if (kind === "submit" && run.mode !== "foreground") {
          return fault("ModeViolation", "`submit` can't be used inside a process body")
        }
        if (kind !== "submit" && run.mode !== "process") {
          return fault("ModeViolation", `\`${kind}\` can only be used inside a process body`)
        }
        if (kind === "finish") checkReturn(run, v)
        yield* perform(run, { _tag: "Terminate", site: run.sites.next(s, kind), kind, value: v })
        run.termination.end(kind, v)
        return TERMINATED
      }
    }
    case "emit": {
      const e = c.expr(s.e, true)
      return function*() {
        budget.step()
        const v = yield* e()
        if (run.mode !== "process") {
          return fault("ModeViolation", `\`${s.kind}\` can only be used inside a process body`)
        }
        const r = yield* perform(run, { _tag: "Emit", site: run.sites.next(s, s.kind), kind: s.kind, value: v })
        if (!r.ok) return fault("HostFailure", `process event failed: ${r.error}`)
        return NORMAL
      }
    }
    case "cancel": {
      const e = c.expr(s.e, true)
      return function*() {
        budget.step()
        const h = yield* e()
        const r = yield* perform(run, { _tag: "Cancel", site: run.sites.next(s, "cancel"), handle: h })
        if (!r.ok) return fault("HostFailure", `cancel failed: ${r.error}`)
        return NORMAL
      }
    }
    default: {
      const f = c.pure.stmt(s)
      return function*() {
        return f()
      }
    }
  }
}

/** `print v`: within the block's allowance of prints and characters, then one truncation marker. */
function* print(run: Run, s: Stmt, v: Value): Generator<Request, void, Answer> {
  const allowance = run.prints.allowance()
  if (allowance === undefined) return
  if (allowance > 0) {
    const { cut, text } = textPrefix(v, allowance, run.charge)
    run.charge(text.length)
    run.prints.record(text.length)
    yield* perform(run, { _tag: "Print", site: run.sites.next(s, "print"), value: cut ? text : v })
    if (!cut) return
  }
  run.prints.stop()
  yield* perform(run, { _tag: "Print", site: run.sites.next(s, "print"), value: MARKER })
}

const compileAssign = (c: EffectfulCompiler, s: Extract<Stmt, { k: "assign" }>): ExecG => {
  const run = c.run
  const budget = run.budget
  const vars = run.vars
  const cell = vars.cell(s.target.root)
  const value = c.expr(s.e, true)
  if (s.target.path.length === 0) {
    const append = appendShape(run, s)
    const extra = append === undefined ? undefined : c.expr(append.extra, true)
    return function*() {
      budget.step()
      const cur = cell.v
      if (append === undefined || !isList(cur)) {
        vars.set(cell, yield* value())
        return NORMAL
      }
      const v = yield* extra!()
      if (append.single) appendOneToList(vars, run.shapes, cell, cur, v)
      else if (isList(v)) appendToList(vars, run.shapes, cell, cur, v)
      else vars.set(cell, plus(run, cur, v))
      return NORMAL
    }
  }
  const steps = s.target.path.map((step) =>
    "idx" in step ? { field: false, ev: c.expr(step.idx, false) } : { field: true, key: step.key }
  )
  return function*() {
    budget.step()
    const path: Array<PathStep> = []
    for (const step of steps) {
      path.push(step.ev === undefined ? { field: true, key: step.key! } : { field: false, key: yield* step.ev() })
    }
    assignPath(vars, run.shapes, cell, path, yield* value())
    return NORMAL
  }
}

/** A `finish` value must match the process's declared `-> T`. */
const checkReturn = (run: Run, v: Value): void => {
  const decl = run.entryDecl
  if (decl?.returns === undefined) return
  const problem = checkType(run.validation, v, decl.returns, "$")
  if (problem !== undefined) {
    fault(
      "ValidationFailed",
      `process \`${decl.name}\` finished with a value that does not match \`-> ${
        formatType(decl.returns)
      }\`: ${problem}`
    )
  }
}
