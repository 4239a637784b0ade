/**
 * `json_parse` (docs/lashlang.md, "Semantics", builtins): a JSON decoder that builds Lashlang values directly, within
 * the limits of the run. Lists, records and strings are checked while they are read, so a document past a limit is
 * refused without materialising it; nesting past the depth limit is refused before it recurses; objects become
 * records with keys in canonical order (a `__proto__` key is plain data); strings are made well formed.
 *
 * @internal
 */
import type { RecordValue, Value } from "../Value.js"
import { fault, limitExceeded } from "./Fault.js"
import type { Shapes } from "./Sizes.js"
import { wellFormed } from "./Strings.js"

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

const ESCAPES: Record<string, string> = {
  "\"": "\"",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}

class Decoder {
  private i = 0

  constructor(
    private readonly s: string,
    private readonly shapes: Shapes
  ) {}

  private invalid(what: string): never {
    return fault("ValueError", `invalid json: ${what} at position ${this.i}`)
  }

  private ws(): void {
    const s = this.s
    let i = this.i
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 32 || c === 10 || c === 13 || c === 9) i++
      else break
    }
    this.i = i
  }

  document(): Value {
    this.ws()
    const v = this.value(0)
    this.ws()
    if (this.i < this.s.length) this.invalid("unexpected data after the document")
    return v
  }

  private value(depth: number): Value {
    const c = this.s[this.i]
    switch (c) {
      case "{":
        return this.object(depth + 1)
      case "[":
        return this.array(depth + 1)
      case "\"":
        return this.string()
      case "t":
        return this.word("true", true)
      case "f":
        return this.word("false", false)
      case "n":
        return this.word("null", null)
      case undefined:
        return this.invalid("unexpected end of input")
      default:
        return this.number()
    }
  }

  private nest(depth: number): void {
    if (depth > this.shapes.limits.maxValueDepth) {
      fault("ValueError", `invalid json: nesting too deep (limit ${this.shapes.limits.maxValueDepth})`)
    }
  }

  private word<V extends Value>(text: string, v: V): V {
    if (!this.s.startsWith(text, this.i)) this.invalid(`unexpected character \`${this.s[this.i]}\``)
    this.i += text.length
    return v
  }

  private number(): number {
    NUMBER.lastIndex = this.i
    const m = NUMBER.exec(this.s)
    if (m === null) return this.invalid(`unexpected character \`${this.s[this.i]}\``)
    this.i += m[0].length
    return Number(m[0])
  }

  private string(): string {
    const s = this.s
    const max = this.shapes.limits.maxStringLength
    let i = this.i + 1
    let out = ""
    let from = i
    for (;;) {
      const c = s.charCodeAt(i)
      if (Number.isNaN(c)) {
        this.i = i
        return this.invalid("unterminated string")
      }
      if (c === 34) break
      if (c < 32) {
        this.i = i
        return this.invalid("control character in string")
      }
      if (c === 92) {
        out += s.slice(from, i)
        const e = s[i + 1]
        if (e === "u") {
          const hex = s.slice(i + 2, i + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = i
            return this.invalid("bad unicode escape")
          }
          out += String.fromCharCode(parseInt(hex, 16))
          i += 6
        } else {
          const r = e === undefined ? undefined : ESCAPES[e]
          if (r === undefined) {
            this.i = i
            return this.invalid("bad escape")
          }
          out += r
          i += 2
        }
        from = i
        if (out.length > max) limitExceeded(`string too long (limit ${max})`)
        continue
      }
      i++
    }
    out += s.slice(from, i)
    this.i = i + 1
    return wellFormed(this.shapes.string(out))
  }

  private array(depth: number): ReadonlyArray<Value> {
    this.nest(depth)
    this.i++
    const items: Array<Value> = []
    this.ws()
    if (this.s[this.i] === "]") {
      this.i++
      return this.shapes.list(items)
    }
    const max = this.shapes.limits.maxListLength
    for (;;) {
      this.ws()
      items.push(this.value(depth))
      if (items.length > max) limitExceeded(`list too long (limit ${max})`)
      this.ws()
      const c = this.s[this.i]
      if (c === ",") {
        this.i++
        continue
      }
      if (c === "]") {
        this.i++
        return this.shapes.list(items)
      }
      return this.invalid(c === undefined ? "unexpected end of input" : `expected \`,\` or \`]\`, found \`${c}\``)
    }
  }

  private object(depth: number): RecordValue {
    this.nest(depth)
    this.i++
    const entries = new Map<string, Value>()
    this.ws()
    if (this.s[this.i] === "}") {
      this.i++
      return this.shapes.record(entries)
    }
    const max = this.shapes.limits.maxRecordEntries
    for (;;) {
      this.ws()
      if (this.s[this.i] !== "\"") return this.invalid("expected a string key")
      const key = this.string()
      this.ws()
      if (this.s[this.i] !== ":") return this.invalid("expected `:`")
      this.i++
      this.ws()
      entries.set(key, this.value(depth))
      if (entries.size > max) limitExceeded(`record too large (limit ${max})`)
      this.ws()
      const c = this.s[this.i]
      if (c === ",") {
        this.i++
        continue
      }
      if (c === "}") {
        this.i++
        const sorted = new Map<string, Value>()
        for (const k of [...entries.keys()].sort()) sorted.set(k, entries.get(k)!)
        return this.shapes.record(sorted)
      }
      return this.invalid(c === undefined ? "unexpected end of input" : `expected \`,\` or \`}\`, found \`${c}\``)
    }
  }
}

/** Decodes JSON text into a value within the limits of `shapes`; bad JSON is a ValueError "invalid json: …". */
export const decodeJson = (text: string, shapes: Shapes, charge: (units: number) => void): Value => {
  charge(text.length)
  return new Decoder(text, shapes).document()
}
