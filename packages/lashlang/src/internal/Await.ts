/**
 * `await` (docs/lashlang.md, "Semantics", calls and `await`): of a direct module call, the call; of a list or
 * record literal with call leaves (an aggregate `await`), its plain leaves first in source order, then every call
 * leaf at once (bounded concurrency), keeping the literal's shape; of any other value, every process handle in it is
 * awaited, keeping its shape.
 *
 * @internal
 */
import type { Expr } from "../Ast.js"
import type { HostOperation } from "../Host.js"
import { isList, isRecord, type Value } from "../Value.js"
import type { EffectfulCompiler } from "./Effectful.js"
import { fault } from "./Fault.js"
import { compileCallOp } from "./HostCalls.js"
import { type HostResult, wrapper } from "./Operations.js"
import { type Answer, type EvG, perform, type Request, type Run } from "./Run.js"

type MCall = Extract<Expr, { k: "mcall" }>

const isCallLeaf = (c: EffectfulCompiler, y: Expr): boolean => {
  const calls = c.run.linked.calls
  return (y.k === "mcall" && calls.get(y)?.kind !== "ctor") ||
    (y.k === "unwrap" && y.e.k === "mcall" && calls.get(y.e)?.kind !== "ctor")
}

const hasCallLeaf = (c: EffectfulCompiler, y: Expr): boolean => {
  if (isCallLeaf(c, y)) return true
  if (y.k === "list") return y.items.some((z) => hasCallLeaf(c, z))
  if (y.k === "rec") return y.entries.some(([, z]) => hasCallLeaf(c, z))
  return false
}

/** `await e`. */
export const compileAwait = (c: EffectfulCompiler, x: Extract<Expr, { k: "un" }>): EvG => {
  const inner = x.e
  if (isCallLeaf(c, inner)) return c.expr(inner, true)
  if ((inner.k === "list" || inner.k === "rec") && hasCallLeaf(c, inner)) return compileAggregate(c, inner)
  const e = c.expr(inner, true)
  const run = c.run
  return function*() {
    run.budget.step()
    return yield* awaitValue(run, yield* e(), x)
  }
}

/** Awaits every process handle in a value, keeping its shape (a value without handles is returned as it is). */
function* awaitValue(run: Run, v: Value, node: object): Generator<Request, Value, Answer> {
  if (isRecord(v) && v.get("__handle__") !== undefined) {
    const r = yield* perform(run, { _tag: "Await", site: run.sites.next(node, "await"), handle: v })
    return wrapper(run.shapes, r)
  }
  if (isList(v)) {
    run.charge(v.length)
    let out: Array<Value> | undefined
    for (let i = 0; i < v.length; i++) {
      const y = yield* awaitValue(run, v[i]!, node)
      if (y !== v[i] && out === undefined) out = v.slice(0, i)
      if (out !== undefined) out.push(y)
    }
    return out === undefined ? v : run.shapes.list(out)
  }
  if (isRecord(v)) {
    run.charge(v.size)
    let changed = false
    const m = new Map<string, Value>()
    for (const [k, y] of v.entries) {
      const z = yield* awaitValue(run, y, node)
      if (z !== y) changed = true
      m.set(k, z)
    }
    return changed ? run.shapes.record(m) : v
  }
  return v
}

type Plan =
  | { readonly k: "leaf"; readonly op: () => Generator<Request, HostOperation, Answer>; readonly unwrap: boolean }
  | { readonly k: "val"; readonly e: EvG; readonly node: Expr }
  | { readonly k: "list"; readonly items: ReadonlyArray<Plan> }
  | { readonly k: "rec"; readonly entries: ReadonlyArray<readonly [string, Plan]> }

type Shape =
  | { readonly k: "leaf"; readonly i: number }
  | { readonly k: "val"; readonly v: Value }
  | { readonly k: "list"; readonly items: ReadonlyArray<Shape> }
  | { readonly k: "rec"; readonly entries: ReadonlyArray<readonly [string, Shape]> }

/** An aggregate `await`; a failed `?` leaf fails the whole, first in source order, after every call finished. */
const compileAggregate = (c: EffectfulCompiler, root: Expr): EvG => {
  const plan = (y: Expr): Plan =>
    isCallLeaf(c, y)
      ? { k: "leaf", op: compileCallOp(c, (y.k === "unwrap" ? y.e : y) as MCall), unwrap: y.k === "unwrap" }
      : y.k === "list"
      ? { k: "list", items: y.items.map(plan) }
      : y.k === "rec"
      ? { k: "rec", entries: y.entries.map(([key, z]) => [key, plan(z)] as const) }
      : { k: "val", e: c.expr(y, true), node: y }
  const top = plan(root)
  const run = c.run
  return function*() {
    run.budget.step()
    const leaves: Array<{ readonly op: HostOperation; readonly unwrap: boolean }> = []
    const walk = function*(p: Plan): Generator<Request, Shape, Answer> {
      switch (p.k) {
        case "leaf": {
          const op = yield* p.op()
          run.budget.hostOperation(op._tag)
          leaves.push({ op, unwrap: p.unwrap })
          return { k: "leaf", i: leaves.length - 1 }
        }
        case "list": {
          const items: Array<Shape> = []
          for (const z of p.items) items.push(yield* walk(z))
          return { k: "list", items }
        }
        case "rec": {
          const entries: Array<readonly [string, Shape]> = []
          for (const [k, z] of p.entries) entries.push([k, yield* walk(z)])
          return { k: "rec", entries }
        }
        case "val":
          return { k: "val", v: yield* awaitValue(run, yield* p.e(), p.node) }
      }
    }
    const shape = yield* walk(top)
    if (leaves.length > run.limits.maxAggregateLeaves) {
      fault("LimitExceeded", `too many aggregate await leaves (limit ${run.limits.maxAggregateLeaves})`)
    }
    const results = (yield { _tag: "many", ops: leaves.map((l) => l.op) }) as ReadonlyArray<HostResult>
    leaves.forEach((leaf, i) => {
      const r = results[i]!
      if (leaf.unwrap && !r.ok) fault("UnwrapFailed", `\`?\` unwrapped failed module operation: ${r.error}`)
    })
    const build = (s: Shape): Value => {
      switch (s.k) {
        case "val":
          return s.v
        case "leaf": {
          const r = results[s.i]!
          return leaves[s.i]!.unwrap ? (r as { readonly value: Value }).value : wrapper(run.shapes, r)
        }
        case "list":
          return run.shapes.list(s.items.map(build))
        case "rec":
          return run.shapes.record(new Map(s.entries.map(([k, z]) => [k, build(z)] as const)))
      }
    }
    return build(shape)
  }
}
