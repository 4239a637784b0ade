/**
 * `pnpm bench [--quick|--full] [--only B0,B7] [--write-docs]`: every benchmark with its baseline measured in the
 * same run. `LASH_BENCH_GATES=1` turns a missed (enforced) gate into a non-zero exit; `--write-docs` regenerates
 * `docs/performance.md` from this run.
 */
import { execSync } from "node:child_process"
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os"
import { amplification, amplificationResult } from "./Amplification.js"
import { b0a, b0b, openFloor } from "./B0.js"
import { b0c } from "./B0c.js"
import { b0d, recordB2 } from "./B0d.js"
import { b1, b1On } from "./B1.js"
import { b10 } from "./B10.js"
import { b1Report } from "./B1Report.js"
import { b2, b2On } from "./B2.js"
import { b3 } from "./B3.js"
import { b4 } from "./B4.js"
import { b5 } from "./B5.js"
import { b6 } from "./B6.js"
import { b7 } from "./B7.js"
import { b8 } from "./B8.js"
import { b9 } from "./B9.js"
import { writeDocs } from "./Docs.js"
import { type PairedBaseline, pairedResult, pairWithFloor } from "./Paired.js"
import { b0pg, pgStorage, probePg } from "./Postgres.js"
import { profile, profileLine, type ProfileReport } from "./Profile.js"
import { writeResults } from "./Results.js"
import { enforced, line, passes, type Result } from "./Stats.js"

const args = process.argv.slice(2)
const full = args.includes("--full")
const writeDocsFlag = args.includes("--write-docs")
// --write-docs implies --profile: the committed report explains its misses with the profile of the same run.
const profileFlag = args.includes("--profile") || writeDocsFlag
const onlyArg = args.find((a) => a.startsWith("--only"))
const only = onlyArg === undefined
  ? undefined
  : (onlyArg.includes("=") ? onlyArg.split("=")[1]! : args[args.indexOf(onlyArg) + 1] ?? "").split(",")
const wants = (id: string) => only === undefined || only.some((o) => id.startsWith(o))

/** Samples per round of B2's paired B0a gate (Paired.ts): each round is followed by as many B0a commits. */
const B2_ROUND = 20

/** The baseline of the paired gates in this file. */
const B0A: PairedBaseline = { name: "B0a", samples: "B0a commits" }

const fsType = (dir: string): string => {
  try {
    return execSync(`stat -f -c %T ${JSON.stringify(dir)}`, { encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

const main = async () => {
  const started = Date.now()
  const results: Array<Result> = []
  const notes: Array<string> = []
  const report = (r: Result) => {
    results.push(r)
    console.log(line(r))
  }
  const say = (s: string) => {
    notes.push(s)
    console.log(s)
  }
  const cpu = cpus()[0]?.model ?? "cpu"
  const load = loadavg()[0] ?? 0
  const env = {
    mode: full ? "full" : "quick",
    cpu,
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    fs: `${fsType(tmpdir())} (${tmpdir()})`,
    node: process.version,
    sqlite: "",
    loadavg1: load.toFixed(2),
    date: new Date().toISOString()
  }
  console.log(
    `lash bench (${env.mode}) — ${cpu} × ${env.cores}, ${env.os}, node ${env.node}, fs ${env.fs}, load ${env.loadavg1}`
  )
  const n = full ? 5000 : 2000

  // B0: the floors every other ratio is taken against (always measured: they are the baselines).
  const floor = { full: b0a("full", n), normal: b0a("normal", n) }
  env.sqlite = floor.full.sqliteVersion
  console.log(
    `# SQLite ${floor.full.sqliteVersion}, journal_mode WAL, busy_timeout 10000 (lash default), synchronous per line`
  )
  const needsB0b = wants("B0") || wants("B1")
  const driver = needsB0b ? { full: await b0b("full", n), normal: await b0b("normal", n) } : undefined
  const rows = needsB0b ? { full: await b0c("full", n), normal: await b0c("normal", n) } : undefined
  if (wants("B0")) {
    report(floor.full)
    report(floor.normal)
    if (driver !== undefined) {
      report({ ...driver.full, baseline: "B0a", ratio: driver.full.summary.p50 / floor.full.summary.p50 })
      report({ ...driver.normal, baseline: "B0a", ratio: driver.normal.summary.p50 / floor.normal.summary.p50 })
    }
    if (rows !== undefined) {
      report({
        ...rows.full,
        baseline: "B0a",
        ratio: rows.full.summary.p50 / floor.full.summary.p50,
        note: "B1's statements and rows, raw better-sqlite3: the floor of the B1 workload itself"
      })
      report({ ...rows.normal, baseline: "B0a", ratio: rows.normal.summary.p50 / floor.normal.summary.p50 })
    }
  }

  // Postgres: B0pg is the floor of B1 and B2 on Postgres; the server is asked once (Postgres.ts).
  const pg = wants("B0") || wants("B1") || wants("B2") || wants("B6") ? await probePg() : undefined
  if (pg !== undefined) {
    say(
      pg.available
        ? `# Postgres ${pg.version} (synchronous_commit ${pg.synchronousCommit}, fsync ${pg.fsync}) for B0pg, B1/B2 postgres and B6`
        : `B0pg, B1/B2 postgres and B6 skipped: ${pg.reason}`
    )
  }
  const pgFloor = pg?.available === true && (wants("B0") || wants("B1") || wants("B2")) ? await b0pg(n) : undefined
  if (pgFloor !== undefined && wants("B0")) {
    report({ ...pgFloor, note: "raw pg: BEGIN; INSERT 512 B; COMMIT on one connection (B0a's shape on Postgres)" })
  }

  if (wants("B1")) {
    for (const r of await b1Report({ n, floor, driver, rows })) report(r)
    // Context for the FULL gates above: what an fsync does to the code that runs right after it (Amplification.ts).
    report(amplificationResult(await amplification(full ? 2000 : 500, 200)))
  }

  if (wants("B1") && pgFloor !== undefined) {
    const s = await b1On(pgStorage(), n)
    report({
      id: "B1",
      variant: "postgres",
      unit: "ms",
      summary: s,
      baseline: "B0pg",
      ratio: s.p50 / pgFloor.summary.p50,
      note: `the same commit on PostgresBackend (fresh schema, default pool); CPU ${
        (1000 * s.cpuMsPerCommit).toFixed(0)
      } µs/commit in this process`
    })
  }

  if (wants("B2")) {
    const seqN = full ? 500 : 200
    const batches = full ? 20 : 8
    const pairedFloor = openFloor("full", 200)
    const r = await b2("full", seqN, batches, pairWithFloor(pairedFloor, B2_ROUND)).finally(pairedFloor.close)
    report({
      id: "B2",
      variant: "sqlite/full sequential",
      unit: "ms",
      summary: r.sequential,
      baseline: "B0a",
      ratio: r.sequential.p50 / floor.full.summary.p50,
      note: `start → await of a tool_call echo process; exactly-once checked over ${r.processes} processes`
    })
    if (r.paired !== undefined) {
      report(
        pairedResult({
          id: "B2",
          variant: "sqlite/full sequential",
          baseline: B0A,
          ratios: r.paired,
          max: 8,
          round: B2_ROUND,
          what: "processes"
        })
      )
    }
    report({
      id: "B2",
      variant: "sqlite/full 16 concurrent",
      unit: "ms/process",
      summary: r.concurrent16,
      baseline: "B0a",
      ratio: r.concurrent16.p50 / floor.full.summary.p50,
      note: "batch wall time / 16"
    })
    const rn = await b2("normal", seqN, batches)
    report({
      id: "B2",
      variant: "sqlite/normal sequential",
      unit: "ms",
      summary: rn.sequential,
      baseline: "B0a",
      ratio: rn.sequential.p50 / floor.normal.summary.p50,
      note: "CPU-bound: ratio to a NORMAL commit"
    })
    // B0d: the same processes' write units replayed raw (recorded from a B2 run of its own, after its warm-up).
    const units = await recordB2(seqN)
    for (const [sync, b2Run] of [["full", r], ["normal", rn]] as const) {
      const rowsRaw = await b0d(units, sync, Math.min(50, seqN))
      report({
        ...rowsRaw,
        baseline: "B0a",
        ratio: rowsRaw.summary.p50 / floor[sync].summary.p50,
        note:
          `B2's write units (${rowsRaw.unitsPerProcess} per process) with the statements and values the engine ran, replayed through raw better-sqlite3: the floor of the B2 workload itself`
      })
      report({
        id: "B2",
        variant: `sqlite/${sync} sequential vs same rows raw`,
        unit: "ms",
        summary: b2Run.sequential,
        baseline: "B0d",
        ratio: b2Run.sequential.p50 / rowsRaw.summary.p50,
        note: `lash's whole cost over writing a process's rows by hand: ${
          (b2Run.sequential.p50 - rowsRaw.summary.p50).toFixed(2)
        } ms p50 per process`
      })
    }
  }

  if (wants("B2") && pgFloor !== undefined) {
    const r = await b2On(pgStorage(), full ? 500 : 200, full ? 20 : 8)
    report({
      id: "B2",
      variant: "postgres sequential",
      unit: "ms",
      summary: r.sequential,
      baseline: "B0pg",
      ratio: r.sequential.p50 / pgFloor.summary.p50,
      note:
        `start → await on PostgresBackend (notify on, in-process worker); exactly-once checked over ${r.processes} processes`
    })
    report({
      id: "B2",
      variant: "postgres 16 concurrent",
      unit: "ms/process",
      summary: r.concurrent16,
      baseline: "B0pg",
      ratio: r.concurrent16.p50 / pgFloor.summary.p50,
      note: "batch wall time / 16"
    })
  }

  if (wants("B3")) {
    const en = full ? 1000 : 200
    for (const running of [false, true]) {
      for (const subs of [1, 8]) {
        const s = await b3("full", subs, running, en)
        report({
          id: "B3",
          variant: `sqlite/full ${subs} sub${subs > 1 ? "s" : ""} ${running ? "running" : "paused"}`,
          unit: "ms/emit",
          summary: s,
          baseline: "B0a commits/s",
          ratio: floor.full.summary.p50 / s.p50,
          ...(subs === 1 && !running ? { gate: { min: 0.25, enforced: false } } : {}),
          note: `${(1000 / s.p50).toFixed(0)} emits/s vs ${(1000 / floor.full.summary.p50).toFixed(0)} commits/s (p50s)`
        })
      }
    }
  }

  if (wants("B4")) {
    const sizes = full ? [100, 1000, 10_000, 100_000] : [100, 1000, 10_000]
    const { pairedRatio, points } = await b4(sizes, full ? 25 : 15)
    const first = points[0]!
    const last = points[points.length - 1]!
    for (const p of points) {
      report({
        id: "B4",
        variant: `sqlite/full reopen ${p.turns} turns`,
        unit: "ms",
        summary: p.open,
        baseline: `t(${first.turns})`,
        ratio: p.open.p50 / first.open.p50,
        note:
          `openSession → readView in a fresh process (page cache warm, open path JIT-warmed on another session); min ${
            p.openMin.toFixed(1)
          } ms (ratio of mins ${(p.openMin / first.openMin).toFixed(2)}); full load p50 ${
            p.load.p50.toFixed(1)
          } ms; backend+core layer p50 ${p.layer.p50.toFixed(1)} ms`
      })
    }
    report({
      id: "B4",
      variant: `sqlite/full reopen ${last.turns}/${first.turns} turns, paired`,
      unit: "ratio",
      summary: pairedRatio,
      baseline: `t(${first.turns}) same round`,
      ratio: pairedRatio.p50,
      gate: { max: 2 },
      note: `median over ${pairedRatio.n} rounds of t(${last.turns}) / t(${first.turns}) measured in one child`
    })
  }

  if (wants("B5")) {
    const sessions = full ? 1000 : 100
    const points = await b5(sessions, [50, 500])
    for (const p of points) {
      report({
        id: "B5",
        variant: `sqlite idle session ${p.turns} turns`,
        unit: "KiB",
        summary: {
          n: sessions,
          p50: p.bytesPerSession / 1024,
          p95: p.bytesPerSession / 1024,
          p99: p.bytesPerSession / 1024,
          mean: p.bytesPerSession / 1024
        },
        baseline: `persisted JSON ${(p.jsonBytesPerSession / 1024).toFixed(1)} KiB`,
        ratio: p.bytesPerSession / p.jsonBytesPerSession,
        gate: { max: 1.5 },
        note: `(heapUsed+external) delta / ${sessions} sessions after gc; opening all took ${p.openMs.toFixed(0)} ms`
      })
    }
    const [a, b] = points
    if (a !== undefined && b !== undefined) {
      const one = (v: number) => ({ n: sessions, p50: v, p95: v, p99: v, mean: v })
      report({
        id: "B5",
        variant: "growth 500/50 turns",
        unit: "KiB",
        summary: one(b.bytesPerSession / 1024),
        baseline: "B5 50 turns",
        ratio: b.bytesPerSession / a.bytesPerSession,
        gate: { max: 1.5 },
        note: "idle memory must not grow with history (an open session holds at most 128 active-path nodes)"
      })
      report({
        id: "B5",
        variant: "leak after close",
        unit: "MiB",
        summary: one(b.afterClose / 2 ** 20),
        baseline: "before open",
        ratio: b.afterClose / b.beforeOpen,
        gate: { max: 1.1, enforced: false },
        note: "heap after closing the core vs before opening (500-turn run)"
      })
    }
  }

  if (wants("B6") && pg?.available === true) {
    const processes = full ? 2000 : 400
    say(`# B6: ${processes} processes per configuration${full ? "" : " (quick; --full runs the issue's 2,000)"}`)
    await b6(processes, report)
  }

  if (wants("B7")) { for (const r of await b7(full ? 5 : 3, full ? 600_000 : 15_000)) report(r) }
  if (wants("B9")) { for (const r of await b9(full ? 30 : 10)) report(r) }
  // Not a prefix match: `--only B1` must not run B10.
  if (only === undefined || only.includes("B10")) { for (const r of await b10(full ? 400 : 60)) report(r) }

  if (wants("B8")) {
    const floorFull = floor.full.summary.p50
    for (const entry of await b8({ n: full ? 2000 : 500, full, floorFullP50: floorFull })) {
      if (typeof entry === "string") say(entry)
      else report(entry)
    }
  }

  const profiles: Array<ProfileReport> = []
  if (profileFlag) {
    console.log("# profiles: the same benchmarks again under the V8 sampling profiler (shares of sampled CPU time)")
    const runs: ReadonlyArray<readonly [string, () => Promise<unknown>]> = [
      ["B1 sqlite/full", () => b1("full", n)],
      ["B1 sqlite/normal", () => b1("normal", n)],
      ["B2 sqlite/full sequential", () => b2("full", full ? 500 : 200, 0)]
    ]
    for (const [label, run] of runs) {
      if (!wants(label.split(" ")[0]!)) continue
      const p = await profile(label, run)
      profiles.push(p)
      console.log(profileLine(p))
      for (const t of p.top.slice(0, 5)) console.log(`P   ${(100 * t.share).toFixed(1)}% ${t.frame}`)
    }
  }

  const missed = results.filter((r) => !passes(r))
  const hard = missed.filter(enforced)
  console.log(
    `\n${results.length} figures in ${((Date.now() - started) / 1000).toFixed(0)} s; ${missed.length} gate(s) missed${
      missed.length > 0
        ? `: ${missed.map((r) => `${r.id} ${r.variant}${enforced(r) ? "" : " (reported)"}`).join(", ")}`
        : ""
    }`
  )
  console.log(`wrote ${writeResults({ env, results, notes, profiles })}`)
  if (writeDocsFlag) {
    const path = writeDocs({ env, results, notes, profiles, command: `pnpm bench ${args.join(" ")}`.trim() })
    console.log(`wrote ${path}`)
  }
  if (hard.length > 0 && process.env["LASH_BENCH_GATES"] === "1") process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
