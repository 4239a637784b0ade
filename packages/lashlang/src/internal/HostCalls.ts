/**
 * The host operations a program performs from expressions (docs/lashlang.md, "The host boundary"): module
 * operation calls and trigger registrations (arguments validated against the declared input type first), `start`
 * (arguments validated against the process's parameters), `sleep` (charged against the block's sleep allowance),
 * `wait_signal` and `signal_run`. A `HostFailure` of anything but a module call is a runtime error naming the
 * operation.
 *
 * @internal
 */
import type { Expr } from "../Ast.js"
import type { HostOperation, TriggerInput } from "../Host.js"
import type { TypeExpr } from "../TypeExpr.js"
import { type Authority, isList, isRecord, type Value } from "../Value.js"
import { sleepMillis } from "./Durations.js"
import type { EffectfulCompiler } from "./Effectful.js"
import { fault } from "./Fault.js"
import type { HostResult } from "./Operations.js"
import { authority, processDef } from "./Pure.js"
import { type Answer, type EvG, perform, type Request } from "./Run.js"
import { textPrefix } from "./Text.js"
import { checkType } from "./Validate.js"

type MCall = Extract<Expr, { k: "mcall" }>

/** The host operation of a direct module call or trigger registration, its parts evaluated in source order. */
export const compileCallOp = (c: EffectfulCompiler, x: MCall): () => Generator<Request, HostOperation, Answer> => {
  const run = c.run
  const res = run.linked.calls.get(x)!
  if (res.kind === "register") {
    const rec = x.args[0] as Extract<Expr, { k: "rec" }>
    const entries = new Map(rec.entries)
    const source = c.expr(entries.get("source")!, true)
    const target = c.expr(entries.get("target")!, true)
    const inputs = (entries.get("inputs") as Extract<Expr, { k: "rec" }>).entries.map(([name, y]) => {
      const isEvent = y.k === "field" && y.key === "event" && y.obj.k === "name" && y.obj.name === "trigger"
      return { name, isEvent, value: c.expr(y, true) }
    })
    const nameExpr = entries.get("name")
    const name = nameExpr === undefined ? undefined : c.expr(nameExpr, false)
    const trigger = run.vars.cell("trigger")
    return function*() {
      const src = yield* source()
      const tgt = yield* target()
      if (typeof src !== "object" || src === null || isList(src) || isRecord(src) || src._tag !== "Descriptor") {
        return fault("TypeError", "trigger source must be a trigger source descriptor")
      }
      if (typeof tgt !== "object" || tgt === null || isList(tgt) || isRecord(tgt) || tgt._tag !== "ProcessDef") {
        return fault("TypeError", "trigger target must be a process value")
      }
      const bound: Array<TriggerInput> = []
      for (const input of inputs) {
        if (input.isEvent && trigger.v === undefined) bound.push({ name: input.name, binding: { kind: "event" } })
        else bound.push({ name: input.name, binding: { kind: "fixed", value: yield* input.value() } })
      }
      const n = name === undefined ? undefined : yield* name()
      return {
        _tag: "TriggerRegister",
        site: run.sites.next(x, "trigger_register"),
        source: src,
        target: tgt,
        inputs: bound,
        ...(n === undefined || n === null ? {} : { name: textPrefix(n, 1000).text })
      }
    }
  }
  const receiver = res.kind === "authop" ? c.expr(x.recv, false) : undefined
  const args = x.args.map((y) => c.expr(y, true))
  return function*() {
    let recv: Authority
    let operation: string
    let hostOperation: string
    let input: TypeExpr
    if (res.kind === "op") {
      recv = authority(res)
      operation = res.op
      hostOperation = res.hostOperation
      input = res.input
    } else if (res.kind === "authop") {
      const r = yield* receiver!()
      if (typeof r !== "object" || r === null || isList(r) || isRecord(r) || r._tag !== "Authority") {
        return fault("TypeError", `receiver for operation \`${x.name}\` is not a module authority`)
      }
      recv = r
      operation = res.op
      const spec = run.linked.env.catalog.resourceTypes[r.resourceType]?.[res.op]
      if (spec === undefined) {
        return fault("TypeError", `resource type \`${r.resourceType}\` does not expose operation \`${res.op}\``)
      }
      hostOperation = spec.hostOperation
      input = spec.input
    } else return fault("TypeError", "internal: constructor performed")
    const values: Array<Value> = []
    for (const a of args) values.push(yield* a())
    if (input._tag !== "Any") {
      const problem = checkType(run.validation, values.length === 1 ? values[0]! : values, input, "$")
      if (problem !== undefined) {
        fault("ValidationFailed", `operation \`${recv.alias}.${operation}\` input is invalid: ${problem}`)
      }
    }
    return { _tag: "Call", site: run.sites.next(x, "call"), receiver: recv, operation, hostOperation, args: values }
  }
}

/** A direct module call (or registration): its result as the host reported it. */
export const compileCall = (c: EffectfulCompiler, x: MCall): () => Generator<Request, HostResult, Answer> => {
  const op = compileCallOp(c, x)
  const run = c.run
  return function*() {
    return yield* perform(run, yield* op())
  }
}

/** `start name(args)`: a handle, or a runtime error when the host refuses. */
export const compileStart = (c: EffectfulCompiler, x: Extract<Expr, { k: "start" }>): EvG => {
  const run = c.run
  const decl = run.linked.processValues.get(x.name)!.decl
  const args = x.args.map(([k, y]) => [k, c.expr(y, true)] as const)
  return function*() {
    run.budget.step()
    const values = new Map<string, Value>()
    for (const [k, y] of args) values.set(k, yield* y())
    for (const p of decl.params) {
      const problem = checkType(run.validation, values.get(p.name) ?? null, p.type, "$")
      if (problem !== undefined) {
        fault("ValidationFailed", `process \`${x.name}\` argument \`${p.name}\` is invalid: ${problem}`)
      }
    }
    const def = processDef(run, x.name)
    const r = yield* perform(run, {
      _tag: "StartProcess",
      site: run.sites.next(x, "start"),
      moduleRef: def.moduleRef,
      processRef: def.processRef,
      hostRequirementsRef: def.hostRequirementsRef,
      processName: x.name,
      args: run.shapes.record(values)
    })
    if (!r.ok) return fault("HostFailure", `process start failed: ${r.error}`)
    return r.value
  }
}

/** `sleep for d` / `sleep until t`: the duration is charged against the block's total sleep allowance first. */
export const compileSleep = (c: EffectfulCompiler, x: Extract<Expr, { k: "sleep" }>): EvG => {
  const run = c.run
  const e = c.expr(x.e, false)
  return function*() {
    run.budget.step()
    const value = yield* e()
    const millis = sleepMillis(x.mode, value, run.budget.now())
    run.budget.sleep(millis)
    const r = yield* perform(run, { _tag: "Sleep", site: run.sites.next(x, "sleep"), mode: x.mode, value, millis })
    if (!r.ok) return fault("HostFailure", `sleep failed: ${r.error}`)
    return null
  }
}

/** `wait_signal("name")`: the signal's payload. */
export const compileWaitSignal = (c: EffectfulCompiler, x: Extract<Expr, { k: "wait" }>): EvG => {
  const run = c.run
  return function*() {
    run.budget.step()
    const r = yield* perform(run, { _tag: "WaitSignal", site: run.sites.next(x, "wait_signal"), name: x.name })
    if (!r.ok) return fault("HostFailure", `wait_signal failed: ${r.error}`)
    return r.value
  }
}

/** `signal_run(h, "name", payload)`: null once delivered. */
export const compileSignalRun = (c: EffectfulCompiler, x: Extract<Expr, { k: "sigrun" }>): EvG => {
  const run = c.run
  const h = c.expr(x.h, true)
  const payload = c.expr(x.payload, true)
  return function*() {
    run.budget.step()
    const handle = yield* h()
    const p = yield* payload()
    const site = run.sites.next(x, "signal_run")
    const r = yield* perform(run, { _tag: "SignalRun", site, handle, name: x.name, payload: p })
    if (!r.ok) return fault("HostFailure", `signal_run failed: ${r.error}`)
    return null
  }
}
