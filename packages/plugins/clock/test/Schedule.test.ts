import { describe, expect, it } from "@effect/vitest"
import { isoMinute, mostRecentDue, parseAlarm } from "../src/Schedule.js"

const at = (iso: string) => Date.parse(iso)

describe("clock.Alarm schedule", () => {
  it("parses HH:MM and rejects anything else", () => {
    expect(parseAlarm({ at: "08:00" })).toEqual({ hour: 8, minute: 0, tz: undefined })
    expect(parseAlarm({ at: "23:59", tz: "Europe/Berlin" })).toEqual({ hour: 23, minute: 59, tz: "Europe/Berlin" })
    expect(parseAlarm({ at: "24:00" })).toBeUndefined()
    expect(parseAlarm({ at: "8:00" })).toBeUndefined()
    expect(parseAlarm({ at: "08:00", tz: "Mars/Olympus" })).toBeUndefined()
    expect(parseAlarm({})).toBeUndefined()
  })

  it("UTC: today's time once it has passed, else yesterday's", () => {
    const spec = parseAlarm({ at: "08:00" })!
    expect(isoMinute(mostRecentDue(spec, at("2026-06-01T08:00:00Z")))).toBe("2026-06-01T08:00:00Z")
    expect(isoMinute(mostRecentDue(spec, at("2026-06-01T07:59:59Z")))).toBe("2026-05-31T08:00:00Z")
  })

  it("a zone: the wall-clock time in that zone (summer and winter offsets)", () => {
    const spec = parseAlarm({ at: "08:00", tz: "Europe/Berlin" })!
    expect(isoMinute(mostRecentDue(spec, at("2026-06-01T12:00:00Z")))).toBe("2026-06-01T06:00:00Z")
    expect(isoMinute(mostRecentDue(spec, at("2026-01-15T12:00:00Z")))).toBe("2026-01-15T07:00:00Z")
  })

  it("a time skipped by daylight saving fires at the first instant after the gap", () => {
    // Europe/Berlin jumps from 02:00 to 03:00 local (01:00 UTC) on 2026-03-29.
    const spec = parseAlarm({ at: "02:30", tz: "Europe/Berlin" })!
    expect(isoMinute(mostRecentDue(spec, at("2026-03-29T12:00:00Z")))).toBe("2026-03-29T01:00:00Z")
  })

  it("a repeated time fires once, at its first occurrence", () => {
    // Europe/Berlin repeats 02:00–03:00 local on 2026-10-25 (first pass at 00:30 UTC, second at 01:30 UTC).
    const spec = parseAlarm({ at: "02:30", tz: "Europe/Berlin" })!
    expect(isoMinute(mostRecentDue(spec, at("2026-10-25T12:00:00Z")))).toBe("2026-10-25T00:30:00Z")
  })
})
