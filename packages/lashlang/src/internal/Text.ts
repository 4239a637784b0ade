/**
 * Text forms of values (docs/lashlang.md, "Values and types", numbers and printing): the number text form, JSON
 * text (canonical: record keys sorted by UTF-16 code unit, no whitespace) and `format` templates. Every writer takes
 * a length limit and stops as soon as its output passes it, so printing or converting a large value never builds
 * more text than the caller can use.
 *
 * @internal
 */
import type { Value } from "../Value.js"

/**
 * Number text form: plain decimal, never an exponent, shortest round-trip digits; `-0` → `0`, `NaN`, `inf`/`-inf`.
 */
export const numberText = (n: number): string => {
  if (Number.isNaN(n)) return "NaN"
  if (n === Infinity) return "inf"
  if (n === -Infinity) return "-inf"
  if (n === 0) return "0"
  const s = String(n)
  if (!/e/i.test(s)) return s
  const [mantissa, expPart] = s.split(/e/i) as [string, string]
  const exp = Number(expPart)
  const negative = mantissa.startsWith("-")
  const unsigned = mantissa.replace("-", "")
  const digits = unsigned.replace(".", "")
  const pointPos = (unsigned.indexOf(".") === -1 ? unsigned.length : unsigned.indexOf(".")) + exp
  let out: string
  if (pointPos <= 0) out = "0." + "0".repeat(-pointPos) + digits
  else if (pointPos >= digits.length) out = digits + "0".repeat(pointPos - digits.length)
  else out = digits.slice(0, pointPos) + "." + digits.slice(pointPos)
  return (negative ? "-" : "") + out
}

/** A number inside JSON text: integral |x| < 2^53 as integer digits, else JS text without the exponent's `+`. */
export const jsonNumber = (n: number): string => {
  if (!Number.isFinite(n)) return "null"
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 53) return String(n === 0 ? 0 : n)
  return String(n).replace("e+", "e")
}

/** Thrown by a writer whose output passed its limit; `partial` is the text written so far (at least `limit` long). */
export class TextOverflow {
  constructor(readonly partial: string) {}
}

type Tagged = Extract<Value, { readonly _tag: "Authority" | "ProcessDef" | "Descriptor" | "TypeValue" }>
type Rec = Extract<Value, { readonly _tag: "Record" }>

/** What writing costs besides its characters: sorting and walking a record entry (units of work, as `Budget`'s). */
const ENTRY_WORK = 4

/**
 * A list of scalars whose numbers print the same in JSON.stringify and in JSON text (no `e+` exponent): the engine's
 * serializer writes it exactly as canonical JSON text, an order of magnitude faster than writing item by item.
 */
const plainScalars = (xs: ReadonlyArray<Value>): boolean => {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    if (typeof x === "number") {
      if (x >= 1e21 || x <= -1e21) return false
    } else if (x !== null && typeof x === "object") return false
  }
  return true
}

/**
 * Writes canonical JSON text, stopping (with {@link TextOverflow}) once the output is longer than `limit`;
 * `charge` is told the work done (characters written plus record entries walked), also when it stops.
 */
class JsonWriter {
  private out = ""
  private entries = 0
  constructor(
    private readonly limit: number,
    private readonly charge: ((units: number) => void) | undefined
  ) {}

  private overflow(): never {
    this.charge?.(this.out.length + this.entries * ENTRY_WORK)
    throw new TextOverflow(this.out)
  }

  private put(s: string): void {
    this.out += s
    if (this.out.length > this.limit) this.overflow()
  }

  private string(s: string): void {
    // A string far past the limit is cut before it is escaped (its escaped form is at least as long).
    this.put(JSON.stringify(s.length > this.limit + 1 ? s.slice(0, this.limit + 1) : s))
  }

  value(v: Value): string {
    this.write(v)
    this.charge?.(this.out.length + this.entries * ENTRY_WORK)
    return this.out
  }

  private write(v: Value): void {
    if (v === null) return this.put("null")
    switch (typeof v) {
      case "boolean":
        return this.put(v ? "true" : "false")
      case "number":
        return this.put(jsonNumber(v))
      case "string":
        return this.string(v)
    }
    if (Array.isArray(v)) {
      if (plainScalars(v)) {
        // Every item writes at least one character and a comma: past `room` items the text overflows, so only
        // that many are written (a prefix of the whole list's text, without its closing bracket).
        const room = this.limit - this.out.length
        if (v.length <= room) return this.put(JSON.stringify(v))
        const prefix = JSON.stringify(v.slice(0, room + 1))
        return this.put(prefix.slice(0, -1))
      }
      this.put("[")
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.put(",")
        this.write(v[i]!)
      }
      return this.put("]")
    }
    const o = v as Rec | Tagged
    switch (o._tag) {
      case "Record": {
        this.entries += o.size
        const keys = [...o.entries.keys()].sort()
        this.put("{")
        keys.forEach((k, i) => {
          this.put(i === 0 ? "" : ",")
          this.string(k)
          this.put(":")
          this.write(o.entries.get(k)!)
        })
        return this.put("}")
      }
      case "Authority":
        return this.json({ __resource__: true, alias: o.alias, type: o.resourceType })
      case "ProcessDef":
        return this.json({
          $lash_process: true,
          host_requirements_ref: o.hostRequirementsRef,
          module_ref: o.moduleRef,
          process_name: o.processName,
          process_ref: { component: o.processRef.component, pos: o.processRef.pos }
        })
      case "Descriptor":
        this.put("{\"$lash_host_descriptor_type\":")
        this.string(o.typeName)
        this.put(",\"$lash_host_descriptor_value\":")
        this.write(o.value)
        return this.put("}")
      case "TypeValue":
        this.put("{\"$lash_type\":")
        this.json(o.schema)
        return this.put("}")
    }
  }

  /** Plain JSON (the forms of tagged kinds, type schemas). */
  private json(j: unknown): void {
    if (j === null || typeof j === "boolean" || typeof j === "number" || typeof j === "string") {
      return this.write(j as Value)
    }
    if (Array.isArray(j)) {
      this.put("[")
      j.forEach((x, i) => {
        if (i > 0) this.put(",")
        this.json(x)
      })
      return this.put("]")
    }
    const obj = j as Record<string, unknown>
    const keys = Object.keys(obj).sort()
    this.put("{")
    keys.forEach((k, i) => {
      this.put(i === 0 ? "" : ",")
      this.string(k)
      this.put(":")
      this.json(obj[k])
    })
    this.put("}")
  }
}

/** JSON text of a value; throws {@link TextOverflow} past `limit` characters; `charge` is told the work. */
export const jsonText = (
  v: Value,
  limit = Number.POSITIVE_INFINITY,
  charge?: (units: number) => void
): string => new JsonWriter(limit, charge).value(v)

/**
 * toText: strings verbatim, numbers in text form, `null`/booleans as words, everything else JSON text; throws
 * {@link TextOverflow} past `limit` characters.
 */
export const toText = (
  v: Value,
  limit = Number.POSITIVE_INFINITY,
  charge?: (units: number) => void
): string => {
  if (typeof v === "string") {
    if (v.length > limit) throw new TextOverflow(v.slice(0, limit + 1))
    return v
  }
  if (v === null) return "null"
  if (typeof v === "boolean") return v ? "true" : "false"
  if (typeof v === "number") return numberText(v)
  return jsonText(v, limit, charge)
}

/**
 * The first `limit` characters of the text of `v` and whether it was cut (a cut never splits a surrogate pair);
 * `charge` is told the work of writing containers.
 */
export const textPrefix = (
  v: Value,
  limit: number,
  charge?: (units: number) => void
): { readonly text: string; readonly cut: boolean } => {
  try {
    return { text: toText(v, limit, charge), cut: false }
  } catch (e) {
    if (!(e instanceof TextOverflow)) throw e
    let end = limit
    const c = e.partial.charCodeAt(end - 1)
    if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--
    return { text: e.partial.slice(0, end), cut: true }
  }
}

/** A `format` template error: the ValueError message. */
export class FormatError {
  constructor(readonly message: string) {}
}

/**
 * Expands a `format` template: `{}` sequential, `{0}` indexed, `{{`/`}}` literal braces; every argument must be used.
 * `render` gives the text of an argument within the remaining length.
 */
export const expandTemplate = (
  template: string,
  argCount: number,
  render: (index: number, remaining: number) => string,
  limit: number
): string => {
  const used = new Uint8Array(argCount)
  let seq = 0
  let mode: "seq" | "idx" | undefined
  let out = ""
  const put = (s: string) => {
    out += s
    if (out.length > limit) throw new TextOverflow(out)
  }
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    if (c === "{") {
      if (template[i + 1] === "{") {
        put("{")
        i++
        continue
      }
      const close = template.indexOf("}", i)
      if (close < 0) throw new FormatError("unmatched `{` in format string")
      const inner = template.slice(i + 1, close)
      let k: number
      if (inner === "") {
        if (mode === "idx") throw new FormatError("can't mix `{}` and indexed format placeholders")
        mode = "seq"
        k = seq++
      } else if (/^\d+$/.test(inner)) {
        if (mode === "seq") throw new FormatError("can't mix `{}` and indexed format placeholders")
        mode = "idx"
        k = Number(inner)
      } else throw new FormatError("invalid format placeholder")
      if (k >= argCount) throw new FormatError(`format slot \`${k}\` is out of range`)
      used[k] = 1
      put(render(k, limit - out.length))
      i = close
      continue
    }
    if (c === "}") {
      if (template[i + 1] === "}") {
        put("}")
        i++
        continue
      }
      throw new FormatError("unmatched `}` in format string")
    }
    // Copy the run of plain characters up to the next brace in one piece.
    let j = i
    while (j < template.length && template[j] !== "{" && template[j] !== "}") j++
    put(template.slice(i, j))
    i = j - 1
  }
  for (let k = 0; k < argCount; k++) {
    if (used[k] === 0) throw new FormatError(`format argument \`${k}\` is unused`)
  }
  return out
}
