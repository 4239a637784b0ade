/**
 * B7, the Lashlang interpreter: the two programs of docs/lashlang.md, "Performance" (`loop5`, `list100k`) parsed, linked and executed
 * in process with `@lash/lashlang`, against the fixed Rust figures quoted there (whole process, median of 5).
 * Our figure is parse + link + execute of one program (no process start), median over `n` runs after a warm-up.
 */
import { execute, HostCatalog, type HostEnvironment, LashlangAbilities, link, parse, Value } from "@lash/lashlang"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { built, coldEnv } from "./ColdStart.js"
import { type Result, summarize } from "./Stats.js"

export const LOOP5 = `total = 0
i = 0
while i < 5000000 {
  total = total + i % 7
  i = i + 1
}
submit total
`

export const LIST100K = `xs = []
i = 0
while i < 100000 {
  xs = xs + [i * 2]
  i = i + 1
}
s = 0
for x in xs {
  s = s + x
}
submit s
`

/** The Rust reference figures of docs/lashlang.md, "Performance", in ms (fixed, not re-measured). */
export const RUST_MS = { loop5: 590, list100k: 64 } as const
/** In-process figures must stay within 1.5× the Rust ones (enforced under `LASH_BENCH_GATES=1`). */
const GATE = 1.5
const EXPECTED = { loop5: "14999995", list100k: "9999900000" } as const

const env: HostEnvironment = {
  catalog: HostCatalog.empty,
  abilities: LashlangAbilities.plain(LashlangAbilities.none),
  features: { labels: false },
  readOnlyBindings: {}
}

const host = { perform: () => Effect.succeed(null as Value.Value) }

/** Runs one program once; returns the submitted value as JSON text. */
export const runProgram = (source: string): string =>
  Effect.runSync(
    Effect.gen(function*() {
      const program = yield* parse(source)
      const linked = yield* link(program, env, { globals: new Map() })
      const outcome = yield* execute(linked, new Map(), host, { mode: "foreground", maxSteps: 1_000_000_000 })
      if (outcome._tag !== "Submitted") {
        throw new Error(
          `B7: expected Submitted, got ${outcome._tag}${outcome._tag === "Errored" ? `: ${outcome.error.message}` : ""}`
        )
      }
      return Value.toJsonText(outcome.value)
    })
  )

const child = (
  name: "loop5" | "list100k",
  capMs: number
): Promise<{ readonly ms?: number; readonly out?: string; readonly error?: string }> =>
  new Promise((resolve) => {
    // The cold child runs the built B7child.js with plain node, so @lash/lashlang loads from dist/ (ColdStart.ts).
    const proc = spawn(process.execPath, [built("B7child.js"), name], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: coldEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => proc.kill("SIGKILL"), capMs)
    proc.on("exit", (code) => {
      clearTimeout(timer)
      if (code === 0) {
        const parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { ms: number; out: string }
        resolve(parsed)
      } else {resolve({
          error: code === null
            ? `killed after the ${(capMs / 1000).toFixed(0)} s cap`
            : `exit ${code}: ${stderr.slice(0, 300)}`
        })}
    })
  })

/**
 * Runs each program `runs` times (after one warm-up run), each run in the same process. A program whose warm-up
 * run does not finish within `capMs` (run in a child process so it can be killed) is reported with the cap as a
 * lower bound and a MISS, instead of stalling the whole suite.
 */
export const b7 = async (runs: number, capMs: number): Promise<ReadonlyArray<Result>> => {
  const out: Array<Result> = []
  for (const name of ["loop5", "list100k"] as const) {
    const source = name === "loop5" ? LOOP5 : LIST100K
    const probe = await child(name, capMs)
    if (probe.error !== undefined || probe.ms === undefined) {
      out.push({
        id: "B7",
        variant: `lashlang/${name}`,
        unit: "ms",
        summary: { n: 0, p50: capMs, p95: capMs, p99: capMs, mean: capMs },
        baseline: `Rust ${RUST_MS[name]} ms`,
        ratio: capMs / RUST_MS[name],
        gate: { max: GATE },
        note: `did not finish: ${probe.error ?? "no figure"}; figures are lower bounds`
      })
      continue
    }
    if (probe.out !== EXPECTED[name]) throw new Error(`B7 ${name}: submitted ${probe.out}, expected ${EXPECTED[name]}`)
    const warm = runProgram(source)
    if (warm !== EXPECTED[name]) throw new Error(`B7 ${name}: submitted ${warm}, expected ${EXPECTED[name]}`)
    const samples: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint()
      const res = runProgram(source)
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (res !== EXPECTED[name]) throw new Error(`B7 ${name}: wrong result ${res}`)
    }
    const summary = summarize(samples)
    out.push({
      id: "B7",
      variant: `lashlang/${name}`,
      unit: "ms",
      summary,
      baseline: `Rust ${RUST_MS[name]} ms`,
      ratio: summary.p50 / RUST_MS[name],
      gate: { max: GATE },
      note: name === "loop5"
        ? `${
          (5_000_000 / summary.p50 / 1000).toFixed(2)
        } M iterations/s; parse+link+execute in process, after a warm-up`
        : `parse+link+execute in process, after a warm-up; cold child process ${probe.ms.toFixed(0)} ms`
    })
  }
  return out
}
