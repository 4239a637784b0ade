/**
 * Paired floors (src/Paired.ts): a floor block runs after each complete round of a benchmark, and each round's p50
 * is divided by the p50 of the block that followed it, so a floor that changes speed between rounds changes the
 * denominator of its own round only. B1 and B2 take the pairing through their sample loops.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { b0a, openFloor } from "../src/B0.js"
import { b2 } from "../src/B2.js"
import { type Floor, floorRatios, inSequence, pairedResult, pairWithFloor } from "../src/Paired.js"

/** A floor whose commits take 1 ms in its first block, then 2 ms, then 4 ms, ... */
const slowingFloor = (): Floor & { readonly blocks: Array<number> } => {
  const blocks: Array<number> = []
  return {
    blocks,
    block: (k) =>
      Effect.sync(() => {
        blocks.push(k)
        return Array.from({ length: k }, () => 2 ** (blocks.length - 1))
      }),
    close: () => {}
  }
}
const runAll = (pairing: ReturnType<typeof pairWithFloor>, samples: ReadonlyArray<number>) =>
  Effect.runSync(Effect.forEach(samples, (_, i) => pairing.between(i), { discard: true }))

describe("pairWithFloor", () => {
  it("divides each round by the floor block that followed it", () => {
    const floor = slowingFloor()
    const pairing = pairWithFloor(floor, 3)
    // Rounds of 3 samples: the benchmark slows down exactly as the floor does, so every round's ratio is 5.
    const samples = [5, 5, 5, 10, 10, 10, 20, 20, 20]
    runAll(pairing, samples)
    expect(floor.blocks).toEqual([3, 3, 3])
    const ratios = pairing.ratios(samples)
    expect(ratios.n).toBe(3)
    expect(ratios.p50).toBe(5)
    expect(ratios.p99).toBe(5)
  })

  it("leaves out an incomplete last round", () => {
    const floor = slowingFloor()
    const pairing = pairWithFloor(floor, 4)
    const samples = [1, 1, 1, 1, 9, 9]
    runAll(pairing, samples)
    expect(floor.blocks).toEqual([4])
    expect(pairing.ratios(samples)).toMatchObject({ n: 1, p50: 1 })
  })

  it("runs real B0a commits between the rounds of B2", async () => {
    const floor = openFloor("normal", 5)
    const blocks: Array<number> = []
    const counted: Floor = { ...floor, block: (k) => Effect.suspend(() => (blocks.push(k), floor.block(k))) }
    try {
      const result = await b2("normal", 6, 0, pairWithFloor(counted, 3))
      expect(blocks).toEqual([3, 3])
      expect(result.paired?.n).toBe(2)
      expect(result.paired!.p50).toBeGreaterThan(0)
    } finally {
      floor.close()
    }
  })

  it("B0a measures the requested number of commits on a floor of its own", () => {
    const r = b0a("normal", 20)
    expect(r.summary.n).toBe(20)
    expect(r.sqliteVersion).toMatch(/^3\./)
  })

  it("names the gated line after its baseline, with the gate on the median ratio", () => {
    const floor = slowingFloor()
    const pairing = pairWithFloor(floor, 2)
    const samples = [2, 2, 4, 4]
    runAll(pairing, samples)
    const ratios = pairing.ratios(samples)
    const line = pairedResult({
      id: "B8",
      variant: "lash B1 commit full",
      baseline: { name: "langgraph put", samples: "puts" },
      ratios,
      max: 1,
      round: 2,
      what: "commits"
    })
    expect(line).toMatchObject({
      variant: "lash B1 commit full, paired with langgraph put",
      baseline: "langgraph put same round",
      ratio: 2,
      gate: { max: 1 },
      note: "median over 2 rounds of p50(2 commits) / p50(the 2 puts right after them)"
    })
  })
})

describe("several floors after the same rounds", () => {
  it("runs each floor's block after every complete round, in order, and divides each round by each floor", () => {
    const order: Array<string> = []
    const fixed = (name: string, ms: number): Floor => ({
      block: (k) => Effect.sync(() => (order.push(name), Array.from({ length: k }, () => ms))),
      close: () => {}
    })
    const first = pairWithFloor(fixed("b0a", 2), 2)
    const second = pairWithFloor(fixed("b0c", 5), 2)
    const both = inSequence([first, second])
    const samples = [10, 10, 20, 20]
    runAll(both, samples)
    expect(order).toEqual(["b0a", "b0c", "b0a", "b0c"])
    // The combined pairing's ratios are the first floor's; each floor keeps its own.
    expect(both.ratios(samples)).toMatchObject({ n: 2, p50: 5 })
    expect(second.ratios(samples)).toMatchObject({ n: 2, p50: 2 })
    // One floor over the other, round by round: 5 / 2.
    expect(floorRatios(second, first)).toMatchObject({ n: 2, p50: 2.5 })
  })

  it("takes a floor ratio over the rounds both floors completed", () => {
    const a = pairWithFloor(slowingFloor(), 1)
    const b = pairWithFloor(slowingFloor(), 1)
    runAll(a, [1, 1, 1])
    runAll(b, [1])
    expect(floorRatios(a, b)).toMatchObject({ n: 1, p50: 1 })
  })

  it("carries the gate's floor on the paired line", () => {
    const line = pairedResult({
      id: "B1",
      variant: "sqlite/full",
      baseline: { name: "B0a", samples: "B0a commits" },
      ratios: { n: 3, p50: 2.9, p95: 3, p99: 3, mean: 2.9 },
      max: 1.5,
      round: 100,
      what: "commits",
      floor: { name: "B0c", ratio: 2.3 }
    })
    expect(line.gate).toEqual({ max: 1.5, floor: { name: "B0c", ratio: 2.3 } })
  })
})
