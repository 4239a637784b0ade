/**
 * B0d records the write units of real B2 processes and replays them raw (src/B0d.ts): every process is found with
 * its units (the registration with its claim first, the terminal write last), and the replay on a fresh database runs
 * them all, one sample per process after the warm-up.
 */
import { describe, expect, it } from "vitest"
import { b0d, recordB2 } from "../src/B0d.js"

describe("B0d", () => {
  it("records each process's write units and replays them on a fresh database", async () => {
    const units = await recordB2(12)
    const ids = [...new Set(units.flatMap((u) => (u.process === undefined ? [] : [u.process])))]
    // 12 processes after a warm-up of 12 (B2's own: min(50, n)).
    expect(ids.length).toBe(24)
    for (const id of ids) {
      const mine = units.filter((u) => u.process === id)
      // The registration is durable before the tool runs, so it and the terminal write are two units at least.
      expect(mine.length, id).toBeGreaterThanOrEqual(2)
      expect(mine[0]!.calls.some((c) => /INSERT INTO lash_processes/.test(c.sql)), `${id} registers`).toBe(true)
      const last = mine[mine.length - 1]!
      expect(last.calls.some((c) => /INSERT INTO lash_process_events/.test(c.sql)), `${id} completes`).toBe(true)
    }
    const replayed = await b0d(units, "normal", 12)
    expect(replayed.summary.n).toBe(12)
    expect(replayed.unitsPerProcess).toBe(units.filter((u) => u.process !== undefined).length / ids.length)
  })
})
