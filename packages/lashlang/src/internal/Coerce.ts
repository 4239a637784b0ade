/**
 * Conversions (docs/lashlang.md, "Values and types", conversions): toNumber, text arguments and integer arguments.
 * One rule covers every integer a program passes (an index read or written, a `slice` bound, a `find` start, a
 * `range` bound, a `floor_div`/`ceil_div` operand): the argument is converted with toNumber and must then be a finite
 * integer, so `xs["1"]`, `slice(s, "1", null)` and `range("3")` all behave alike.
 *
 * @internal
 */
import { typeName, type Value } from "../Value.js"
import { fault } from "./Fault.js"

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** Text longer than this is never numeric (so converting it costs constant time, whatever its length). */
const NUMBER_TEXT_MAX = 1000

/** toNumber: numbers, booleans (1/0), null (0) and numeric text; anything else is a TypeError. */
export const toNumber = (v: Value): number => {
  if (typeof v === "number") return v
  if (typeof v === "boolean") return v ? 1 : 0
  if (v === null) return 0
  if (typeof v === "string") {
    if (v.length > NUMBER_TEXT_MAX) return fault("TypeError", "expected a number")
    const s = v.trim()
    if (s === "") return 0
    if (NUMBER_TEXT.test(s)) return Number(s)
    const low = s.toLowerCase().replace(/^[+-]/, "")
    if (low === "inf" || low === "infinity") return s.startsWith("-") ? -Infinity : Infinity
    if (low === "nan") return Number.NaN
    return fault("TypeError", "expected a number")
  }
  return fault("TypeError", `expected a number, got ${typeName(v)}`)
}

/**
 * An integer argument: toNumber, then a finite integer. `message` names the argument ("index must be an integer");
 * a value that does not convert at all adds what it was ("…, got list").
 */
export const toInteger = (v: Value, message: string): number => {
  if (typeof v === "number" && Number.isInteger(v)) return v
  let n: number
  if (typeof v === "object" && v !== null) return fault("TypeError", `${message}, got ${typeName(v)}`)
  try {
    n = toNumber(v)
  } catch {
    return fault("TypeError", `${message}, got ${typeName(v)} ${JSON.stringify(String(v).slice(0, 40))}`)
  }
  if (!Number.isInteger(n)) return fault("TypeError", message)
  return n
}

/** A text argument of builtin `who`: a scalar's toText; a container is a TypeError. */
export const isTextual = (v: Value): v is null | boolean | number | string => v === null || typeof v !== "object"

/** Fails unless `v` is textual. */
export const requireText = (v: Value, who: string): null | boolean | number | string =>
  isTextual(v) ? v : fault("TypeError", `\`${who}\` expected text, got ${typeName(v)}`)
