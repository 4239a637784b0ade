/**
 * The raw floors B1's rounds are paired with (B0c: B1's rows; B0e: B1's payload as one row) and how a gate names its
 * floor: a miss is floor-bound only when the floor, measured in the same rounds, misses the gate by itself.
 */
import Database from "better-sqlite3"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { openRowsFloor } from "../src/B0c.js"
import { openOneRowFloor } from "../src/B0e.js"
import { floorBound, line, type Result, verdict } from "../src/Stats.js"

const gated = (ratio: number, floor?: number): Result => ({
  id: "B1",
  variant: "sqlite/full, paired with B0a",
  unit: "ratio",
  summary: { n: 1, p50: ratio, p95: ratio, p99: ratio, mean: ratio },
  baseline: "B0a same round",
  ratio,
  gate: floor === undefined ? { max: 1.5 } : { max: 1.5, floor: { name: "B0c", ratio: floor } }
})

describe("a gate's floor", () => {
  it("marks a miss floor-bound when the floor alone misses the gate", () => {
    const r = gated(2.9, 2.31)
    expect(floorBound(r)).toBe(true)
    expect(verdict(r)).toBe("MISS (floor-bound: B0c alone 2.31)")
    expect(verdict(r, "**MISS**")).toBe("**MISS** (floor-bound: B0c alone 2.31)")
    expect(line(r)).toContain("gate <= 1.5 MISS (floor-bound: B0c alone 2.31)")
  })

  it("leaves a miss plain when the floor fits the gate: lash's own cost is what missed", () => {
    const r = gated(1.6, 1.2)
    expect(floorBound(r)).toBe(false)
    expect(verdict(r)).toBe("MISS")
  })

  it("passes whatever the floor says when the ratio meets the gate", () => {
    expect(verdict(gated(1.4, 2))).toBe("pass")
    expect(verdict(gated(1.4))).toBe("pass")
  })
})

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare(sql).get() as { readonly n: number }).n
  } finally {
    db.close()
  }
}

describe("the raw floors", () => {
  it("B0c commits B1's rows through lash's schema: 2 nodes, the head, a stamp and a completed claim per turn", async () => {
    const floor = await openRowsFloor("normal", 3)
    try {
      const samples = Effect.runSync(floor.block(4))
      expect(samples).toHaveLength(4)
      expect(samples.every((ms) => ms > 0)).toBe(true)
      expect(floor.commits(2)).toHaveLength(2)
      // 3 warm-up turns + 6 timed ones.
      expect(count(floor.file, "SELECT count(*) AS n FROM lash_graph_nodes")).toBe(18)
      expect(count(floor.file, "SELECT count(*) AS n FROM lash_turn_stamps")).toBe(9)
      expect(count(floor.file, "SELECT head_revision AS n FROM lash_sessions")).toBe(9)
      expect(count(floor.file, "SELECT count(*) AS n FROM lash_queued_batches WHERE completed = 1")).toBe(9)
    } finally {
      floor.close()
    }
  })

  it("B0e appends one row per commit, each at the next revision", () => {
    const floor = openOneRowFloor("normal", 2)
    try {
      expect(Effect.runSync(floor.block(3))).toHaveLength(3)
      expect(count(floor.file, "SELECT count(*) AS n FROM commit_log")).toBe(5)
      expect(count(floor.file, "SELECT max(revision) AS n FROM commit_log")).toBe(5)
      // The whole payload is in the row: both nodes and the 4 KiB snapshot.
      expect(count(floor.file, "SELECT min(length(record)) AS n FROM commit_log")).toBeGreaterThan(6000)
    } finally {
      floor.close()
    }
  })
})
