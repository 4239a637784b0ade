import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
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

const child = (index: number): Promise<{ readonly code: number | null; readonly out: string; readonly err: string }> =>
  new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [
        "--max-old-space-size=512",
        "--import",
        "tsx",
        fileURLToPath(new URL("./hostile/child.ts", import.meta.url)),
        String(index)
      ],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] }
    )
    let out = ""
    let err = ""
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()))
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()))
    const cap = setTimeout(() => proc.kill("SIGKILL"), 60_000)
    proc.on("exit", (code) => {
      clearTimeout(cap)
      resolve({ code, out, err })
    })
  })

/**
 * Starts every case, two child processes at a time (the machine has two cores). Each test awaits only its own child,
 * so a test's timeout never covers the children of the cases before it (on a loaded machine they add up).
 */
type ChildResult = { readonly code: number | null; readonly out: string; readonly err: string }
const reports: ReadonlyArray<Promise<ChildResult>> = (() => {
  const resolvers: Array<(result: ChildResult) => void> = []
  const promises = hostileCases.map(() => new Promise<ChildResult>((resolve) => resolvers.push(resolve)))
  let next = 0
  const worker = async () => {
    while (next < hostileCases.length) {
      const i = next++
      resolvers[i]!(await child(i))
    }
  }
  void Promise.all([worker(), worker()])
  return promises
})()

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
