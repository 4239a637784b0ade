/**
 * The child processes of the hostile suites (this package's `hostile.process.test.ts` and core's
 * `containment/hostileTurns.test.ts`): a TypeScript file run by Node with a 512 MB heap cap, so a regression fails
 * the test instead of killing the runner, and started two at a time (the machine has two cores).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** What a child printed and how it ended. */
export interface ChildRun {
  readonly code: number | null
  readonly out: string
  readonly err: string
}

/** Runs `script` with `args` under `--max-old-space-size=512` in `cwd`; killed after `capMs`. */
export const runCapped = (script: URL, args: ReadonlyArray<string>, cwd: URL, capMs: number): Promise<ChildRun> =>
  new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      ["--max-old-space-size=512", "--import", "tsx", fileURLToPath(script), ...args],
      { cwd: fileURLToPath(cwd), stdio: ["ignore", "pipe", "pipe"] }
    )
    let out = ""
    let err = ""
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()))
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()))
    const cap = setTimeout(() => proc.kill("SIGKILL"), capMs)
    proc.on("exit", (code) => {
      clearTimeout(cap)
      resolve({ code, out, err })
    })
  })

/**
 * Starts every run, two at a time, and gives one promise per run: each test awaits only its own child, so a test's
 * timeout never covers the children of the tests before it (on a loaded machine they add up).
 */
export const twoAtATime = (runs: ReadonlyArray<() => Promise<ChildRun>>): ReadonlyArray<Promise<ChildRun>> => {
  const waiting: Array<() => void> = []
  let free = 2
  const slot = () => new Promise<void>((resolve) => (free > 0 ? (free--, resolve()) : waiting.push(resolve)))
  const release = () => {
    const next = waiting.shift()
    if (next === undefined) free++
    else next()
  }
  return runs.map((run) => slot().then(() => run().finally(release)))
}
