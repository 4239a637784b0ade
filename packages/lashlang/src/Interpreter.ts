/**
 * The interpreter (docs/lashlang.md, "Semantics"). Pure computation runs synchronously in plain JavaScript; only nodes the
 * linker marked as performing go through a generator that hands host operations to the driver, which runs them
 * through `host.perform` in Effect. Runtime errors are outcomes, never Effect failures, so globals survive.
 *
 * @since 0.1.0
 */
import { Effect, Exit } from "effect"
import type { Expr, ProcessDecl, Stmt } from "./Ast.js"
import { HostFailure, LashlangRuntimeError, type RuntimeErrorKind, type Span } from "./Errors.js"
import type { HostOperation, LashlangHost, Site, TriggerInput } from "./Host.js"
import type { LinkedModule } from "./Linker.js"
import { formatType, toJsonSchema, type TypeExpr } from "./TypeExpr.js"
import {
  type Authority,
  type Descriptor,
  equals,
  fromJson,
  isList,
  isRecord,
  type ProcessDefValue,
  RecordValue,
  toText,
  truthy,
  typeName,
  type TypeValue,
  type Value
} from "./Value.js"

/** Execution limits (docs/lashlang.md, "Limits"). @since 0.1.0 */
export interface ExecLimits {
  readonly maxSteps: number
  readonly maxStringLength: number
  readonly maxListLength: number
  readonly maxRecordEntries: number
  readonly maxValueDepth: number
  readonly maxHostOperations: number
  readonly maxProcessStarts: number
  readonly maxPrints: number
  readonly maxPrintedChars: number
  readonly aggregateConcurrency: number
  readonly maxAggregateLeaves: number
}

/** Default limits; the process step budget is 10× the foreground one. @since 0.1.0 */
export const defaultExecLimits: ExecLimits = {
  maxSteps: 1_000_000,
  maxStringLength: 10_000_000,
  maxListLength: 1_000_000,
  maxRecordEntries: 100_000,
  maxValueDepth: 128,
  maxHostOperations: 1_000,
  maxProcessStarts: 100,
  maxPrints: 1_000,
  maxPrintedChars: 1_000_000,
  aggregateConcurrency: 16,
  maxAggregateLeaves: 256
}

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

/** A thrown runtime error (converted to an `Errored` outcome by the driver). */
class RtError {
  constructor(
    readonly kind: RuntimeErrorKind,
    readonly message: string,
    readonly hint?: string
  ) {}
}
class Terminate {
  constructor(
    readonly kind: "submit" | "finish" | "fail",
    readonly value: Value
  ) {}
}

type HostResult = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: string }
type Request =
  | { readonly _tag: "one"; readonly op: HostOperation }
  | { readonly _tag: "many"; readonly ops: ReadonlyArray<HostOperation> }

const BREAK = 1
const CONTINUE = 2

const err = (kind: RuntimeErrorKind, message: string, hint?: string): never => {
  throw new RtError(kind, message, hint)
}

const NUM_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
/** The maximum bracket depth of a JSON text, ignoring brackets inside strings. */
const jsonDepth = (s: string): number => {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (inString) {
      if (c === 92) i++
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) max = Math.max(max, ++depth)
    else if (c === 93 || c === 125) depth--
  }
  return max
}

const toNumber = (v: Value): number => {
  if (typeof v === "number") return v
  if (typeof v === "boolean") return v ? 1 : 0
  if (v === null) return 0
  if (typeof v === "string") {
    const s = v.trim()
    if (s === "") return 0
    if (NUM_RE.test(s)) return Number(s)
    const low = s.toLowerCase().replace(/^[+-]/, "")
    if (low === "inf" || low === "infinity") return s.startsWith("-") ? -Infinity : Infinity
    if (low === "nan") return Number.NaN
    return err("TypeError", "expected a number")
  }
  return err("TypeError", `expected a number, got ${typeName(v)}`)
}
const text = (v: Value, who?: string): string => {
  if (isList(v) || isRecord(v) || (typeof v === "object" && v !== null)) {
    return err("TypeError", `${who === undefined ? "" : `\`${who}\` `}expected text, got ${typeName(v)}`)
  }
  return toText(v)
}
const cps = (s: string): Array<string> => [...s]
const isInt = (v: Value): v is number => typeof v === "number" && Number.isInteger(v)

/** One execution. */
class Machine {
  steps = 0
  hostOps = 0
  starts = 0
  prints = 0
  printedChars = 0
  truncated = false
  readonly sites: Array<Site> = []
  private readonly occurrences = new Map<string, number>()
  private readonly depth = new WeakMap<object, number>()
  currentSpan: Span | undefined

  constructor(
    readonly linked: LinkedModule,
    readonly globals: Map<string, Value>,
    readonly limits: ExecLimits,
    readonly mode: "foreground" | "process",
    readonly entry: string
  ) {}

  // ---- limits ----
  step(n = 1): void {
    this.steps += n
    if (this.steps > this.limits.maxSteps) err("LimitExceeded", `step budget exhausted (${this.limits.maxSteps} steps)`)
  }
  str(s: string): string {
    if (s.length > this.limits.maxStringLength) {
      err("LimitExceeded", `string too long (limit ${this.limits.maxStringLength})`)
    }
    return s
  }
  list(xs: ReadonlyArray<Value>): ReadonlyArray<Value> {
    if (xs.length > this.limits.maxListLength) {
      err("LimitExceeded", `list too long (limit ${this.limits.maxListLength})`)
    }
    let d = 0
    for (const x of xs) if (typeof x === "object" && x !== null) d = Math.max(d, this.depthOf(x))
    this.setDepth(xs, d + 1)
    return xs
  }
  rec(entries: Map<string, Value>): RecordValue {
    if (entries.size > this.limits.maxRecordEntries) {
      err("LimitExceeded", `record too large (limit ${this.limits.maxRecordEntries})`)
    }
    const r = new RecordValue(entries)
    let d = 0
    for (const x of entries.values()) if (typeof x === "object" && x !== null) d = Math.max(d, this.depthOf(x))
    this.setDepth(r, d + 1)
    return r
  }
  private depthOf(x: object): number {
    const known = this.depth.get(x)
    if (known !== undefined) return known
    // Values from outside (globals, host results) are measured once, iteratively bounded.
    let d = 1
    if (Array.isArray(x)) {
      for (const y of x) if (typeof y === "object" && y !== null) d = Math.max(d, 1 + this.depthOf(y))
    }
    if (x instanceof RecordValue) {
      for (const y of x.entries.values()) {
        if (typeof y === "object" && y !== null) d = Math.max(d, 1 + this.depthOf(y))
      }
    }
    this.depth.set(x, d)
    return d
  }
  private setDepth(x: object, d: number): void {
    if (d > this.limits.maxValueDepth) {
      err("LimitExceeded", `value nesting too deep (limit ${this.limits.maxValueDepth})`)
    }
    this.depth.set(x, d)
  }

  site(node: object, kind: string): Site {
    const nodeId = this.linked.nodeIds.get(node) ?? `${kind}:unknown`
    const occurrence = this.occurrences.get(nodeId) ?? 0
    this.occurrences.set(nodeId, occurrence + 1)
    const s = { entry: this.entry, nodeId, kind, occurrence }
    this.sites.push(s)
    return s
  }
  countHostOp(op: HostOperation): void {
    if (op._tag === "Print" || op._tag === "Terminate") return
    if (op._tag === "StartProcess") {
      if (++this.starts > this.limits.maxProcessStarts) {
        err("LimitExceeded", `too many process starts in one block (limit ${this.limits.maxProcessStarts})`)
      }
    }
    if (++this.hostOps > this.limits.maxHostOperations) {
      err("LimitExceeded", `too many host operations in one block (limit ${this.limits.maxHostOperations})`)
    }
  }

  // ---- names ----
  /**
   * Lists only one variable holds, created by {@link appendInPlace}: `xs = xs + [v]` and `xs = push(xs, v)` may grow
   * them in place instead of copying (docs/lashlang.md, "Performance"). Any other read of the variable can alias the list, so `read`
   * gives up ownership; values are immutable to programs, so in-place growth is unobservable.
   */
  private readonly owned = new WeakSet<object>()

  /** The uniquely-owned append fast path; false when the statement is not of that shape (nothing evaluated). */
  appendInPlace(s: Extract<Stmt, { k: "assign" }>): boolean {
    if (s.target.path.length !== 0) return false
    const root = s.target.root
    const e = s.e
    let extra: Expr
    let single: boolean
    if (e.k === "bin" && e.op === "+" && e.l.k === "name" && e.l.name === root) {
      extra = e.r
      single = false
    } else if (
      e.k === "call" && e.name === "push" && e.args.length === 2 && e.args[0]!.k === "name" &&
      e.args[0]!.name === root && this.linked.calls.get(e) === undefined
    ) {
      extra = e.args[1]!
      single = true
    } else return false
    const cur = this.globals.get(root)
    if (!isList(cur)) return false
    this.step(2)
    const v = this.ev(extra)
    if (!single && !isList(v)) {
      this.globals.set(root, this.binop("+", cur, v))
      return true
    }
    const added: ReadonlyArray<Value> = single ? [v] : (v as ReadonlyArray<Value>)
    if (this.owned.has(cur) && added !== cur) {
      if (cur.length + added.length > this.limits.maxListLength) {
        err("LimitExceeded", `list too long (limit ${this.limits.maxListLength})`)
      }
      let d = (this.depth.get(cur) ?? 1) - 1
      for (const x of added) if (typeof x === "object" && x !== null) d = Math.max(d, this.depthOf(x))
      this.setDepth(cur, d + 1)
      ;(cur as Array<Value>).push(...added)
      return true
    }
    const next = this.list([...cur, ...added])
    this.owned.add(next)
    this.globals.set(root, next)
    return true
  }

  read(name: string, x: Expr): Value {
    const v = this.globals.get(name)
    if (v !== undefined) {
      if (typeof v === "object" && v !== null && Array.isArray(v)) this.owned.delete(v)
      return v
    }
    if (this.globals.has(name)) return null
    const auth = this.linked.authorities.get(x)
    if (auth !== undefined) {
      return { _tag: "Authority", path: auth.path, resourceType: auth.resourceType, alias: auth.path.join(".") }
    }
    const proc = this.linked.processValues.get(name)
    if (proc !== undefined) return this.processDef(name)
    return err("UnknownName", `unknown name \`${name}\``)
  }
  processDef(name: string): ProcessDefValue {
    const proc = this.linked.processValues.get(name)!
    return {
      _tag: "ProcessDef",
      processName: name,
      moduleRef: this.linked.artifact.moduleRef,
      processRef: proc.export.ref,
      hostRequirementsRef: this.linked.artifact.hostRequirementsRef
    }
  }

  // ---- pure evaluation ----
  ev(x: Expr): Value {
    this.step()
    switch (x.k) {
      case "lit":
        return x.v
      case "list":
        return this.list(x.items.map((y) => this.ev(y)))
      case "rec": {
        const m = new Map<string, Value>()
        for (const [k, y] of x.entries) m.set(k, this.ev(y))
        return this.rec(m)
      }
      case "name":
        return this.read(x.name, x)
      case "field": {
        const auth = this.linked.authorities.get(x)
        if (auth !== undefined) {
          return { _tag: "Authority", path: auth.path, resourceType: auth.resourceType, alias: auth.path.join(".") }
        }
        return this.field(this.ev(x.obj), x.key)
      }
      case "index":
        return this.index(this.ev(x.obj), this.ev(x.idx))
      case "call":
        return this.builtin(x.name, x.args.map((y) => this.ev(y)))
      case "mcall":
        return this.construct(x, this.ev(x.args[0]!))
      case "unwrap":
        return this.unwrap(this.ev(x.e))
      case "un": {
        const v = this.ev(x.e)
        if (x.op === "!") return !truthy(v)
        if (x.op === "-") return -toNumber(v)
        return v
      }
      case "bin":
        if (x.op === "and") return truthy(this.ev(x.l)) && truthy(this.ev(x.r))
        if (x.op === "or") return truthy(this.ev(x.l)) || truthy(this.ev(x.r))
        return this.binop(x.op, this.ev(x.l), this.ev(x.r))
      case "tern":
        return truthy(this.ev(x.c)) ? this.ev(x.a) : this.ev(x.b)
      case "type":
        return { _tag: "TypeValue", schema: this.schemaOf(x.t) }
      default:
        return err("TypeError", "internal: effectful node evaluated synchronously")
    }
  }

  construct(x: Extract<Expr, { k: "mcall" }>, arg: Value): Descriptor {
    const res = this.linked.calls.get(x)
    if (res?.kind !== "ctor") return err("TypeError", "internal: unresolved call")
    if (!res.precise) {
      const problem = this.check(arg, res.input, "$")
      if (problem !== undefined) err("ValidationFailed", `constructor \`${res.typeName}\` input is invalid: ${problem}`)
    }
    return { _tag: "Descriptor", typeName: res.typeName, value: arg }
  }

  field(o: Value, key: string): Value {
    if (o === null) return null
    if (isRecord(o)) return o.get(key) ?? null
    return err("TypeError", `can't read \`.${key}\` from ${typeName(o)}`)
  }
  index(o: Value, i: Value): Value {
    if (o === null) return null
    if (isList(o) || typeof o === "string") {
      if (!isInt(i)) return err("TypeError", "index must be an integer")
      const items = typeof o === "string" ? cps(o) : o
      const k = i < 0 ? items.length + i : i
      return k >= 0 && k < items.length ? items[k]! : null
    }
    if (isRecord(o)) return o.get(toText(i)) ?? null
    return err("TypeError", `can't index ${typeName(o)}`)
  }
  unwrap(v: Value): Value {
    if (!isRecord(v)) return err("TypeError", `\`?\` expected a tool result wrapper, got ${typeName(v)}`)
    const ok = v.get("ok")
    if (typeof ok !== "boolean") return err("TypeError", "`?` expected a tool result wrapper with boolean `ok`")
    if (ok) {
      const value = v.get("value")
      if (value === undefined) return err("TypeError", "`?` found a successful tool result wrapper missing `value`")
      return value
    }
    return err(
      "UnwrapFailed",
      `\`?\` unwrapped failed tool result: ${toText(v.get("error") ?? null)}`,
      "remove `?` and inspect `.ok` or `.error` when you need to handle failures"
    )
  }
  binop(op: string, l: Value, r: Value): Value {
    switch (op) {
      case "+":
        if (typeof l === "number" && typeof r === "number") return l + r
        if (typeof l === "string" || typeof r === "string") return this.str(toText(l) + toText(r))
        if (isList(l) && isList(r)) return this.list([...l, ...r])
        return toNumber(l) + toNumber(r)
      case "-":
        return toNumber(l) - toNumber(r)
      case "*":
        return toNumber(l) * toNumber(r)
      case "/":
        return toNumber(l) / toNumber(r)
      case "%":
        return toNumber(l) % toNumber(r)
      case "==":
        return equals(l, r)
      case "!=":
        return !equals(l, r)
      default: {
        let c: number
        if (typeof l === "string" && typeof r === "string") c = l < r ? -1 : l > r ? 1 : 0
        else {
          const a = toNumber(l)
          const b = toNumber(r)
          if (Number.isNaN(a) || Number.isNaN(b)) return false
          c = a < b ? -1 : a > b ? 1 : 0
        }
        return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0
      }
    }
  }

  // ---- statements (pure) ----
  exec(stmts: ReadonlyArray<Stmt>, top = false): number {
    for (const s of stmts) {
      if (top) this.currentSpan = s.p
      const r = this.execOne(s)
      if (r !== 0) return r
    }
    return 0
  }
  execOne(s: Stmt): number {
    this.step()
    switch (s.k) {
      case "if":
        return truthy(this.ev(s.c)) ? this.exec(s.then) : s.else ? this.exec(s.else) : 0
      case "for": {
        const list = this.ev(s.e)
        if (!isList(list)) return err("NotIterable", "`for` expects a list")
        const had = this.globals.has(s.v)
        const prev = this.globals.get(s.v)
        try {
          for (const item of list) {
            this.globals.set(s.v, item)
            const r = this.exec(s.body)
            if (r === BREAK) break
          }
        } finally {
          if (had) this.globals.set(s.v, prev!)
          else this.globals.delete(s.v)
        }
        return 0
      }
      case "while":
        while (truthy(this.ev(s.c))) {
          this.step()
          const r = this.exec(s.body)
          if (r === BREAK) break
        }
        return 0
      case "break":
        return BREAK
      case "continue":
        return CONTINUE
      case "assign":
        if (this.appendInPlace(s)) return 0
        this.assign(s, this.ev(s.e), s.target.path.map((step) => ("idx" in step ? this.ev(step.idx) : step.key)))
        return 0
      case "expr":
        this.ev(s.e)
        return 0
      default:
        return err("TypeError", "internal: effectful statement executed synchronously")
    }
  }

  assign(s: Extract<Stmt, { k: "assign" }>, value: Value, keys: ReadonlyArray<Value>): void {
    const root = s.target.root
    if (keys.length === 0) {
      this.globals.set(root, value)
      return
    }
    if (!this.globals.has(root)) err("UnknownName", `unknown name \`${root}\``)
    const steps = s.target.path
    const put = (container: Value, i: number): Value => {
      const key = keys[i]!
      const isField = "key" in steps[i]!
      const last = i === keys.length - 1
      if (isRecord(container)) {
        const k = isField ? (key as string) : toText(key)
        const next = last ? value : container.get(k)
        if (!last && next === undefined) return err("TypeError", `can't assign through missing field \`.${k}\``)
        const m = new Map(container.entries)
        m.set(k, last ? value : put(next!, i + 1))
        return this.rec(m)
      }
      if (isList(container) && !isField) {
        if (!isInt(key)) return err("TypeError", "list assignment index must be an integer")
        const idx = key < 0 ? container.length + key : key
        if (idx < 0 || idx >= container.length) return err("ValueError", "list assignment index out of bounds")
        const copy = [...container]
        copy[idx] = last ? value : put(container[idx]!, i + 1)
        return this.list(copy)
      }
      if (isField) return err("TypeError", `can't assign \`.${key as string}\` on ${typeName(container)}`)
      return err("TypeError", `can't assign index on ${typeName(container)}`)
    }
    this.globals.set(root, put(this.globals.get(root)!, 0))
  }

  // ---- effectful evaluation (generators) ----
  *evG(x: Expr): Generator<Request, Value, unknown> {
    if (!this.linked.effectful.has(x)) return this.ev(x)
    this.step()
    switch (x.k) {
      case "list": {
        const out: Array<Value> = []
        for (const y of x.items) out.push(yield* this.evG(y))
        return this.list(out)
      }
      case "rec": {
        const m = new Map<string, Value>()
        for (const [k, y] of x.entries) m.set(k, yield* this.evG(y))
        return this.rec(m)
      }
      case "field":
        return this.field(yield* this.evG(x.obj), x.key)
      case "index":
        return this.index(yield* this.evG(x.obj), yield* this.evG(x.idx))
      case "call": {
        const args: Array<Value> = []
        for (const y of x.args) args.push(yield* this.evG(y))
        return this.builtin(x.name, args)
      }
      case "mcall": {
        const r = yield* this.callG(x)
        return r.ok
          ? this.rec(new Map<string, Value>([["ok", true], ["value", r.value]]))
          : this.rec(new Map<string, Value>([["ok", false], ["error", r.error]]))
      }
      case "unwrap": {
        if (x.e.k === "mcall" && this.linked.calls.get(x.e)?.kind !== "ctor") {
          const r = yield* this.callG(x.e)
          if (!r.ok) return err("UnwrapFailed", `\`?\` unwrapped failed module operation: ${r.error}`)
          return r.value
        }
        return this.unwrap(yield* this.evG(x.e))
      }
      case "un": {
        if (x.op !== "await") {
          const v = yield* this.evG(x.e)
          return x.op === "!" ? !truthy(v) : -toNumber(v)
        }
        return yield* this.awaitG(x)
      }
      case "bin": {
        if (x.op === "and") return truthy(yield* this.evG(x.l)) && truthy(yield* this.evG(x.r))
        if (x.op === "or") return truthy(yield* this.evG(x.l)) || truthy(yield* this.evG(x.r))
        const l = yield* this.evG(x.l)
        return this.binop(x.op, l, yield* this.evG(x.r))
      }
      case "tern":
        return truthy(yield* this.evG(x.c)) ? yield* this.evG(x.a) : yield* this.evG(x.b)
      case "sleep": {
        const v = yield* this.evG(x.e)
        const r = yield* this.perform({ _tag: "Sleep", site: this.site(x, "sleep"), mode: x.mode, value: v })
        if (!r.ok) return err("HostFailure", `sleep failed: ${r.error}`)
        return null
      }
      case "start": {
        const decl = this.linked.processValues.get(x.name)!
        const args = new Map<string, Value>()
        for (const [k, y] of x.args) args.set(k, yield* this.evG(y))
        for (const p of decl.decl.params) {
          const problem = this.checkParam(args.get(p.name) ?? null, p.type)
          if (problem !== undefined) {
            err("ValidationFailed", `process \`${x.name}\` argument \`${p.name}\` is invalid: ${problem}`)
          }
        }
        const def = this.processDef(x.name)
        const r = yield* this.perform({
          _tag: "StartProcess",
          site: this.site(x, "start"),
          moduleRef: def.moduleRef,
          processRef: def.processRef,
          hostRequirementsRef: def.hostRequirementsRef,
          processName: x.name,
          args: this.rec(args)
        })
        if (!r.ok) return err("HostFailure", `process start failed: ${r.error}`)
        return r.value
      }
      case "wait": {
        const r = yield* this.perform({ _tag: "WaitSignal", site: this.site(x, "wait_signal"), name: x.name })
        if (!r.ok) return err("HostFailure", `wait_signal failed: ${r.error}`)
        return r.value
      }
      case "sigrun": {
        const h = yield* this.evG(x.h)
        const payload = yield* this.evG(x.payload)
        const r = yield* this.perform({
          _tag: "SignalRun",
          site: this.site(x, "signal_run"),
          handle: h,
          name: x.name,
          payload
        })
        if (!r.ok) return err("HostFailure", `signal_run failed: ${r.error}`)
        return null
      }
      default:
        return this.ev(x)
    }
  }

  *perform(op: HostOperation): Generator<Request, HostResult, unknown> {
    this.countHostOp(op)
    return (yield { _tag: "one", op }) as HostResult
  }

  /** Builds the host operation of a direct module call (or trigger registration). */
  *callOp(x: Extract<Expr, { k: "mcall" }>): Generator<Request, HostOperation, unknown> {
    const res = this.linked.calls.get(x)!
    if (res.kind === "register") {
      const rec = x.args[0] as Extract<Expr, { k: "rec" }>
      const entries = new Map(rec.entries)
      const source = yield* this.evG(entries.get("source")!)
      const target = yield* this.evG(entries.get("target")!)
      if (
        typeof source !== "object" || source === null || isList(source) || isRecord(source) ||
        source._tag !== "Descriptor"
      ) return err("TypeError", "trigger source must be a trigger source descriptor")
      if (
        typeof target !== "object" || target === null || isList(target) || isRecord(target) ||
        target._tag !== "ProcessDef"
      ) return err("TypeError", "trigger target must be a process value")
      const inputs: Array<TriggerInput> = []
      for (const [name, y] of (entries.get("inputs") as Extract<Expr, { k: "rec" }>).entries) {
        if (
          y.k === "field" && y.key === "event" && y.obj.k === "name" && y.obj.name === "trigger" &&
          !this.globals.has("trigger")
        ) inputs.push({ name, binding: { kind: "event" } })
        else inputs.push({ name, binding: { kind: "fixed", value: yield* this.evG(y) } })
      }
      const nameExpr = entries.get("name")
      const name = nameExpr === undefined ? undefined : yield* this.evG(nameExpr)
      return {
        _tag: "TriggerRegister",
        site: this.site(x, "trigger_register"),
        source,
        target,
        inputs,
        ...(name === undefined || name === null ? {} : { name: toText(name) })
      }
    }
    let receiver: Authority
    let operation: string
    let hostOperation: string
    let input: TypeExpr | undefined
    if (res.kind === "op") {
      receiver = { _tag: "Authority", path: res.path, resourceType: res.resourceType, alias: res.path.join(".") }
      operation = res.op
      hostOperation = res.hostOperation
      input = res.input
    } else if (res.kind === "authop") {
      const recv = yield* this.evG(x.recv)
      if (typeof recv !== "object" || recv === null || isList(recv) || isRecord(recv) || recv._tag !== "Authority") {
        return err("TypeError", `receiver for operation \`${x.name}\` is not a module authority`)
      }
      receiver = recv
      operation = res.op
      const spec = this.linked.env.catalog.resourceTypes[recv.resourceType]?.[res.op]
      if (spec === undefined) {
        return err("TypeError", `resource type \`${recv.resourceType}\` does not expose operation \`${res.op}\``)
      }
      hostOperation = spec.hostOperation
      input = spec.input
    } else return err("TypeError", "internal: constructor performed")
    const args: Array<Value> = []
    for (const y of x.args) args.push(yield* this.evG(y))
    if (input !== undefined && input._tag !== "Any") {
      const problem = this.check(args.length === 1 ? args[0]! : args, input, "$")
      if (problem !== undefined) {
        err("ValidationFailed", `operation \`${receiver.alias}.${operation}\` input is invalid: ${problem}`)
      }
    }
    return { _tag: "Call", site: this.site(x, "call"), receiver, operation, hostOperation, args }
  }

  *callG(x: Extract<Expr, { k: "mcall" }>): Generator<Request, HostResult, unknown> {
    const op = yield* this.callOp(x)
    return yield* this.perform(op)
  }

  /** `await e`: direct calls, aggregate literals with call leaves, or awaitValue. */
  *awaitG(x: Extract<Expr, { k: "un" }>): Generator<Request, Value, unknown> {
    const inner = x.e
    const isCall = (y: Expr) =>
      (y.k === "mcall" && this.linked.calls.get(y)?.kind !== "ctor") ||
      (y.k === "unwrap" && y.e.k === "mcall" && this.linked.calls.get(y.e)?.kind !== "ctor")
    if (isCall(inner)) return yield* this.evG(inner)
    if ((inner.k === "list" || inner.k === "rec") && this.hasCallLeaf(inner, isCall)) {
      return yield* this.aggregateG(inner, isCall)
    }
    return yield* this.awaitValueG(yield* this.evG(inner), x)
  }
  private hasCallLeaf(y: Expr, isCall: (y: Expr) => boolean): boolean {
    if (isCall(y)) return true
    if (y.k === "list") return y.items.some((z) => this.hasCallLeaf(z, isCall))
    if (y.k === "rec") return y.entries.some(([, z]) => this.hasCallLeaf(z, isCall))
    return false
  }
  *aggregateG(root: Expr, isCall: (y: Expr) => boolean): Generator<Request, Value, unknown> {
    // Evaluate non-call leaves in source order, collect call operations, perform them together.
    const leaves: Array<{ op: HostOperation; unwrap: boolean }> = []
    type Shape = { k: "leaf"; i: number } | { k: "val"; v: Value } | { k: "list"; items: Array<Shape> } | {
      k: "rec"
      entries: Array<[string, Shape]>
    }
    const walk = function*(this: Machine, y: Expr): Generator<Request, Shape, unknown> {
      if (isCall(y)) {
        const call = (y.k === "unwrap" ? y.e : y) as Extract<Expr, { k: "mcall" }>
        const op = yield* this.callOp(call)
        this.countHostOp(op)
        leaves.push({ op, unwrap: y.k === "unwrap" })
        return { k: "leaf", i: leaves.length - 1 }
      }
      if (y.k === "list") {
        const items: Array<Shape> = []
        for (const z of y.items) items.push(yield* walk.call(this, z))
        return { k: "list", items }
      }
      if (y.k === "rec") {
        const entries: Array<[string, Shape]> = []
        for (const [k, z] of y.entries) entries.push([k, yield* walk.call(this, z)])
        return { k: "rec", entries }
      }
      return { k: "val", v: yield* this.awaitValueG(yield* this.evG(y), y) }
    }
    const shape = yield* walk.call(this, root)
    if (leaves.length > this.limits.maxAggregateLeaves) {
      err("LimitExceeded", `too many aggregate await leaves (limit ${this.limits.maxAggregateLeaves})`)
    }
    const results = (yield { _tag: "many", ops: leaves.map((l) => l.op) }) as ReadonlyArray<HostResult>
    for (let i = 0; i < leaves.length; i++) {
      const r = results[i]!
      if (leaves[i]!.unwrap && !r.ok) err("UnwrapFailed", `\`?\` unwrapped failed module operation: ${r.error}`)
    }
    const build = (s: Shape): Value => {
      if (s.k === "val") return s.v
      if (s.k === "leaf") {
        const r = results[s.i]!
        if (leaves[s.i]!.unwrap) return (r as { value: Value }).value
        return r.ok
          ? this.rec(new Map<string, Value>([["ok", true], ["value", r.value]]))
          : this.rec(new Map<string, Value>([["ok", false], ["error", r.error]]))
      }
      if (s.k === "list") return this.list(s.items.map(build))
      return this.rec(new Map(s.entries.map(([k, z]) => [k, build(z)] as const)))
    }
    return build(shape)
  }
  *awaitValueG(v: Value, node: object): Generator<Request, Value, unknown> {
    if (isRecord(v) && v.get("__handle__") !== undefined) {
      const r = yield* this.perform({ _tag: "Await", site: this.site(node, "await"), handle: v })
      return r.ok
        ? this.rec(new Map<string, Value>([["ok", true], ["value", r.value]]))
        : this.rec(new Map<string, Value>([["ok", false], ["error", r.error]]))
    }
    if (isList(v)) {
      const out: Array<Value> = []
      for (const y of v) out.push(yield* this.awaitValueG(y, node))
      return this.list(out)
    }
    if (isRecord(v)) {
      const m = new Map<string, Value>()
      for (const [k, y] of v.entries) m.set(k, yield* this.awaitValueG(y, node))
      return this.rec(m)
    }
    return v
  }

  *execG(stmts: ReadonlyArray<Stmt>, top = false): Generator<Request, number, unknown> {
    for (const s of stmts) {
      if (top) this.currentSpan = s.p
      const r = this.linked.effectful.has(s) ? yield* this.execOneG(s) : this.execOne(s)
      if (r !== 0) return r
    }
    return 0
  }
  *execOneG(s: Stmt): Generator<Request, number, unknown> {
    this.step()
    switch (s.k) {
      case "if":
        return truthy(yield* this.evG(s.c)) ? yield* this.execG(s.then) : s.else ? yield* this.execG(s.else) : 0
      case "for": {
        const list = yield* this.evG(s.e)
        if (!isList(list)) return err("NotIterable", "`for` expects a list")
        const had = this.globals.has(s.v)
        const prev = this.globals.get(s.v)
        try {
          for (const item of list) {
            this.globals.set(s.v, item)
            if ((yield* this.execG(s.body)) === BREAK) break
          }
        } finally {
          if (had) this.globals.set(s.v, prev!)
          else this.globals.delete(s.v)
        }
        return 0
      }
      case "while":
        while (truthy(yield* this.evG(s.c))) {
          this.step()
          if ((yield* this.execG(s.body)) === BREAK) break
        }
        return 0
      case "assign": {
        const keys: Array<Value> = []
        for (const step of s.target.path) keys.push("idx" in step ? yield* this.evG(step.idx) : step.key)
        this.assign(s, yield* this.evG(s.e), keys)
        return 0
      }
      case "expr":
        yield* this.evG(s.e)
        return 0
      case "print": {
        const v = yield* this.evG(s.e)
        if (this.mode !== "foreground") return err("ModeViolation", "`print` can't be used inside a process body")
        if (this.prints >= this.limits.maxPrints || this.printedChars >= this.limits.maxPrintedChars) {
          if (!this.truncated) {
            this.truncated = true
            yield* this.perform({ _tag: "Print", site: this.site(s, "print"), value: "[output truncated]" })
          }
          return 0
        }
        this.prints++
        this.printedChars += toText(v).length
        yield* this.perform({ _tag: "Print", site: this.site(s, "print"), value: v })
        return 0
      }
      case "submit":
      case "finish":
      case "fail": {
        const v = s.e === undefined ? null : yield* this.evG(s.e)
        if (s.k === "submit" && this.mode !== "foreground") {
          return err("ModeViolation", "`submit` can't be used inside a process body")
        }
        if (s.k !== "submit" && this.mode !== "process") {
          return err("ModeViolation", `\`${s.k}\` can only be used inside a process body`)
        }
        if (s.k === "finish") this.checkReturn(v)
        yield* this.perform({ _tag: "Terminate", site: this.site(s, s.k), kind: s.k, value: v })
        throw new Terminate(s.k, v)
      }
      case "emit": {
        const v = yield* this.evG(s.e)
        if (this.mode !== "process") return err("ModeViolation", `\`${s.kind}\` can only be used inside a process body`)
        const r = yield* this.perform({ _tag: "Emit", site: this.site(s, s.kind), kind: s.kind, value: v })
        if (!r.ok) return err("HostFailure", `process event failed: ${r.error}`)
        return 0
      }
      case "cancel": {
        const h = yield* this.evG(s.e)
        const r = yield* this.perform({ _tag: "Cancel", site: this.site(s, "cancel"), handle: h })
        if (!r.ok) return err("HostFailure", `cancel failed: ${r.error}`)
        return 0
      }
      default:
        return this.execOne(s)
    }
  }

  entryDecl: ProcessDecl | undefined
  checkReturn(v: Value): void {
    const decl = this.entryDecl
    if (decl?.returns === undefined) return
    const problem = this.check(v, decl.returns, "$")
    if (problem !== undefined) {
      err(
        "ValidationFailed",
        `process \`${decl.name}\` finished with a value that does not match \`-> ${
          formatType(decl.returns)
        }\`: ${problem}`
      )
    }
  }

  // ---- types and validation ----
  private resolveRef(name: string): TypeExpr | "authority" | "descriptor" | undefined {
    const cat = this.linked.env.catalog
    const alias = this.linked.program.types.find((t) => t.name === name)
    if (alias !== undefined) return alias.type
    if (cat.namedDataTypes[name] !== undefined) return cat.namedDataTypes[name]
    if (cat.resourceTypes[name] !== undefined || cat.modules.some((m) => m.resourceType === name)) return "authority"
    if (cat.constructors[name] !== undefined) return "descriptor"
    return undefined
  }
  checkParam(v: Value, t: TypeExpr): string | undefined {
    return this.check(v, t, "$")
  }
  /** Validates a value against a type; returns `<path>: <reason>` or undefined. */
  check(v: Value, t: TypeExpr, path: string): string | undefined {
    const got = (
      x: Value
    ) => (x === null
      ? "null"
      : typeof x === "boolean"
      ? "boolean"
      : typeof x === "number"
      ? "number"
      : typeof x === "string"
      ? "string"
      : isList(x)
      ? "array"
      : "object")
    switch (t._tag) {
      case "Any":
        return undefined
      case "Str":
        return typeof v === "string" ? undefined : `${path}: expected string, got ${got(v)}`
      case "Int":
        return isInt(v) ? undefined : `${path}: expected integer, got ${got(v)}`
      case "Float":
        return typeof v === "number" ? undefined : `${path}: expected number, got ${got(v)}`
      case "Bool":
        return typeof v === "boolean" ? undefined : `${path}: expected boolean, got ${got(v)}`
      case "Null":
        return v === null ? undefined : `${path}: expected null, got ${got(v)}`
      case "Dict":
        return isRecord(v) ? undefined : `${path}: expected object, got ${got(v)}`
      case "Enum":
        return typeof v === "string" && t.values.includes(v)
          ? undefined
          : `${path}: expected one of [${t.values.join(", ")}], got ${toText(v)}`
      case "List": {
        if (!isList(v)) return `${path}: expected array, got ${got(v)}`
        for (let i = 0; i < v.length; i++) {
          const p = this.check(v[i]!, t.item, `${path}.items[${i}]`)
          if (p !== undefined) return p
        }
        return undefined
      }
      case "Object": {
        if (!isRecord(v)) return `${path}: expected object, got ${got(v)}`
        for (const f of t.fields) {
          const x = v.get(f.name)
          if (x === undefined) {
            if (f.optional) continue
            return `${path}: missing required field \`${f.name}\``
          }
          const p = this.check(x, f.type, `${path}.${f.name}`)
          if (p !== undefined) return p
        }
        return undefined
      }
      case "Union": {
        for (const m of t.members) if (this.check(v, m, path) === undefined) return undefined
        return `${path}: expected one of [${t.members.map((m) => jsonTypeName(m)).join(", ")}], got ${got(v)}`
      }
      case "Ref": {
        const r = this.resolveRef(t.name)
        if (r === "authority") {
          return typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "Authority" &&
              v.resourceType === t.name
            ? undefined
            : `${path}: expected ${t.name} authority, got ${typeName(v)}`
        }
        if (r === "descriptor") {
          return typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "Descriptor" &&
              v.typeName === t.name
            ? undefined
            : `${path}: expected ${t.name}, got ${typeName(v)}`
        }
        if (r === undefined) {
          const tv = this.globals.get(t.name)
          if (
            tv !== undefined && typeof tv === "object" && tv !== null && !isList(tv) && !isRecord(tv) &&
            tv._tag === "TypeValue"
          ) return this.checkSchema(v, tv.schema, path)
          return undefined
        }
        return this.check(v, r, path)
      }
      case "Process":
        return typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "ProcessDef"
          ? undefined
          : `${path}: expected process, got ${typeName(v)}`
      case "TriggerHandle":
        return undefined
    }
  }
  /** Validates against a TypeValue's JSON Schema (runtime `validate`). */
  checkSchema(v: Value, schema: unknown, path: string): string | undefined {
    const s = schema as Record<string, unknown>
    const got = (
      x: Value
    ) => (x === null
      ? "null"
      : typeof x === "boolean"
      ? "boolean"
      : typeof x === "number"
      ? "number"
      : typeof x === "string"
      ? "string"
      : isList(x)
      ? "array"
      : "object")
    if (Array.isArray(s["anyOf"])) {
      for (const m of s["anyOf"] as Array<unknown>) if (this.checkSchema(v, m, path) === undefined) return undefined
      return `${path}: expected one of [${
        (s["anyOf"] as Array<Record<string, unknown>>).map((m) => String(m["type"] ?? "any")).join(", ")
      }], got ${got(v)}`
    }
    const type = s["type"]
    if (type === undefined) return undefined
    if (type === "integer" && !isInt(v)) return `${path}: expected integer, got ${got(v)}`
    if (type === "number" && typeof v !== "number") return `${path}: expected number, got ${got(v)}`
    if (type === "string" && typeof v !== "string") return `${path}: expected string, got ${got(v)}`
    if (type === "string" && Array.isArray(s["enum"]) && !(s["enum"] as Array<unknown>).includes(v)) {
      return `${path}: expected one of [${(s["enum"] as Array<unknown>).join(", ")}], got ${toText(v)}`
    }
    if (type === "boolean" && typeof v !== "boolean") return `${path}: expected boolean, got ${got(v)}`
    if (type === "null" && v !== null) return `${path}: expected null, got ${got(v)}`
    if (type === "array") {
      if (!isList(v)) return `${path}: expected array, got ${got(v)}`
      if (s["items"] !== undefined) {
        for (let i = 0; i < v.length; i++) {
          const p = this.checkSchema(v[i]!, s["items"], `${path}.items[${i}]`)
          if (p !== undefined) return p
        }
      }
    }
    if (type === "object") {
      if (!isRecord(v)) return `${path}: expected object, got ${got(v)}`
      const props = (s["properties"] ?? {}) as Record<string, unknown>
      for (const req of (s["required"] ?? []) as Array<string>) {
        if (v.get(req) === undefined) return `${path}: missing required field \`${req}\``
      }
      for (const [k, sub] of Object.entries(props)) {
        const x = v.get(k)
        if (x === undefined) continue
        const p = this.checkSchema(x, sub, `${path}.${k}`)
        if (p !== undefined) return p
      }
    }
    return undefined
  }
  schemaOf(t: TypeExpr): unknown {
    return toJsonSchema(t, {
      openObjects: false,
      resolveRef: (name) => {
        const v = this.globals.get(name)
        if (v === undefined) return err("UnknownName", `unknown name \`${name}\``)
        if (typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "TypeValue") return v.schema
        return err("TypeError", `\`${name}\` is not a Type value`)
      }
    })
  }

  // ---- builtins ----
  builtin(name: string, a: ReadonlyArray<Value>): Value {
    const n = (i: number) => a[i] ?? null
    switch (name) {
      case "len":
      case "empty": {
        const v = n(0)
        const len = v === null
          ? 0
          : typeof v === "string"
          ? cps(v).length
          : isList(v)
          ? v.length
          : isRecord(v)
          ? v.size
          : err("TypeError", `\`${name}\` requires a string, list, record, or null; use \`.size\` for images`)
        return name === "len" ? len : len === 0
      }
      case "keys":
      case "values": {
        const v = n(0)
        if (v === null) return []
        if (!isRecord(v)) return err("TypeError", `\`${name}\` requires a record or null`)
        return this.list(name === "keys" ? [...v.entries.keys()] : [...v.entries.values()])
      }
      case "slice": {
        const v = n(0)
        const items = typeof v === "string"
          ? cps(v)
          : isList(v)
          ? v
          : err("TypeError", "`slice` requires a string or list")
        const bound = (b: Value, dflt: number) => {
          if (b === null) return dflt
          const x = Math.trunc(toNumber(b))
          return Math.max(0, Math.min(items.length, x < 0 ? items.length + x : x))
        }
        const s = bound(n(1), 0)
        const e = bound(n(2), items.length)
        const out = s >= e ? [] : items.slice(s, e)
        this.step(Math.floor(out.length / 1000))
        return typeof v === "string" ? (out as Array<string>).join("") : this.list(out as ReadonlyArray<Value>)
      }
      case "range": {
        const nums = a.map((
          x
        ) => (typeof x === "number" && Number.isFinite(x)
          ? (Number.isInteger(x) ? x : err("ValueError", "`range` bounds must be finite integers"))
          : err("TypeError", `\`range\` bounds must be finite integers, got ${typeName(x)}`))
        )
        const [start, end, stepBy] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1]
        if (stepBy === 0) return err("ValueError", "`range` step must not be 0")
        const count = Math.max(0, Math.ceil((end - start) / stepBy))
        if (count > 1_000_000) return err("LimitExceeded", "`range` would create more than 1000000 items")
        this.step(Math.floor(count / 1000))
        const out: Array<number> = []
        for (let i = 0; i < count; i++) out.push(start + i * stepBy)
        return this.list(out)
      }
      case "ceil_div":
      case "floor_div": {
        const [x, y] = [n(0), n(1)]
        if (!isInt(x)) {
          return err(
            "TypeError",
            `\`${name}\` dividend must be a finite integer${typeof x === "number" ? "" : `, got ${typeName(x)}`}`
          )
        }
        if (!isInt(y)) {
          return err(
            "TypeError",
            `\`${name}\` divisor must be a finite integer${typeof y === "number" ? "" : `, got ${typeName(y)}`}`
          )
        }
        if (y === 0) return err("ValueError", `\`${name}\` divisor must not be 0`)
        return name === "floor_div" ? Math.floor(x / y) : Math.ceil(x / y)
      }
      case "push": {
        const l = n(0)
        if (!isList(l)) return err("TypeError", "`push` requires a list as the first argument")
        return this.list([...l, n(1)])
      }
      case "split": {
        const s = text(n(0), "split")
        const sep = text(n(1), "split")
        if (sep === "") return err("ValueError", "empty separator")
        this.step(Math.floor(s.length / 1000))
        return this.list(s.split(sep))
      }
      case "join": {
        const l = n(0)
        if (!isList(l)) return err("TypeError", "`join` requires a list")
        this.step(Math.floor(l.length / 1000))
        return this.str(l.map((x) => text(x, "join")).join(text(n(1), "join")))
      }
      case "trim":
        return text(n(0), "trim").trim()
      case "find": {
        const s = cps(text(n(0), "find"))
        const needle = cps(text(n(1), "find"))
        const start = n(2) === null ? 0 : toNumber(n(2))
        if (!Number.isInteger(start) || start < 0) {
          return err("ValueError", "`find` start must be a non-negative integer")
        }
        if (needle.length === 0) return start <= s.length ? start : null
        outer: for (let i = start; i + needle.length <= s.length; i++) {
          for (let j = 0; j < needle.length; j++) if (s[i + j] !== needle[j]) continue outer
          return i
        }
        return null
      }
      case "grep_text": {
        const s = text(n(0), "grep_text")
        const needle = text(n(1), "grep_text")
        if (needle === "") return err("ValueError", "empty needle")
        const out: Array<Value> = []
        s.split("\n").forEach((raw, i) => {
          const line = raw.replace(/\r$/, "")
          const at = line.indexOf(needle)
          if (at >= 0) {
            const start = cps(line.slice(0, at)).length
            out.push(
              this.rec(
                new Map<string, Value>([["line", i + 1], ["text", line], ["match", needle], ["start", start], [
                  "end",
                  start + cps(needle).length
                ]])
              )
            )
          }
        })
        return this.list(out)
      }
      case "starts_with":
        return text(n(0), "starts_with").startsWith(text(n(1), "starts_with"))
      case "ends_with":
        return text(n(0), "ends_with").endsWith(text(n(1), "ends_with"))
      case "contains": {
        const h = n(0)
        const x = n(1)
        if (h === null) return false
        if (typeof h === "string") return h.includes(toText(x))
        if (isList(h)) return h.some((y) => equals(y, x))
        if (isRecord(h)) return h.get(toText(x)) !== undefined
        return err("TypeError", `\`contains\` requires a string, list, record, or null, got ${typeName(h)}`)
      }
      case "to_string":
        return this.str(toText(n(0)))
      case "to_int":
        return Math.trunc(toNumber(n(0)))
      case "to_float":
        return toNumber(n(0))
      case "json_parse": {
        const s = text(n(0), "json_parse")
        // Depth is checked before parsing so a deeply nested (even truncated) document is rejected by the limit,
        // never by the host parser's recursion.
        if (jsonDepth(s) > this.limits.maxValueDepth) {
          return err("ValueError", `invalid json: nesting too deep (limit ${this.limits.maxValueDepth})`)
        }
        let parsed: unknown
        try {
          parsed = JSON.parse(s)
        } catch (e) {
          return err("ValueError", `invalid json: ${(e as Error).message}`)
        }
        try {
          return fromJson(parsed)
        } catch {
          return err("ValueError", `invalid json: nesting too deep (limit ${this.limits.maxValueDepth})`)
        }
      }
      case "format":
        return this.format(a)
      case "validate": {
        const t = n(1)
        if (typeof t !== "object" || t === null || isList(t) || isRecord(t) || t._tag !== "TypeValue") {
          return err(
            "TypeError",
            "`validate` requires a Type literal as the second argument",
            "pass `Type { ... }` or a variable that holds a Type literal"
          )
        }
        const problem = this.checkSchema(n(0), (t as TypeValue).schema, "$")
        if (problem !== undefined) return err("ValidationFailed", `validation failed: ${problem}`)
        return n(0)
      }
    }
    return err("TypeError", `unknown builtin \`${name}\``)
  }

  format(a: ReadonlyArray<Value>): string {
    const tpl = a[0] ?? null
    if (typeof tpl !== "string") return err("TypeError", `\`format\` template must be a string, got ${typeName(tpl)}`)
    const args = a.slice(1)
    const used = new Set<number>()
    let seq = 0
    let mode: "seq" | "idx" | undefined
    let out = ""
    for (let i = 0; i < tpl.length; i++) {
      const c = tpl[i]!
      if (c === "{") {
        if (tpl[i + 1] === "{") {
          out += "{"
          i++
          continue
        }
        const close = tpl.indexOf("}", i)
        if (close < 0) return err("ValueError", "unmatched `{` in format string")
        const inner = tpl.slice(i + 1, close)
        let k: number
        if (inner === "") {
          if (mode === "idx") return err("ValueError", "can't mix `{}` and indexed format placeholders")
          mode = "seq"
          k = seq++
        } else if (/^\d+$/.test(inner)) {
          if (mode === "seq") return err("ValueError", "can't mix `{}` and indexed format placeholders")
          mode = "idx"
          k = Number(inner)
        } else return err("ValueError", "invalid format placeholder")
        if (k >= args.length) return err("ValueError", `format slot \`${k}\` is out of range`)
        used.add(k)
        out += toText(args[k]!)
        i = close
        continue
      }
      if (c === "}") {
        if (tpl[i + 1] === "}") {
          out += "}"
          i++
          continue
        }
        return err("ValueError", "unmatched `}` in format string")
      }
      out += c
    }
    for (let k = 0; k < args.length; k++) {
      if (!used.has(k)) return err("ValueError", `format argument \`${k}\` is unused`)
    }
    return this.str(out)
  }
}

const jsonTypeName = (t: TypeExpr): string =>
  t._tag === "Str" || t._tag === "Enum"
    ? "string"
    : t._tag === "Int"
    ? "integer"
    : t._tag === "Float"
    ? "number"
    : t._tag === "Bool"
    ? "boolean"
    : t._tag === "Null"
    ? "null"
    : t._tag === "List"
    ? "array"
    : "object"

/** Runs the generator, handing each host request to `host.perform`. */
const drive = (m: Machine, gen: Generator<Request, unknown, unknown>, host: LashlangHost, concurrency: number) =>
  Effect.gen(function*() {
    const toResult = (op: HostOperation) =>
      Effect.map(Effect.exit(host.perform(op)), (exit): HostResult =>
        Exit.isSuccess(exit)
          ? { ok: true, value: exit.value }
          : {
            ok: false,
            error: truncate(
              exit.cause._tag === "Fail" && exit.cause.error instanceof HostFailure
                ? exit.cause.error.message
                : "host operation failed"
            )
          })
    let input: unknown = undefined
    while (true) {
      const r = gen.next(input)
      if (r.done === true) return r.value
      const req = r.value
      input = req._tag === "one" ? yield* toResult(req.op) : yield* Effect.forEach(req.ops, toResult, { concurrency })
      void m
    }
  })

const truncate = (s: string): string => (s.length > 2000 ? s.slice(0, 2000) + "…" : s)

/**
 * Executes a linked module: the top-level program in `foreground` mode, or the process `entry` in `process` mode
 * (globals are then the process arguments).
 *
 * @since 0.1.0
 */
export const execute = (
  linked: LinkedModule,
  globals: ReadonlyMap<string, Value>,
  host: LashlangHost,
  options: {
    readonly mode: "foreground" | "process"
    readonly entry?: { readonly component: string; readonly pos: number }
  } & Partial<ExecLimits>
): Effect.Effect<ExecOutcome> =>
  Effect.suspend(() => {
    const limits: ExecLimits = {
      ...defaultExecLimits,
      ...(options.mode === "process" ? { maxSteps: defaultExecLimits.maxSteps * 10 } : {}),
      ...Object.fromEntries(Object.entries(options).filter(([k]) => k in defaultExecLimits))
    }
    const decl = options.mode === "process"
      ? [...linked.processValues.values()].find((p) =>
        p.export.ref.pos === options.entry?.pos && p.export.ref.component === options.entry?.component
      )?.decl
      : undefined
    if (options.mode === "process" && decl === undefined) {
      return Effect.succeed<ExecOutcome>({
        _tag: "Errored",
        error: new LashlangRuntimeError({ kind: "ValueError", message: "unknown process entry" }),
        globals,
        sites: []
      })
    }
    const m = new Machine(linked, new Map(globals), limits, options.mode, decl?.name ?? "main")
    m.entryDecl = decl
    const body = decl?.body ?? linked.program.body
    const gen = (function*() {
      yield* m.execG(body, true)
    })()
    return drive(m, gen, host, limits.aggregateConcurrency).pipe(
      Effect.map((): ExecOutcome => (options.mode === "process"
        ? { _tag: "Finished", value: null, globals: m.globals, sites: m.sites }
        : { _tag: "Continued", globals: m.globals, sites: m.sites })
      ),
      Effect.catchAllDefect((thrown) => {
        if (thrown instanceof Terminate) {
          const tag = thrown.kind === "submit" ? "Submitted" : thrown.kind === "finish" ? "Finished" : "Failed"
          return Effect.succeed<ExecOutcome>({ _tag: tag, value: thrown.value, globals: m.globals, sites: m.sites })
        }
        if (thrown instanceof RtError) {
          return Effect.succeed<ExecOutcome>({
            _tag: "Errored",
            error: new LashlangRuntimeError({
              kind: thrown.kind,
              message: thrown.message,
              ...(thrown.hint === undefined ? {} : { hint: thrown.hint }),
              ...(m.currentSpan === undefined
                ? {}
                : { span: { line: m.currentSpan.line, column: m.currentSpan.column } })
            }),
            globals: m.globals,
            sites: m.sites
          })
        }
        if (thrown instanceof RangeError) {
          return Effect.succeed<ExecOutcome>({
            _tag: "Errored",
            error: new LashlangRuntimeError({
              kind: "LimitExceeded",
              message: `value nesting too deep (limit ${limits.maxValueDepth})`
            }),
            globals: m.globals,
            sites: m.sites
          })
        }
        return Effect.die(thrown)
      })
    )
  })
