/**
 * The operations of expressions (docs/lashlang.md, "Semantics", field access, indexing, operators, `?`): one
 * definition each, used by the synchronous evaluator and by the effectful one.
 *
 * @internal
 */
import type { TypeExpr } from "../TypeExpr.js"
import { toJsonSchema } from "../TypeExpr.js"
import { isList, isRecord, typeName, type Value } from "../Value.js"
import { toInteger, toNumber } from "./Coerce.js"
import { compare, equals } from "./Compare.js"
import { fault, limitExceeded } from "./Fault.js"
import type { Shapes } from "./Sizes.js"
import type { CodePoints } from "./Strings.js"
import { TextOverflow, textPrefix, toText } from "./Text.js"

/** What the operations use of the run. */
export interface OperationContext {
  readonly shapes: Shapes
  readonly codePoints: CodePoints
  readonly charge: (units: number) => void
}

/** `o.key`: a record's field or null; null on null; otherwise a TypeError. */
export const field = (o: Value, key: string): Value => {
  if (o === null) return null
  if (isRecord(o)) return o.get(key) ?? null
  return fault("TypeError", `can't read \`.${key}\` from ${typeName(o)}`)
}

/**
 * `o[i]`: list and string indexes go through toNumber and must be integral (negative counts from the end, out of
 * range is null; strings index by code point); a record key is the index's text; null on null.
 */
export const index = (c: OperationContext, o: Value, i: Value): Value => {
  if (o === null) return null
  if (isList(o)) {
    const k = toInteger(i, "index must be an integer")
    const at = k < 0 ? o.length + k : k
    return at >= 0 && at < o.length ? o[at]! : null
  }
  if (typeof o === "string") {
    const k = toInteger(i, "index must be an integer")
    const count = c.codePoints.count(o)
    const at = k < 0 ? count + k : k
    return at >= 0 && at < count ? c.codePoints.slice(o, at, at + 1) : null
  }
  if (isRecord(o)) {
    try {
      return o.get(toText(i, c.shapes.limits.maxStringLength, c.charge)) ?? null
    } catch (e) {
      if (e instanceof TextOverflow) return null
      throw e
    }
  }
  return fault("TypeError", `can't index ${typeName(o)}`)
}

/** `l + r`: numbers add, a string side concatenates the other side's text, two lists concatenate, else toNumber. */
export const plus = (c: OperationContext, l: Value, r: Value): Value => {
  if (typeof l === "number" && typeof r === "number") return l + r
  if (typeof l === "string" || typeof r === "string") {
    const max = c.shapes.limits.maxStringLength
    try {
      if (typeof l === "string") {
        const right = typeof r === "string" ? r : toText(r, max - l.length, c.charge)
        if (l.length + right.length > max) limitExceeded(`string too long (limit ${max})`)
        return l + right
      }
      const left = toText(l, max - (r as string).length, c.charge)
      if (left.length + (r as string).length > max) limitExceeded(`string too long (limit ${max})`)
      return left + (r as string)
    } catch (e) {
      if (e instanceof TextOverflow) return limitExceeded(`string too long (limit ${max})`)
      throw e
    }
  }
  if (isList(l) && isList(r)) {
    const out = l.slice()
    for (const x of r) out.push(x)
    return c.shapes.list(out)
  }
  return toNumber(l) + toNumber(r)
}

/** A binary operator other than `and`/`or` (which short-circuit and are evaluated by the callers). */
export const binary = (c: OperationContext, op: string, l: Value, r: Value): Value => {
  switch (op) {
    case "+":
      return plus(c, l, r)
    case "-":
      return toNumber(l) - toNumber(r)
    case "*":
      return toNumber(l) * toNumber(r)
    case "/":
      return toNumber(l) / toNumber(r)
    case "%":
      return toNumber(l) % toNumber(r)
    case "==":
      return equals(l, r, c.charge)
    case "!=":
      return !equals(l, r, c.charge)
    default:
      return compare(op as "<" | "<=" | ">" | ">=", l, r, c.charge)
  }
}

/** `v?` on a result wrapper: the value of `{ ok: true, value }`, an error for `{ ok: false, error }`. */
export const unwrap = (v: Value): Value => {
  if (!isRecord(v)) return fault("TypeError", `\`?\` expected a tool result wrapper, got ${typeName(v)}`)
  const ok = v.get("ok")
  if (typeof ok !== "boolean") return fault("TypeError", "`?` expected a tool result wrapper with boolean `ok`")
  if (ok) {
    const value = v.get("value")
    if (value === undefined) return fault("TypeError", "`?` found a successful tool result wrapper missing `value`")
    return value
  }
  const error = textPrefix(v.get("error") ?? null, 2000)
  return fault(
    "UnwrapFailed",
    `\`?\` unwrapped failed tool result: ${error.text}${error.cut ? "…" : ""}`,
    "remove `?` and inspect `.ok` or `.error` when you need to handle failures"
  )
}

/** A host operation's outcome as the program sees it without `?`. */
export type HostResult = { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly error: string }

/** The wrapper record `{ ok: true, value }` / `{ ok: false, error }`. */
export const wrapper = (shapes: Shapes, r: HostResult): Value =>
  r.ok
    ? shapes.record(new Map<string, Value>([["ok", true], ["value", r.value]]))
    : shapes.record(new Map<string, Value>([["ok", false], ["error", r.error]]))

/** The JSON Schema of a `Type {...}` literal; a Ref is read from a variable holding a type value. */
export const schemaOf = (t: TypeExpr, variable: (name: string) => Value | undefined): unknown =>
  toJsonSchema(t, {
    openObjects: false,
    resolveRef: (name) => {
      const v = variable(name)
      if (v === undefined) return fault("UnknownName", `unknown name \`${name}\``)
      if (typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === "TypeValue") return v.schema
      return fault("TypeError", `\`${name}\` is not a Type value`)
    }
  })
