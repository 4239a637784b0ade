/**
 * Fast paths of the arithmetic and ordering operators (docs/lashlang.md, "Performance"): when an operand is a
 * variable or a number literal, the compiled closure reads the variable's cell or uses the constant directly instead
 * of calling a closure for it, and computes on numbers inline. Any other case (a non-number, an unbound variable)
 * takes the general path through the operand closures, so the meaning is exactly the one of `Operations`.
 * One closure per operator and operand shape keeps each call site monomorphic for the engine.
 *
 * @internal
 */
import type { Value } from "../Value.js"
import type { Ev } from "./Run.js"
import type { Cell } from "./Variables.js"

/** An operand: its general closure, and the cell or number literal it reads when it is that simple. */
export interface Operand {
  readonly ev: Ev
  readonly cell?: Cell
  readonly number?: number
}

/** The operators with fast paths. */
export const FAST_OPERATORS = new Set(["+", "-", "*", "/", "%", "<", "<=", ">", ">="])

type General = (a: Value, b: Value) => Value

/** `cell op number`. */
const cellNumber = (op: string, c: Cell, k: number, l: Ev, g: General): Ev => {
  switch (op) {
    case "+":
      return () => {
        const a = c.v
        return typeof a === "number" ? a + k : g(l(), k)
      }
    case "-":
      return () => {
        const a = c.v
        return typeof a === "number" ? a - k : g(l(), k)
      }
    case "*":
      return () => {
        const a = c.v
        return typeof a === "number" ? a * k : g(l(), k)
      }
    case "/":
      return () => {
        const a = c.v
        return typeof a === "number" ? a / k : g(l(), k)
      }
    case "%":
      return () => {
        const a = c.v
        return typeof a === "number" ? a % k : g(l(), k)
      }
    case "<":
      return () => {
        const a = c.v
        return typeof a === "number" ? a < k : g(l(), k)
      }
    case "<=":
      return () => {
        const a = c.v
        return typeof a === "number" ? a <= k : g(l(), k)
      }
    case ">":
      return () => {
        const a = c.v
        return typeof a === "number" ? a > k : g(l(), k)
      }
    default:
      return () => {
        const a = c.v
        return typeof a === "number" ? a >= k : g(l(), k)
      }
  }
}

/** `cell op cell`. */
const cellCell = (op: string, c: Cell, d: Cell, l: Ev, r: Ev, g: General): Ev => {
  switch (op) {
    case "+":
      return () => {
        const a = c.v
        const b = d.v
        return typeof a === "number" && typeof b === "number" ? a + b : g(l(), r())
      }
    case "-":
      return () => {
        const a = c.v
        const b = d.v
        return typeof a === "number" && typeof b === "number" ? a - b : g(l(), r())
      }
    case "*":
      return () => {
        const a = c.v
        const b = d.v
        return typeof a === "number" && typeof b === "number" ? a * b : g(l(), r())
      }
    case "<":
      return () => {
        const a = c.v
        const b = d.v
        return typeof a === "number" && typeof b === "number" ? a < b : g(l(), r())
      }
    case ">":
      return () => {
        const a = c.v
        const b = d.v
        return typeof a === "number" && typeof b === "number" ? a > b : g(l(), r())
      }
    default:
      return () => g(l(), r())
  }
}

/** `cell op expression`: the cell is read first, as the general path would. */
const cellExpr = (op: string, c: Cell, l: Ev, r: Ev, g: General): Ev => {
  switch (op) {
    case "+":
      return () => {
        const a = c.v
        const b = r()
        return typeof a === "number" && typeof b === "number" ? a + b : g(l(), b)
      }
    case "-":
      return () => {
        const a = c.v
        const b = r()
        return typeof a === "number" && typeof b === "number" ? a - b : g(l(), b)
      }
    case "*":
      return () => {
        const a = c.v
        const b = r()
        return typeof a === "number" && typeof b === "number" ? a * b : g(l(), b)
      }
    case "<":
      return () => {
        const a = c.v
        const b = r()
        return typeof a === "number" && typeof b === "number" ? a < b : g(l(), b)
      }
    default:
      return () => g(l(), r())
  }
}

/**
 * The closure of `l op r` with a fast path, or undefined when the operands have no simple shape. `general` is the
 * operator's full meaning; it receives the operands' values from their general closures.
 */
export const fastBinary = (op: string, l: Operand, r: Operand, general: General): Ev | undefined => {
  if (!FAST_OPERATORS.has(op) || l.cell === undefined) return undefined
  if (r.number !== undefined) return cellNumber(op, l.cell, r.number, l.ev, general)
  if (r.cell !== undefined) return cellCell(op, l.cell, r.cell, l.ev, r.ev, general)
  return cellExpr(op, l.cell, l.ev, r.ev, general)
}
