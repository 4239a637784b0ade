/**
 * Child process of `hostile.process.test.ts`: runs one hostile program (by index into `hostileCases`) against the
 * conformance fixture host, after a trivial program, and prints one JSON line: how it ended, its wall time and the
 * process's peak memory before and after.
 */
import { Effect } from "effect"
import { run, submitted } from "../fixture.js"
import { hostileCases } from "./cases.js"

const peakMb = () => process.resourceUsage().maxRSS / 1024

const main = Effect.gen(function*() {
  const index = Number(process.argv[2])
  const c = hostileCases[index]
  if (c === undefined) throw new Error(`no hostile case ${process.argv[2]}`)
  // The baseline: a trivial run, so the comparison excludes start-up and the interpreter's own code.
  yield* run("x = [1, 2, 3]\nsubmit len(x)")
  const baselineMb = peakMb()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const r = yield* Effect.either(run(c.source))
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const report = r._tag === "Left"
    ? { stage: "compile", kind: r.left.kind, message: r.left.message, prints: [] as Array<number> }
    : {
      stage: r.right.outcome._tag === "Errored" ? "runtime" : "finished",
      kind: r.right.outcome._tag === "Errored" ? r.right.outcome.error.kind : r.right.outcome._tag,
      message: r.right.outcome._tag === "Errored" ? r.right.outcome.error.message : submitted(r.right),
      prints: r.right.prints.map((p) => p.length)
    }
  return { ...report, ms, cpuMs, baselineMb, peakMb: peakMb() }
})

Effect.runPromise(main).then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.error(e)
    process.exit(3)
  }
)
