/**
 * B9, cold start: the whole-process time of `node` running a one-turn lash app from the built packages, against bare
 * `node -e ""` (the floor: starting Node itself) and against a process that only loads `effect` and runs one effect.
 * Ratios are p50 / p50 of bare node, measured in the same run. Also the Lashlang cold child of B7 (parse, link and
 * run `list100k` in a fresh process, from `dist/`) next to bare node.
 *
 * The apps are `src/cold/*.ts` and `src/B7child.ts`, compiled by `tsc -b tsconfig.cold.json` (which `pnpm bench`
 * runs first) and started with plain `node`: no tsx, no source condition.
 */
import { built, timeProcesses } from "./ColdStart.js"
import type { Result, Summary } from "./Stats.js"

export const b9 = async (runs: number): Promise<ReadonlyArray<Result>> => {
  const warmup = 2
  const bare = await timeProcesses(["-e", ""], runs, warmup)
  const effect = await timeProcesses([built("cold/effectOnly.js")], runs, warmup)
  const answered = (stdout: string) => stdout.includes("2 + 3 = 5")
  const memory = await timeProcesses([built("cold/oneTurn.js"), "memory"], runs, warmup, answered)
  const sqlite = await timeProcesses([built("cold/oneTurn.js"), "sqlite"], runs, warmup, answered)
  const lashlang = await timeProcesses(
    [built("B7child.js"), "list100k"],
    runs,
    warmup,
    (stdout) => stdout.includes("9999900000")
  )
  const vsBare = (variant: string, summary: Summary, note?: string): Result => ({
    id: "B9",
    variant,
    unit: "ms",
    summary,
    baseline: "node -e \"\"",
    ratio: summary.p50 / bare.p50,
    ...(note === undefined ? {} : { note })
  })
  const overEffect = (summary: Summary) =>
    `${(summary.p50 - effect.p50).toFixed(0)} ms over the effect-only process (${
      (summary.p50 / effect.p50).toFixed(2)
    } x)`
  return [
    { id: "B9", variant: "node -e \"\" (floor)", unit: "ms", summary: bare },
    vsBare("import effect, run one effect", effect),
    vsBare("one-turn app, memory backend (dist)", memory, overEffect(memory)),
    vsBare("one-turn app, SQLite backend (dist)", sqlite, overEffect(sqlite)),
    vsBare(
      "B7 Lashlang cold child list100k (dist)",
      lashlang,
      "whole process: start node, load @lash/lashlang, parse + link + run list100k"
    )
  ]
}
