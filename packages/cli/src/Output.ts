/**
 * How commands print: aligned tables and coloured statuses for people (colour only when standard output is a terminal
 * and `NO_COLOR` is unset), one JSON document for `--json`.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Console } from "effect"

const useColor = (): boolean =>
  process.env["NO_COLOR"] === undefined &&
  (process.env["FORCE_COLOR"] !== undefined && process.env["FORCE_COLOR"] !== "0" || process.stdout.isTTY === true)

const ANSI = { green: 32, red: 31, yellow: 33, cyan: 36, magenta: 35, dim: 2, bold: 1 } as const

/** @since 0.1.0 */
export type Color = keyof typeof ANSI

/** A cell with a colour; printed plain when colour is off. @since 0.1.0 */
export interface Colored {
  readonly text: string
  readonly color: Color
}

/** @since 0.1.0 */
export type Cell = string | number | Colored

const plain = (cell: Cell): string => (typeof cell === "object" ? cell.text : String(cell))

const paint = (cell: Cell, color: boolean): string =>
  typeof cell === "object" && color ? `\u001b[${ANSI[cell.color]}m${cell.text}\u001b[0m` : plain(cell)

/** The colour of a status word (process states, enabled/disabled, claims). @since 0.1.0 */
export const status = (text: string): Colored => {
  switch (text) {
    case "completed":
    case "enabled":
    case "ok":
      return { text, color: "green" }
    case "failed":
    case "corrupt":
    case "quarantined":
    case "set aside":
      return { text, color: "red" }
    case "running":
    case "claimed":
      return { text, color: "cyan" }
    case "cancelled":
    case "disabled":
    case "expired":
      return { text, color: "yellow" }
    default:
      return { text, color: "dim" }
  }
}

/**
 * An aligned table (column widths from the plain text; the last column is not padded).
 *
 * @since 0.1.0
 */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<Cell>>): string => {
  const color = useColor()
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => plain(row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<Cell>) =>
    cells
      .map((cell, i) => {
        const text = paint(cell, color)
        return i === cells.length - 1 ? text : text + " ".repeat(widths[i]! - plain(cell).length)
      })
      .join("  ")
      .trimEnd()
  const head = headers.map((h): Cell => ({ text: h, color: "bold" }))
  return [line(head), ...rows.map(line)].join("\n")
}

/** Key-value lines, keys aligned. @since 0.1.0 */
export const fields = (pairs: ReadonlyArray<readonly [string, Cell]>): string => {
  const color = useColor()
  const width = Math.max(...pairs.map(([key]) => key.length))
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${paint(value, color)}`).join("\n")
}

/** A time as `2026-11-24 08:00:00.000Z` (UTC). @since 0.1.0 */
export const time = (ms: number): string => new Date(ms).toISOString().replace("T", " ")

/** A value as compact JSON, cut to `max` characters. @since 0.1.0 */
export const brief = (value: unknown, max = 60): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "undefined"
  const flat = text.replace(/\s+/g, " ")
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat
}

/** Prints one JSON document. @since 0.1.0 */
export const json = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

/** Prints text. @since 0.1.0 */
export const print = (text: string): Effect.Effect<void> => Console.log(text)
