/**
 * The 23 builtins (docs/lashlang.md, "Semantics", builtins): their arity and static result type (read by the
 * linker) and their behaviour. Every builtin builds its result through the run's {@link Shapes}, so no builtin can
 * produce a value past a limit, and charges the work it does (characters scanned, items copied, parts compared);
 * text search is linear whatever the needle.
 *
 * @internal
 */
import { type TypeExpr, TypeExpr as T } from "../TypeExpr.js"
import { isList, isRecord, RecordValue, typeName, type TypeValue, type Value } from "../Value.js"
import { requireText, toInteger, toNumber } from "./Coerce.js"
import { equals } from "./Compare.js"
import { fault, limitExceeded } from "./Fault.js"
import { decodeJson } from "./Json.js"
import type { Shapes } from "./Sizes.js"
import { type CodePoints, searcher, splitLinear } from "./Strings.js"
import { expandTemplate, FormatError, TextOverflow, toText } from "./Text.js"
import { checkSchema, type ValidationContext } from "./Validate.js"

/** What a builtin may use of the run. */
export interface BuiltinContext {
  readonly shapes: Shapes
  readonly codePoints: CodePoints
  readonly validation: ValidationContext
  readonly charge: (units: number) => void
}

/** A builtin's arity (min, max) and its static result type for the linker. */
export interface BuiltinSignature {
  readonly arity: readonly [number, number]
  readonly returns: TypeExpr
  /**
   * Whether the result can contain (or be) one of the arguments: then an argument read from a variable may be
   * aliased by the result, and the variable loses its single owner (docs/lashlang.md, "Performance").
   */
  readonly aliasesArguments: boolean
}

const sig = (min: number, max: number, returns: TypeExpr, aliasesArguments = false): BuiltinSignature => ({
  arity: [min, max],
  returns,
  aliasesArguments
})

/** The builtins. @internal */
export const BUILTINS: Readonly<Record<string, BuiltinSignature>> = {
  len: sig(1, 1, T.int),
  empty: sig(1, 1, T.bool),
  keys: sig(1, 1, T.list(T.str)),
  values: sig(1, 1, T.any, true),
  slice: sig(3, 3, T.any, true),
  range: sig(1, 3, T.list(T.int)),
  ceil_div: sig(2, 2, T.int),
  floor_div: sig(2, 2, T.int),
  push: sig(2, 2, T.any, true),
  split: sig(2, 2, T.list(T.str)),
  join: sig(2, 2, T.str),
  trim: sig(1, 1, T.str),
  find: sig(2, 3, T.int),
  grep_text: sig(2, 2, T.any),
  starts_with: sig(2, 2, T.bool),
  ends_with: sig(2, 2, T.bool),
  contains: sig(2, 2, T.bool),
  to_string: sig(1, 1, T.str),
  to_int: sig(1, 1, T.int),
  to_float: sig(1, 1, T.float),
  json_parse: sig(1, 1, T.any),
  format: sig(1, Number.POSITIVE_INFINITY, T.str),
  validate: sig(2, 2, T.any, true)
}

/** The arity message of the linker's BuiltinArity error. */
export const arityMessage = (name: string, got: number): string => {
  const [min] = BUILTINS[name]!.arity
  return name === "format"
    ? "`format` requires at least a template string"
    : name === "find"
    ? `\`find\` takes 2 or 3 arg(s), got ${got}`
    : name === "range"
    ? `\`range\` takes 1, 2, or 3 arg(s), got ${got}`
    : `\`${name}\` takes ${min} arg(s), got ${got}`
}

type Impl = (c: BuiltinContext, a: ReadonlyArray<Value>) => Value

const arg = (a: ReadonlyArray<Value>, i: number): Value => a[i] ?? null

const text = (v: Value, who: string): string => toText(requireText(v, who))

const lengthOf = (c: BuiltinContext, v: Value, who: string): number =>
  v === null
    ? 0
    : typeof v === "string"
    ? c.codePoints.count(v)
    : isList(v)
    ? v.length
    : isRecord(v)
    ? v.size
    : fault("TypeError", `\`${who}\` requires a string, list, record, or null; use \`.size\` for images`)

/** A string that must fit the string limit, from a writer that may overflow it (the writer charges its work). */
const bounded = (c: BuiltinContext, write: (limit: number) => string): string => {
  const limit = c.shapes.limits.maxStringLength
  try {
    return c.shapes.string(write(limit))
  } catch (e) {
    if (e instanceof TextOverflow) return limitExceeded(`string too long (limit ${limit})`)
    throw e
  }
}

const divide = (name: string, a: ReadonlyArray<Value>): number => {
  const x = toInteger(arg(a, 0), `\`${name}\` dividend must be a finite integer`)
  const y = toInteger(arg(a, 1), `\`${name}\` divisor must be a finite integer`)
  if (y === 0) return fault("ValueError", `\`${name}\` divisor must not be 0`)
  return name === "floor_div" ? Math.floor(x / y) : Math.ceil(x / y)
}

const IMPLS: Record<string, Impl> = {
  len: (c, a) => lengthOf(c, arg(a, 0), "len"),
  empty: (c, a) => lengthOf(c, arg(a, 0), "empty") === 0,
  keys: (c, a) => {
    const v = arg(a, 0)
    if (v === null) return c.shapes.list([])
    if (!isRecord(v)) return fault("TypeError", "`keys` requires a record or null")
    return c.shapes.list([...v.entries.keys()])
  },
  values: (c, a) => {
    const v = arg(a, 0)
    if (v === null) return c.shapes.list([])
    if (!isRecord(v)) return fault("TypeError", "`values` requires a record or null")
    return c.shapes.list([...v.entries.values()])
  },
  slice: (c, a) => {
    const v = arg(a, 0)
    if (typeof v !== "string" && !isList(v)) return fault("TypeError", "`slice` requires a string or list")
    const length = typeof v === "string" ? c.codePoints.count(v) : v.length
    const bound = (b: Value, open: number) => {
      if (b === null) return open
      const x = toInteger(b, "`slice` bounds must be integers")
      return Math.max(0, Math.min(length, x < 0 ? length + x : x))
    }
    const start = bound(arg(a, 1), 0)
    const end = bound(arg(a, 2), length)
    if (typeof v === "string") {
      if (start >= end) return ""
      c.charge(end - start)
      return c.codePoints.slice(v, start, end)
    }
    return c.shapes.list(start >= end ? [] : v.slice(start, end))
  },
  range: (c, a) => {
    const nums = a.map((x) => toInteger(x, "`range` bounds must be finite integers"))
    const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1]
    if (step === 0) return fault("ValueError", "`range` step must not be 0")
    const count = Math.max(0, Math.ceil((end - start) / step))
    const max = c.shapes.limits.maxListLength
    if (count > max) return limitExceeded(`\`range\` would create more than ${max} items`)
    const out = new Array<Value>(count)
    for (let i = 0; i < count; i++) out[i] = start + i * step
    return c.shapes.list(out)
  },
  ceil_div: (_c, a) => divide("ceil_div", a),
  floor_div: (_c, a) => divide("floor_div", a),
  push: (c, a) => {
    const l = arg(a, 0)
    if (!isList(l)) return fault("TypeError", "`push` requires a list as the first argument")
    const out = l.slice()
    out.push(arg(a, 1))
    return c.shapes.list(out)
  },
  split: (c, a) => {
    const s = text(arg(a, 0), "split")
    const sep = text(arg(a, 1), "split")
    if (sep === "") return fault("ValueError", "empty separator")
    c.charge(s.length)
    return c.shapes.list(splitLinear(s, sep))
  },
  join: (c, a) => {
    const l = arg(a, 0)
    if (!isList(l)) return fault("TypeError", "`join` requires a list")
    const sep = text(arg(a, 1), "join")
    return bounded(c, (limit) => {
      let out = ""
      for (let i = 0; i < l.length; i++) {
        out += (i === 0 ? "" : sep) + text(l[i]!, "join")
        if (out.length > limit) throw new TextOverflow(out)
      }
      c.charge(out.length + l.length)
      return out
    })
  },
  trim: (c, a) => {
    const s = text(arg(a, 0), "trim")
    c.charge(s.length)
    return s.trim()
  },
  find: (c, a) => {
    const s = text(arg(a, 0), "find")
    const needle = text(arg(a, 1), "find")
    const start = arg(a, 2) === null ? 0 : toInteger(arg(a, 2), "`find` start must be an integer")
    if (start < 0) return fault("ValueError", "`find` start must be a non-negative integer")
    const count = c.codePoints.count(s)
    if (needle.length === 0) return start <= count ? start : null
    if (start >= count) return null
    c.charge(s.length + needle.length)
    const at = searcher(needle).find(s, c.codePoints.unitOffset(s, start))
    return at < 0 ? null : c.codePoints.cpIndex(s, at)
  },
  grep_text: (c, a) => {
    const s = text(arg(a, 0), "grep_text")
    const needle = text(arg(a, 1), "grep_text")
    if (needle === "") return fault("ValueError", "empty needle")
    c.charge(s.length)
    const search = searcher(needle)
    const needleLength = c.codePoints.count(needle)
    const out: Array<Value> = []
    let size = 2
    const lines = s.split("\n")
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!
      const at = search.find(line, 0)
      if (at < 0) continue
      const start = c.codePoints.cpIndex(line, at)
      const hit = c.shapes.record(
        new Map<string, Value>([
          ["line", i + 1],
          ["text", line],
          ["match", needle],
          ["start", start],
          ["end", start + needleLength]
        ])
      )
      size += line.length + needle.length + 100
      if (size > c.shapes.limits.maxValueSize) c.shapes.tooLarge()
      out.push(hit)
      if (out.length > c.shapes.limits.maxListLength) {
        limitExceeded(`list too long (limit ${c.shapes.limits.maxListLength})`)
      }
    }
    return c.shapes.list(out)
  },
  starts_with: (c, a) => {
    const s = text(arg(a, 0), "starts_with")
    const prefix = text(arg(a, 1), "starts_with")
    c.charge(Math.min(s.length, prefix.length))
    return s.startsWith(prefix)
  },
  ends_with: (c, a) => {
    const s = text(arg(a, 0), "ends_with")
    const suffix = text(arg(a, 1), "ends_with")
    c.charge(Math.min(s.length, suffix.length))
    return s.endsWith(suffix)
  },
  contains: (c, a) => {
    const h = arg(a, 0)
    const x = arg(a, 1)
    if (h === null) return false
    if (typeof h === "string") {
      let needle: string
      try {
        needle = toText(x, h.length, c.charge)
      } catch (e) {
        if (e instanceof TextOverflow) return false
        throw e
      }
      if (needle === "") return true
      c.charge(h.length + needle.length)
      return searcher(needle).find(h, 0) >= 0
    }
    if (isList(h)) {
      for (const y of h) if (equals(y, x, c.charge)) return true
      return false
    }
    if (isRecord(h)) {
      try {
        return h.get(toText(x, c.shapes.limits.maxStringLength, c.charge)) !== undefined
      } catch (e) {
        if (e instanceof TextOverflow) return false
        throw e
      }
    }
    return fault("TypeError", `\`contains\` requires a string, list, record, or null, got ${typeName(h)}`)
  },
  to_string: (c, a) => bounded(c, (limit) => toText(arg(a, 0), limit, c.charge)),
  to_int: (_c, a) => Math.trunc(toNumber(arg(a, 0))),
  to_float: (_c, a) => toNumber(arg(a, 0)),
  json_parse: (c, a) => decodeJson(text(arg(a, 0), "json_parse"), c.shapes, c.charge),
  format: (c, a) => {
    const template = arg(a, 0)
    if (typeof template !== "string") {
      return fault("TypeError", `\`format\` template must be a string, got ${typeName(template)}`)
    }
    try {
      return bounded(c, (limit) => {
        const out = expandTemplate(template, a.length - 1, (k, left) => toText(a[k + 1]!, left, c.charge), limit)
        c.charge(out.length)
        return out
      })
    } catch (e) {
      if (e instanceof FormatError) return fault("ValueError", e.message)
      throw e
    }
  },
  validate: (c, a) => {
    const t = arg(a, 1)
    if (typeof t !== "object" || t === null || isList(t) || t instanceof RecordValue || t._tag !== "TypeValue") {
      return fault(
        "TypeError",
        "`validate` requires a Type literal as the second argument",
        "pass `Type { ... }` or a variable that holds a Type literal"
      )
    }
    const problem = checkSchema(c.validation, arg(a, 0), (t as TypeValue).schema, "$")
    if (problem !== undefined) return fault("ValidationFailed", `validation failed: ${problem}`)
    return arg(a, 0)
  }
}

/** The implementation of builtin `name` (the linker has checked the name and the arity). */
export const builtin = (name: string): Impl =>
  IMPLS[name] ?? ((): Value => fault("TypeError", `unknown builtin \`${name}\``))
