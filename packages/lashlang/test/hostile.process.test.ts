import { describe, expect, it } from "@effect/vitest"
import * as os from "node:os"
import { runCapped, twoAtATime } from "./hostile/cappedChild.js"
import { hostileCases } from "./hostile/cases.js"

// Each hostile program runs in its own Node process with a 512 MB heap cap, so a regression fails this test instead
// of killing the test runner. docs/lashlang.md, "Limits": a clear typed error (or the bounded result named in the
// case) within 2 s and 256 MB of memory above a trivial run, and the process survives. The 2 s bound is on the
// child's CPU time, and on its wall time scaled by how overloaded the machine is (other test files run beside it).

interface Report {
  readonly stage: string
  readonly kind: string
  readonly message: string
  readonly prints: ReadonlyArray<number>
  readonly ms: number
  readonly cpuMs: number
  readonly baselineMb: number
  readonly peakMb: number
}

/** Every case's run, two child processes at a time; each test awaits only its own. */
const reports = twoAtATime(
  hostileCases.map((_, i) => () =>
    runCapped(new URL("./hostile/child.ts", import.meta.url), [String(i)], new URL("..", import.meta.url), 60_000)
  )
)

describe("hostile programs, each in a child process with a 512 MB heap cap", () => {
  hostileCases.forEach((c, i) => {
    it(c.name, { timeout: 300_000 }, async () => {
      const r = await reports[i]!
      expect(r.code, `the child process died: ${r.err.slice(-1000)}`).toBe(0)
      const report = JSON.parse(r.out.trim().split("\n").pop()!) as Report
      if ("error" in c.expect) {
        expect(report.stage).toBe("runtime")
        expect(report.kind).toBe(c.expect.error)
        // On an overloaded machine the block's wall-clock deadline (10 s) can fire before the limit the case names;
        // that is the same kind of clear error, and the CPU bound below still holds the program to its budget.
        const deadlineFirst = report.ms >= 10_000 && /^execution timed out/.test(report.message)
        if (deadlineFirst) expect(report.kind).toBe("LimitExceeded")
        else if (typeof c.expect.message === "string") expect(report.message).toBe(c.expect.message)
        else expect(report.message).toMatch(c.expect.message)
      } else {
        expect(report.kind).toBe(c.expect.outcome)
        if (c.expect.value !== undefined) expect(report.message).toBe(c.expect.value)
        if (c.expect.printed !== undefined) expect(report.prints).toEqual(c.expect.printed)
      }
      expect(report.cpuMs).toBeLessThan(2000)
      expect(report.ms).toBeLessThan(2000 * Math.max(1, os.loadavg()[0]! / os.cpus().length))
      expect(report.peakMb - report.baselineMb).toBeLessThan(256)
    })
  })
})
