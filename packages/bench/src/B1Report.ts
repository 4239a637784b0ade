/**
 * B1's SQLite lines and their gates. At FULL each round of B1's commits is followed by three floor blocks, in this
 * order (Paired.ts): B0a (one 512 B row), B0c (B1's rows written raw, B0c.ts) and B0e (B1's payload as one row, B0e.ts).
 * So every FULL gate is a paired median, and each gate names its own floor from the same rounds: B1 ≤ 1.5 × B0a
 * carries B0c / B0a (what the rows cost with no lash code), which tells a miss that no implementation of these rows
 * can avoid from one lash could. B0e / B0a is reported beside them: what one row per commit would leave.
 */
import { type B0aFloor, openFloor } from "./B0.js"
import { openRowsFloor, type RowsFloor } from "./B0c.js"
import { openOneRowFloor } from "./B0e.js"
import { b1 } from "./B1.js"
import { type Floor, floorRatios, inSequence, type PairedBaseline, pairedResult, pairWithFloor } from "./Paired.js"
import type { Result } from "./Stats.js"

/** Samples per round of the paired B1 gates: each round is followed by as many commits of each floor. */
export const B1_ROUND = 100

const B0A: PairedBaseline = { name: "B0a", samples: "B0a commits" }
const B0C: PairedBaseline = { name: "B0c", samples: "B0c commits" }

type PerLevel<A> = { readonly full: A; readonly normal: A }

/** The ratio of one floor's blocks to B0a's blocks in the same rounds, as its own line. */
const floorLine = (id: string, variant: string, ratios: Result["summary"], note: string): Result => ({
  id,
  variant,
  unit: "ratio",
  summary: ratios,
  baseline: "B0a same round",
  ratio: ratios.p50,
  note
})

/**
 * Runs B1 at FULL (paired) and NORMAL; `floor` is B0a, `driver` B0b and `rows` B0c, each measured earlier in the run
 * (the unpaired context lines).
 */
export const b1Report = async (options: {
  readonly n: number
  readonly floor: PerLevel<Result>
  readonly driver: PerLevel<Result> | undefined
  readonly rows: PerLevel<Result> | undefined
}): Promise<ReadonlyArray<Result>> => {
  const out: Array<Result> = []
  for (const sync of ["full", "normal"] as const) {
    const floors = sync === "full" ? await openFullFloors() : undefined
    const pairings = floors && {
      b0a: pairWithFloor(floors.b0a, B1_ROUND),
      b0c: pairWithFloor(floors.b0c, B1_ROUND),
      b0e: pairWithFloor(floors.b0e, B1_ROUND)
    }
    const s = await b1(sync, options.n, pairings && inSequence([pairings.b0a, pairings.b0c, pairings.b0e])).finally(
      () => floors?.close()
    )
    out.push({
      id: "B1",
      variant: `sqlite/${sync}`,
      unit: "ms",
      summary: s,
      baseline: "B0a",
      ratio: s.p50 / options.floor[sync].summary.p50,
      ...(sync === "normal" ? { gate: { max: 30, enforced: false } } : {}),
      note: `SessionStore.commit: 2 × 1 KiB nodes, 4 KiB plugin snapshot, usage, stamp, 1 completed claim; CPU ${
        (1000 * s.cpuMsPerCommit).toFixed(0)
      } µs/commit`
    })
    // At FULL: the pairings, and B0c / B0a in the same rounds (the floor the B1 ≤ 1.5 × B0a gate names).
    const paired = pairings && { ...pairings, rowsOverB0a: floorRatios(pairings.b0c, pairings.b0a) }
    if (paired !== undefined) {
      out.push(pairedResult({
        id: "B1",
        variant: `sqlite/${sync}`,
        baseline: B0A,
        ratios: paired.b0a.ratios(s.samples),
        max: 1.5,
        round: B1_ROUND,
        what: "commits",
        floor: { name: "B0c", ratio: paired.rowsOverB0a.p50 }
      }))
    }
    if (options.driver !== undefined) {
      out.push({
        id: "B1",
        variant: `sqlite/${sync} vs driver`,
        unit: "ms",
        summary: s,
        baseline: "B0b",
        ratio: s.p50 / options.driver[sync].summary.p50,
        ...(sync === "normal" ? { gate: { max: 4, enforced: false } } : {}),
        note: "lash's own cost over @effect/sql + the write helper"
      })
    }
    if (options.rows !== undefined) {
      out.push({
        id: "B1",
        variant: `sqlite/${sync} vs same rows raw`,
        unit: "ms",
        summary: s,
        baseline: "B0c",
        ratio: s.p50 / options.rows[sync].summary.p50,
        note: `lash's whole cost over writing exactly its rows with raw prepared statements (B0c measured earlier${
          sync === "full" ? "; the gate is the paired line" : ""
        })`
      })
    }
    if (paired !== undefined) {
      // Issue 18's gate at FULL: lash adds at most 30 % over writing exactly its rows by hand.
      out.push(pairedResult({
        id: "B1",
        variant: `sqlite/${sync} vs same rows raw`,
        baseline: B0C,
        ratios: paired.b0c.ratios(s.samples),
        max: 1.3,
        round: B1_ROUND,
        what: "commits"
      }))
      out.push(floorLine(
        "B0c",
        "sqlite/full B1 rows raw, paired with B0a",
        paired.rowsOverB0a,
        "B0c / B0a in B1's rounds: the floor of the B1 ≤ 1.5 × B0a gate (the issue's rows, no lash code)"
      ))
      out.push(floorLine(
        "B0e",
        "sqlite/full B1 payload as one row raw, paired with B0a",
        floorRatios(paired.b0e, paired.b0a),
        "B0e / B0a in B1's rounds: the floor of a one-row-per-commit layout (B0e.ts)"
      ))
    }
  }
  return out
}

/** The three FULL floors B1's rounds are paired with, opened and warmed. */
const openFullFloors = async (): Promise<
  { readonly b0a: B0aFloor; readonly b0c: RowsFloor; readonly b0e: Floor; readonly close: () => void }
> => {
  const b0a = openFloor("full", 200)
  const b0c = await openRowsFloor("full", 200).catch((e) => {
    b0a.close()
    throw e
  })
  let b0e: Floor
  try {
    b0e = openOneRowFloor("full", 200)
  } catch (e) {
    b0a.close()
    b0c.close()
    throw e
  }
  return {
    b0a,
    b0c,
    b0e,
    close: () => {
      b0a.close()
      b0c.close()
      b0e.close()
    }
  }
}
