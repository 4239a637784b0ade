/**
 * The machine-readable report of every run (docs/performance.md): `packages/bench/results/<ISO timestamp>.json` and
 * `latest.md` beside it (the directory is gitignored; `docs/performance.md` is the committed report).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ProfileReport } from "./Profile.js"
import { passes, type Result, verdict } from "./Stats.js"

const gateText = (r: Result): string | null =>
  r.gate === undefined
    ? null
    : `${r.gate.max !== undefined ? `<= ${r.gate.max}` : `>= ${r.gate.min}`}${
      r.gate.enforced === false ? " (reported)" : ""
    }`

export const writeResults = (input: {
  readonly env: Record<string, string | number>
  readonly results: ReadonlyArray<Result>
  readonly notes: ReadonlyArray<string>
  readonly profiles: ReadonlyArray<ProfileReport>
}): string => {
  const dir = fileURLToPath(new URL("../results/", import.meta.url))
  mkdirSync(dir, { recursive: true })
  const stamp = String(input.env["date"]).replace(/[:.]/g, "-")
  const json = {
    env: { ...input.env, journal_mode: "wal", synchronous: "per result (variant)" },
    results: input.results.map((r) => ({
      id: r.id,
      variant: r.variant,
      unit: r.unit,
      n: r.summary.n,
      p50: r.summary.p50,
      p95: r.summary.p95,
      p99: r.summary.p99,
      mean: r.summary.mean,
      baseline: r.baseline ?? null,
      ratio: r.ratio ?? null,
      gate: gateText(r),
      pass: r.gate === undefined ? null : passes(r),
      verdict: r.gate === undefined ? null : verdict(r),
      note: r.note ?? null
    })),
    notes: input.notes,
    profiles: input.profiles
  }
  const file = join(dir, `${stamp}.json`)
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`)
  const rows = json.results.map(
    (r) =>
      `| ${r.id} | ${r.variant} | ${r.p50.toPrecision(3)} ${r.unit} | ${r.p99.toPrecision(3)} ${r.unit} | ${
        r.baseline ?? ""
      } | ${r.ratio === null ? "" : r.ratio.toPrecision(3)} | ${r.gate ?? ""} | ${r.verdict ?? ""} |`
  )
  writeFileSync(
    join(dir, "latest.md"),
    `| benchmark | variant | p50 | p99 | baseline | ratio | gate | pass |\n|---|---|---|---|---|---|---|---|\n${
      rows.join("\n")
    }\n`
  )
  return file
}
