/**
 * Paired floors: a benchmark's samples split into rounds, each round followed at once by a block of a baseline's
 * samples (a B0a commit on an open floor database, `openFloor` in B0.ts; LangGraph's put, B8.ts). The gated ratio is
 * the median over rounds of p50(round) / p50(its floor block), so a disk that is slower for a minute moves both sides
 * of each ratio alike. An unpaired ratio takes its baseline from another minute of the run: on this kind of machine
 * B0a FULL has moved from 0.11 to 0.18 ms between runs, and a gate against it then measures the disk as much as lash.
 */
import { Effect } from "effect"
import { type Result, summarize, type Summary } from "./Stats.js"

/** A baseline kept open: `block(k)` takes `k` timed samples of it (ms each). */
export interface Floor {
  readonly block: (k: number) => Effect.Effect<ReadonlyArray<number>>
  readonly close: () => void
}

/** What a paired benchmark needs: a step after each measured sample, and the per-round ratios at the end. */
export interface Pairing {
  /** Run (untimed) after measured sample `i`: a floor block when a round is complete, else nothing. */
  readonly between: (i: number) => Effect.Effect<void>
  /** The per-round ratios of `samples` (the measured samples, in order) to their floor blocks. */
  readonly ratios: (samples: ReadonlyArray<number>) => Summary
  /** The p50 of each floor block run so far, one per complete round. */
  readonly floorP50s: ReadonlyArray<number>
}

/** Pairs a benchmark with `floor`, `roundSize` samples per round (a round is followed by `roundSize` floor commits). */
export const pairWithFloor = (floor: Floor, roundSize: number): Pairing => {
  const floorP50s: Array<number> = []
  return {
    floorP50s,
    between: (i) =>
      (i + 1) % roundSize === 0
        ? Effect.map(floor.block(roundSize), (samples) => {
          floorP50s.push(summarize(samples).p50)
        })
        : Effect.void,
    ratios: (samples) => {
      const out: Array<number> = []
      for (let round = 0; round < floorP50s.length; round++) {
        const own = samples.slice(round * roundSize, (round + 1) * roundSize)
        if (own.length === roundSize) out.push(summarize(own).p50 / floorP50s[round]!)
      }
      return summarize(out)
    }
  }
}

/**
 * Several pairings after the same rounds: after a complete round each runs its floor block, in order. A benchmark
 * takes this as its one pairing; the ratios of each floor are read from its own pairing.
 */
export const inSequence = (pairings: ReadonlyArray<Pairing>): Pairing => ({
  floorP50s: pairings[0]?.floorP50s ?? [],
  between: (i) => Effect.forEach(pairings, (pairing) => pairing.between(i), { discard: true }),
  ratios: (samples) => (pairings[0] === undefined ? summarize([]) : pairings[0].ratios(samples))
})

/**
 * The per-round ratios of one floor to another run after the same rounds (`numerator.floorP50s[r] /
 * denominator.floorP50s[r]`): what one floor costs over the other within the same minute, as the paired gates see it.
 */
export const floorRatios = (numerator: Pairing, denominator: Pairing): Summary => {
  const rounds = Math.min(numerator.floorP50s.length, denominator.floorP50s.length)
  const out: Array<number> = []
  for (let round = 0; round < rounds; round++) out.push(numerator.floorP50s[round]! / denominator.floorP50s[round]!)
  return summarize(out)
}

/** The baseline a paired line names: `B0a` with its commits, or LangGraph's put with its puts. */
export interface PairedBaseline {
  /** Its name in the variant and the baseline column: `B0a`, `langgraph put`. */
  readonly name: string
  /** What one of its samples is, plural: `B0a commits`, `puts`. */
  readonly samples: string
}

/**
 * The gated line of a paired benchmark: the median of its per-round ratios (`ratios`, from `Pairing.ratios`), with
 * `round` of its own samples (`what`) per round and as many of the baseline's right after them.
 */
export const pairedResult = (options: {
  readonly id: string
  readonly variant: string
  readonly baseline: PairedBaseline
  readonly ratios: Summary
  readonly max: number
  readonly round: number
  readonly what: string
  /** The same paired ratio for the workload written with no lash code (`Result.gate.floor`). */
  readonly floor?: { readonly name: string; readonly ratio: number }
}): Result => ({
  id: options.id,
  variant: `${options.variant}, paired with ${options.baseline.name}`,
  unit: "ratio",
  summary: options.ratios,
  baseline: `${options.baseline.name} same round`,
  ratio: options.ratios.p50,
  gate: options.floor === undefined ? { max: options.max } : { max: options.max, floor: options.floor },
  note:
    `median over ${options.ratios.n} rounds of p50(${options.round} ${options.what}) / p50(the ${options.round} ${options.baseline.samples} right after them)`
})
