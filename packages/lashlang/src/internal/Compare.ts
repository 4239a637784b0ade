/**
 * Equality and ordering (docs/lashlang.md, "Values and types", truthiness, equality, ordering). Equality is
 * structural without coercion; a shared part compares equal to itself at once, and the work of a comparison is
 * charged by the number of parts visited, so comparing two large values costs what it does.
 *
 * @internal
 */
import { isList, isRecord, type Value } from "../Value.js"
import { COMPARE_WORK } from "./Budget.js"
import { toNumber } from "./Coerce.js"
import { jsonText } from "./Text.js"

/** Structural equality; `charge` is told the work done (parts visited, characters compared). */
export const equals = (a: Value, b: Value, charge: (units: number) => void): boolean => {
  let visited = 0
  let characters = 0
  const eq = (x: Value, y: Value): boolean => {
    visited++
    if (typeof x === "number" && typeof y === "number") return x === y
    if (typeof x === "string" && typeof y === "string") {
      characters += Math.min(x.length, y.length)
      return x === y
    }
    if (x === y) return true
    if (x === null || y === null || typeof x !== "object" || typeof y !== "object") return false
    if (isList(x)) {
      if (!isList(y) || x.length !== y.length) return false
      for (let i = 0; i < x.length; i++) if (!eq(x[i]!, y[i]!)) return false
      return true
    }
    if (isRecord(x)) {
      if (!isRecord(y) || x.size !== y.size) return false
      for (const [k, v] of x.entries) {
        const w = y.get(k)
        if (w === undefined || !eq(v, w)) return false
      }
      return true
    }
    if (isList(y) || isRecord(y)) return false
    // Tagged kinds compare by their JSON form.
    const tx = jsonText(x)
    const ty = jsonText(y)
    characters += tx.length + ty.length
    return tx === ty
  }
  try {
    return eq(a, b)
  } finally {
    charge(visited * COMPARE_WORK + characters)
  }
}

/**
 * The ordering operators: code-point order for two strings (charged by the characters compared), otherwise numeric
 * (toNumber); NaN is unordered.
 */
export const compare = (
  op: "<" | "<=" | ">" | ">=",
  l: Value,
  r: Value,
  charge: (units: number) => void
): boolean => {
  let c: number
  if (typeof l === "string" && typeof r === "string") {
    charge(Math.min(l.length, r.length))
    c = l < r ? -1 : l > r ? 1 : 0
  } else {
    const a = toNumber(l)
    const b = toNumber(r)
    if (Number.isNaN(a) || Number.isNaN(b)) return false
    c = a < b ? -1 : a > b ? 1 : 0
  }
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0
}
