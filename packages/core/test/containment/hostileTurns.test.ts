/**
 * Hostile Lashlang in real RLM turns (issue 20, "Done when"; docs/lashlang.md, "Limits"): every program the issue
 * lists (the `representative` hostile cases), as the block of a turn on the memory and the SQLite backend, each in
 * its own Node process with a 512 MB heap cap so a regression fails this test instead of killing the runner. Each
 * must end with the clear error the case names going back to the model (or with its bounded result), the turn
 * going on to commit, within 2 s of CPU time (and of wall time scaled by the machine's load) and 256 MB of memory
 * above a trivial turn; the process survives, the hostile session's committed state reopens and runs, and a
 * bystander session's turns before and after succeed. The child is `hostileTurn.child.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as os from "node:os"
import { runCapped, twoAtATime } from "../../../lashlang/test/hostile/cappedChild.js"
import { hostileCases } from "../../../lashlang/test/hostile/cases.js"

interface Report {
  readonly before: unknown
  readonly after: unknown
  readonly again: unknown
  readonly submitted: string
  readonly feedback: string
  readonly transcript: string
  readonly ms: number
  readonly cpuMs: number
  readonly baselineMb: number
  readonly peakMb: number
}

const cases = hostileCases.flatMap((c, index) =>
  c.representative === true ? (["memory", "sqlite"] as const).map((backend) => ({ c, index, backend })) : []
)

/** Every case's run, two child processes at a time; each test awaits only its own. */
const runs = twoAtATime(
  cases.map(({ backend, index }) => () =>
    runCapped(
      new URL("./hostileTurn.child.ts", import.meta.url),
      [String(index), backend],
      new URL(".", import.meta.url),
      120_000
    )
  )
)

/**
 * The CPU bound: 2 s. On a machine loaded past twice its cores (other test files, other jobs), CPU time itself
 * inflates with contention (measured: about +50% at a load of 35 on 2 cores), so the bound is then 3 s.
 */
const cpuBoundMs = () => (os.loadavg()[0]! > 2 * os.cpus().length ? 3000 : 2000)

describe("hostile Lashlang in RLM turns, each in a child process with a 512 MB heap cap, next to a bystander", () => {
  cases.forEach(({ backend, c }, i) => {
    it(`${backend}: ${c.name}`, { timeout: 300_000 }, async () => {
      const r = await runs[i]!
      expect(r.code, `the child process died: ${r.err.slice(-2000)}`).toBe(0)
      const report = JSON.parse(r.out.trim().split("\n").pop()!) as Report
      expect([report.before, report.after, report.again]).toEqual(["before", "after", "still here"])
      if ("error" in c.expect) {
        // The block's error went back to the model as the next request's feedback, and the turn went on.
        expect(report.submitted).toBe("\"recovered\"")
        expect(report.feedback).toContain(
          c.name.startsWith("sleeps")
            ? "too much sleep in one block (limit 100 ms in total)"
            : typeof c.expect.message === "string"
            ? c.expect.message
            : c.expect.message.source
        )
      } else {
        expect(report.submitted).toBe(c.expect.value)
        if (c.expect.printed !== undefined) {
          expect(report.transcript).toMatch(/output truncated|characters of output omitted|history\[\d+\]/)
        }
      }
      expect(report.cpuMs).toBeLessThan(cpuBoundMs())
      expect(report.ms).toBeLessThan(2000 * Math.max(1, os.loadavg()[0]! / os.cpus().length))
      expect(report.peakMb - report.baselineMb).toBeLessThan(256)
    })
  })
})
