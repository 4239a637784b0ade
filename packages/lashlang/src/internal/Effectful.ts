/**
 * Effectful evaluation (docs/lashlang.md, "The host boundary"): the nodes the linker marked as performing a host
 * operation are compiled into generator closures that yield each operation to the driver and receive its result.
 * Their pure parts are the closures of `Pure`; the meaning of every operator is the one of `Operations`. Host
 * operations are built in `HostCalls`, `await` in `Await`, statements in `EffectfulStatements`.
 *
 * @internal
 */
import type { Expr, Stmt } from "../Ast.js"
import { truthy, type Value } from "../Value.js"
import { compileAwait } from "./Await.js"
import { builtin, BUILTINS } from "./Builtins.js"
import { toNumber } from "./Coerce.js"
import { compileStatement } from "./EffectfulStatements.js"
import { fault } from "./Fault.js"
import { compileCall, compileSignalRun, compileSleep, compileStart, compileWaitSignal } from "./HostCalls.js"
import { binary, field, index, unwrap, wrapper } from "./Operations.js"
import { construct, type PureCompiler } from "./Pure.js"
import { type EvG, type ExecG, NORMAL, type Run } from "./Run.js"

/** Compiles the effectful code of one run. */
export class EffectfulCompiler {
  constructor(
    readonly run: Run,
    readonly pure: PureCompiler
  ) {}

  /** Whether the linker marked `node` as performing a host operation. */
  effectful(node: object): boolean {
    return this.run.linked.effectful.has(node)
  }

  /** An expression; pure ones are the pure closures, lifted. `escape` as in `Pure`. */
  expr(x: Expr, escape: boolean): EvG {
    if (!this.effectful(x)) return lift(this.pure.expr(x, escape))
    const run = this.run
    const budget = run.budget
    switch (x.k) {
      case "list": {
        const items = x.items.map((y) => this.expr(y, true))
        return function*() {
          budget.step()
          const out: Array<Value> = []
          for (const item of items) out.push(yield* item())
          return run.shapes.list(out)
        }
      }
      case "rec": {
        const entries = x.entries.map(([k, y]) => [k, this.expr(y, true)] as const)
        return function*() {
          budget.step()
          const m = new Map<string, Value>()
          for (const [k, y] of entries) m.set(k, yield* y())
          return run.shapes.record(m)
        }
      }
      case "field": {
        const obj = this.expr(x.obj, false)
        return function*() {
          budget.step()
          const v = field(yield* obj(), x.key)
          if (escape) run.vars.disown(v)
          return v
        }
      }
      case "index": {
        const obj = this.expr(x.obj, false)
        const idx = this.expr(x.idx, false)
        return function*() {
          budget.step()
          const o = yield* obj()
          const v = index(run, o, yield* idx())
          if (escape) run.vars.disown(v)
          return v
        }
      }
      case "call": {
        const impl = builtin(x.name)
        const args = x.args.map((y) => this.expr(y, BUILTINS[x.name]?.aliasesArguments ?? true))
        return function*() {
          budget.step()
          const values: Array<Value> = []
          for (const a of args) values.push(yield* a())
          return impl(run, values)
        }
      }
      case "mcall": {
        const res = run.linked.calls.get(x)
        if (res?.kind === "ctor") {
          const a0 = this.expr(x.args[0]!, true)
          return function*() {
            budget.step()
            return construct(run, res, yield* a0())
          }
        }
        const call = compileCall(this, x)
        return function*() {
          budget.step()
          return wrapper(run.shapes, yield* call())
        }
      }
      case "unwrap": {
        if (x.e.k === "mcall" && run.linked.calls.get(x.e)?.kind !== "ctor") {
          const call = compileCall(this, x.e)
          return function*() {
            budget.step()
            const r = yield* call()
            if (!r.ok) return fault("UnwrapFailed", `\`?\` unwrapped failed module operation: ${r.error}`)
            return r.value
          }
        }
        const e = this.expr(x.e, true)
        return function*() {
          budget.step()
          return unwrap(yield* e())
        }
      }
      case "un": {
        if (x.op === "await") return compileAwait(this, x)
        const e = this.expr(x.e, false)
        const negate = x.op === "-"
        return function*() {
          budget.step()
          const v = yield* e()
          return negate ? -toNumber(v) : !truthy(v)
        }
      }
      case "bin": {
        const l = this.expr(x.l, x.op === "+" && escape)
        const r = this.expr(x.r, x.op === "+" && escape)
        const op = x.op
        return function*() {
          budget.step()
          if (op === "and") return truthy(yield* l()) && truthy(yield* r())
          if (op === "or") return truthy(yield* l()) || truthy(yield* r())
          const a = yield* l()
          return binary(run, op, a, yield* r())
        }
      }
      case "tern": {
        const c = this.expr(x.c, false)
        const a = this.expr(x.a, escape)
        const b = this.expr(x.b, escape)
        return function*() {
          budget.step()
          return truthy(yield* c()) ? yield* a() : yield* b()
        }
      }
      case "sleep":
        return compileSleep(this, x)
      case "start":
        return compileStart(this, x)
      case "wait":
        return compileWaitSignal(this, x)
      case "sigrun":
        return compileSignalRun(this, x)
      default:
        return lift(this.pure.expr(x, escape))
    }
  }

  /** A statement that performs host operations. */
  stmt(s: Stmt): ExecG {
    return compileStatement(this, s)
  }

  /** A block; `top` marks the statements whose span locates a runtime error. */
  block(stmts: ReadonlyArray<Stmt>, top: boolean): ExecG {
    const parts = stmts.map((s) =>
      this.effectful(s) ? { s, g: this.stmt(s), f: undefined } : { s, g: undefined, f: this.pure.stmt(s) }
    )
    const location = this.run.location
    return function*() {
      for (const part of parts) {
        if (top) location.at(part.s.p)
        const r = part.f !== undefined ? part.f() : yield* part.g!()
        if (r !== NORMAL) return r
      }
      return NORMAL
    }
  }
}

/** A synchronous closure as a generator closure that never yields. */
export const lift = <A>(f: () => A) =>
  function*(): Generator<never, A, unknown> {
    return f()
  }
