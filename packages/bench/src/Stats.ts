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
  /** `enforced: false` = reported, not turned into a non-zero exit by `LASH_BENCH_GATES=1` (spec gates the issue did not name). */
  readonly gate?: { readonly max?: number; readonly min?: number; readonly enforced?: boolean }
  readonly note?: string
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
    } ${passes(r) ? "pass" : "MISS"}`
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
