/**
 * The argument of `sleep for` / `sleep until` (docs/lashlang.md, "Semantics", sleep): a duration in milliseconds,
 * computed by the interpreter so that it can be charged against the block's total sleep allowance before the host
 * is asked to sleep.
 *
 * @internal
 */
import type { Value } from "../Value.js"
import { fault } from "./Fault.js"
import { textPrefix } from "./Text.js"

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/
const UNIT_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

const shown = (v: Value): string => {
  const p = textPrefix(v, 100)
  return p.cut ? `${p.text}…` : p.text
}

/**
 * Milliseconds to sleep: `for` takes a non-negative number of milliseconds (rounded) or `<number>(ms|s|m|h)` text
 * (a bare number is milliseconds); `until` takes RFC 3339 text or epoch milliseconds, measured from `now`.
 */
export const sleepMillis = (mode: "for" | "until", value: Value, now: number): number => {
  let v = value
  // Duration and time text is short; a long string is refused before any parsing.
  if (typeof v === "string" && v.length > 100) v = `${v.slice(0, 100)}…`
  if (mode === "for") {
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return Math.round(v)
    const m = typeof v === "string" ? DURATION.exec(v) : null
    if (m !== null) {
      const ms = Math.round(Number(m[1]) * UNIT_MILLIS[m[2] ?? "ms"]!)
      if (Number.isFinite(ms)) return ms
    }
    return fault(
      "ValueError",
      `sleep failed: \`sleep for\` expects a non-negative millisecond number or duration string, got ${shown(v)}`
    )
  }
  const at = typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : Number.NaN
  if (!Number.isFinite(at)) {
    return fault(
      "ValueError",
      `sleep failed: \`sleep until\` expects RFC 3339 text or epoch milliseconds, got ${shown(v)}`
    )
  }
  return Math.max(0, Math.round(at - now))
}
