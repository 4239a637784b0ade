/**
 * `pnpm bench [--quick|--full] [--only B0,B7]`: every benchmark with its baseline measured in the same run.
 * `LASH_BENCH_GATES=1` turns a missed gate into a non-zero exit.
 */
import { cpus, platform, release } from "node:os"
import { b0a } from "./B0.js"
import { line, passes, type Result } from "./Stats.js"

const args = process.argv.slice(2)
const full = args.includes("--full")
const onlyArg = args.find((a) => a.startsWith("--only"))
const only = onlyArg === undefined ? undefined : (onlyArg.includes("=") ? onlyArg.split("=")[1]! : args[args.indexOf(onlyArg) + 1] ?? "").split(",")
const wants = (id: string) => only === undefined || only.some((o) => id.startsWith(o))

const main = async () => {
  const results: Array<Result> = []
  const report = (r: Result) => {
    results.push(r)
    console.log(line(r))
  }
  console.log(`lash bench (${full ? "full" : "quick"}) — ${cpus()[0]?.model ?? "cpu"} × ${cpus().length}, ${platform()} ${release()}, node ${process.version}`)
  const n = full ? 5000 : 2000
  const floor = { full: b0a("full", n), normal: b0a("normal", n) }
  if (wants("B0")) {
    console.log(`# SQLite ${floor.full.sqliteVersion}, WAL`)
    report(floor.full)
    report(floor.normal)
  }
  const missed = results.filter((r) => !passes(r))
  if (missed.length > 0) {
    console.log(`\n${missed.length} gate(s) missed: ${missed.map((r) => `${r.id} ${r.variant}`).join(", ")}`)
    if (process.env["LASH_BENCH_GATES"] === "1") process.exitCode = 1
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
