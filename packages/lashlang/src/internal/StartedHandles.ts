/**
 * Handle targets known at link time (docs/lashlang.md, "Sleep and signals"): `signal_run(h, name, payload)` is checked
 * against the declared signals of `h`'s process when the linker can tell which process that is.
 *
 * @internal
 */
import type { Stmt } from "../Ast.js"

/**
 * The names of a scope that only ever hold a handle of one declared process: every assignment to the name is
 * `name = start p(...)` with the same `p`, and the name is no parameter, global, binding or loop variable. Flow does
 * not matter: whichever assignment ran last, the handle is one of `p`.
 */
export const startedHandles = (body: ReadonlyArray<Stmt>, bound: ReadonlySet<string>): ReadonlyMap<string, string> => {
  const targets = new Map<string, string | null>()
  const visit = (stmts: ReadonlyArray<Stmt>): void => {
    for (const s of stmts) {
      if (s.k === "assign") {
        const target = s.target.path.length === 0 && s.e.k === "start" ? s.e.name : null
        const previous = targets.get(s.target.root)
        targets.set(s.target.root, previous === undefined || previous === target ? target : null)
      } else if (s.k === "for") {
        targets.set(s.v, null)
        visit(s.body)
      } else if (s.k === "while") {
        visit(s.body)
      } else if (s.k === "if") {
        visit(s.then)
        if (s.else) visit(s.else)
      }
    }
  }
  visit(body)
  const handles = new Map<string, string>()
  for (const [name, target] of targets) if (target !== null && !bound.has(name)) handles.set(name, target)
  return handles
}
