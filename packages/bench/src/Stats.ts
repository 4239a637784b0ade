/**
 * Percentiles and the one-line report format of `pnpm bench`.
 */
import { Effect } from "effect"
import { timed } from "./Profile.js"

/** Ms since `t0`; the span is also handed to a running `--profile`, which counts only measured spans. */
const span = (t0: bigint): number => {
  const t1 = process.hrtime.bigint()
  timed(t0, t1)
  return Number(t1 - t0) / 1e6
}

/** Summary of a series of samples (milliseconds unless `unit` says otherwise). */
export interface Summary {
  readonly n: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly mean: number
}

/** Percentile by nearest rank over a sorted copy. */
export const summarize = (samples: ReadonlyArray<number>): Summary => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)
  }
}

/** One reported figure. */
export interface Result {
  readonly id: string
  readonly variant: string
  readonly unit: string
  readonly summary: Summary
  readonly baseline?: string
  readonly ratio?: number
  /**
   * `enforced: false` = reported, not turned into a non-zero exit by `LASH_BENCH_GATES=1` (spec gates the issue did not
   * name). `floor`: the same ratio measured in the same run for the gate's floor, the workload written with no lash code
   * (e.g. B0c / B0a for B1 / B0a); when the floor alone misses the gate, no implementation of that workload can meet it.
   */
  readonly gate?: {
    readonly max?: number
    readonly min?: number
    readonly enforced?: boolean
    readonly floor?: { readonly name: string; readonly ratio: number }
  }
  readonly note?: string
  /** Named figures behind the note, for the report to quote without reading the note's text back. */
  readonly figures?: Readonly<Record<string, number>>
}

/** Whether a missed gate of this result fails a `LASH_BENCH_GATES=1` run. */
export const enforced = (r: Result): boolean => r.gate !== undefined && r.gate.enforced !== false

/** Whether a result meets its gate (no gate = pass). */
export const passes = (r: Result): boolean =>
  r.gate === undefined || r.ratio === undefined
    ? true
    : (r.gate.max === undefined || r.ratio <= r.gate.max) && (r.gate.min === undefined || r.ratio >= r.gate.min)

const fmt = (
  x: number
): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3))

/** Whether the gate's own floor, measured in the same run, already misses it (see `Result.gate.floor`). */
export const floorBound = (r: Result): boolean => {
  const floor = r.gate?.floor
  if (r.gate === undefined || floor === undefined) return false
  return (r.gate.max !== undefined && floor.ratio > r.gate.max) ||
    (r.gate.min !== undefined && floor.ratio < r.gate.min)
}

/** `pass`, `MISS`, or `MISS (floor-bound: B0c alone 2.31)`; `miss` is how a miss is written (`**MISS**` in Markdown). */
export const verdict = (r: Result, miss = "MISS"): string =>
  passes(r)
    ? "pass"
    : floorBound(r)
    ? `${miss} (floor-bound: ${r.gate!.floor!.name} alone ${fmt(r.gate!.floor!.ratio)})`
    : miss

/** `B1 sqlite/full p50 0.24 ms p99 0.61 ms ratio 1.14 (B0a) gate <= 1.5 pass`. */
export const line = (r: Result): string => {
  const base = `${r.id} ${r.variant} p50 ${fmt(r.summary.p50)} ${r.unit} p95 ${fmt(r.summary.p95)} ${r.unit} p99 ${
    fmt(r.summary.p99)
  } ${r.unit} n ${r.summary.n}`
  const ratio = r.ratio === undefined ? "" : ` ratio ${fmt(r.ratio)} (${r.baseline})`
  const gate = r.gate === undefined
    ? ""
    : ` gate ${r.gate.max !== undefined ? `<= ${r.gate.max}` : `>= ${r.gate.min}`}${
      r.gate.enforced === false ? " (reported)" : ""
    } ${verdict(r)}`
  return `${base}${ratio}${gate}${r.note === undefined ? "" : `  # ${r.note}`}`
}

/** Runs `f` `warmup` times unmeasured, then `n` times measured (ms per call). */
export const timeSync = (n: number, warmup: number, f: (i: number) => void): ReadonlyArray<number> => {
  for (let i = 0; i < warmup; i++) f(-1 - i)
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    f(i)
    out.push(span(t0))
  }
  return out
}

/** Like {@link timeSync} for a body that times its own measured part (it returns ms): setup stays outside. */
export const timeSelf = (n: number, warmup: number, f: () => number): ReadonlyArray<number> => {
  for (let i = 0; i < warmup; i++) f()
  const out: Array<number> = []
  for (let i = 0; i < n; i++) out.push(f())
  return out
}

/** Async variant of {@link timeSync}. */
export const timeAsync = async (
  n: number,
  warmup: number,
  f: (i: number) => Promise<void>
): Promise<ReadonlyArray<number>> => {
  for (let i = 0; i < warmup; i++) await f(-1 - i)
  const out: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint()
    await f(i)
    out.push(span(t0))
  }
  return out
}

/** Effect variant of {@link timeSync}: the clock is read inside the effect, so no `runPromise` bridging is measured. */
export const timeEffect = <E, R>(
  n: number,
  warmup: number,
  f: (i: number) => Effect.Effect<unknown, E, R>,
  between?: (i: number) => Effect.Effect<void>
): Effect.Effect<ReadonlyArray<number>, E, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < warmup; i++) yield* f(-1 - i)
    const out: Array<number> = []
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint()
      yield* f(i)
      out.push(span(t0))
      if (between !== undefined) yield* between(i)
    }
    return out
  })
