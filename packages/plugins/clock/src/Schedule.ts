/**
 * Due-instant arithmetic of `clock.Alarm({ at, tz? })`: on each calendar date the alarm is due at `at` (HH:MM) in
 * UTC, or in the IANA zone `tz` at the first instant that zone's wall clock shows `at`. A time skipped by a
 * daylight-saving change fires at the first instant after the gap; a repeated time fires once, at its first
 * occurrence. Works on epoch milliseconds only (read from Effect's Clock by the caller).
 *
 * @since 0.1.0
 */

const MINUTE = 60_000
const DAY = 86_400_000

/** A parsed alarm configuration. @since 0.1.0 */
export interface AlarmSpec {
  readonly hour: number
  readonly minute: number
  readonly tz: string | undefined
}

/**
 * Parses `{ at: "HH:MM", tz? }`; `undefined` when `at` is not a 24-hour time or `tz` is not a known zone.
 *
 * @since 0.1.0
 */
export const parseAlarm = (source: unknown): AlarmSpec | undefined => {
  if (typeof source !== "object" || source === null) return undefined
  const { at, tz } = source as { readonly at?: unknown; readonly tz?: unknown }
  if (typeof at !== "string") return undefined
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at)
  if (match === null) return undefined
  if (tz !== undefined && tz !== null) {
    if (typeof tz !== "string") return undefined
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz })
    } catch {
      return undefined
    }
  }
  return { hour: Number(match[1]), minute: Number(match[2]), tz: typeof tz === "string" ? tz : undefined }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const formatterFor = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    })
    formatters.set(tz, f)
  }
  return f
}

/** The wall clock of `tz` at `ms`, as the UTC epoch ms of the same wall-clock reading. */
const wallClock = (tz: string, ms: number): number => {
  const parts = formatterFor(tz).formatToParts(ms)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"))
}

/** The zone's offset (wall clock minus UTC) at `ms`, rounded to the minute. */
const offsetAt = (tz: string, ms: number): number => {
  const floored = ms - (((ms % MINUTE) + MINUTE) % MINUTE)
  return wallClock(tz, floored) - floored
}

/** The due instant on the date whose UTC-midnight-based day number is `day`. */
const dueOnDay = (spec: AlarmSpec, day: number): number => {
  const naive = day * DAY + spec.hour * 3_600_000 + spec.minute * MINUTE
  const tz = spec.tz
  if (tz === undefined) return naive
  const before = offsetAt(tz, naive - DAY)
  const after = offsetAt(tz, naive + DAY)
  const candidates = [...new Set([before, after])]
    .map((offset) => naive - offset)
    .filter((t) => wallClock(tz, t) === naive)
  if (candidates.length > 0) return Math.min(...candidates)
  // A skipped wall-clock time: fire at the transition, the first instant after the gap.
  let lo = Math.min(naive - before, naive - after)
  let hi = Math.max(naive - before, naive - after)
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE
    if (offsetAt(tz, mid) === before) lo = mid
    else hi = mid
  }
  return hi
}

/**
 * The most recent due instant `<= nowMs`.
 *
 * @since 0.1.0
 */
export const mostRecentDue = (spec: AlarmSpec, nowMs: number): number => {
  const today = Math.floor(nowMs / DAY)
  for (let day = today + 1; day >= today - 2; day--) {
    const due = dueOnDay(spec, day)
    if (due <= nowMs) return due
  }
  return dueOnDay(spec, today - 3)
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/**
 * `YYYY-MM-DDTHH:MM:00Z` of an instant (minute precision, UTC).
 *
 * @since 0.1.0
 */
export const isoMinute = (ms: number): string => {
  const parts = formatterFor("UTC").formatToParts(ms)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return `${pad(get("year"), 4)}-${pad(get("month"))}-${pad(get("day"))}T${pad(get("hour") % 24)}:${
    pad(get("minute"))
  }:00Z`
}
