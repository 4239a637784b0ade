/**
 * Paired floors: a benchmark's samples split into rounds, each round followed at once by a block of B0a commits on
 * an open floor database (`openFloor`, B0.ts). The gated ratio is the median over rounds of p50(round) / p50(its
 * floor block), so a disk that is slower for a minute moves both sides of each ratio alike. An unpaired ratio takes
 * B0a from the start of the run: on this kind of machine B0a FULL has moved from 0.11 to 0.18 ms between runs, and a
 * gate against it then measures the disk as much as lash.
 */
import type { Floor } from "./B0.js"
import { summarize, type Summary } from "./Stats.js"

/** What a paired benchmark needs: a call after each measured sample, and the per-round ratios at the end. */
export interface Pairing {
  /** Called (untimed) after measured sample `i`; runs a floor block when a round is complete. */
  readonly between: (i: number) => void
  /** The per-round ratios of `samples` (the measured samples, in order) to their floor blocks. */
  readonly ratios: (samples: ReadonlyArray<number>) => Summary
}

/** Pairs a benchmark with `floor`, `roundSize` samples per round (a round is followed by `roundSize` floor commits). */
export const pairWithFloor = (floor: Floor, roundSize: number): Pairing => {
  const floorP50s: Array<number> = []
  return {
    between: (i) => {
      if ((i + 1) % roundSize === 0) floorP50s.push(summarize(floor.block(roundSize)).p50)
    },
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
