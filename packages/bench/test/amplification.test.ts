/**
 * The fsync amplification figure (src/Amplification.ts): the same memory-backend commit, timed right after a raw
 * FULL commit, a NORMAL one and nothing, interleaved, each sample a real commit of the B1 turn.
 */
import { describe, expect, it } from "vitest"
import { amplification, amplificationResult } from "../src/Amplification.js"

describe("amplification", () => {
  it("times the requested commits after each kind of step and divides FULL by nothing", async () => {
    const a = await amplification(12, 2)
    for (const summary of [a.afterFull, a.afterNormal, a.afterNothing]) {
      expect(summary.n).toBe(12)
      expect(summary.p50).toBeGreaterThan(0)
    }
    const line = amplificationResult(a)
    expect(line.ratio).toBeCloseTo(a.afterFull.p50 / a.afterNothing.p50, 10)
    expect(line.summary).toBe(a.afterFull)
    expect(line.gate).toBeUndefined()
    expect(line.figures).toEqual({
      afterFull: a.afterFull.p50,
      afterNormal: a.afterNormal.p50,
      afterNothing: a.afterNothing.p50
    })
  })
})
