/**
 * Whole-process timing for the cold-start figures (B9, and B7's cold child): spawn `node` with some arguments and
 * measure from spawn to exit, the way a user's shell or a serverless platform sees it. The child runs plain `node`
 * with the caller's environment minus any `@lash/source` condition, so it loads the built `dist/` of every package.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { summarize, type Summary } from "./Stats.js"

/** The built file of a bench module (`packages/bench/dist/...`, from `tsc -b tsconfig.cold.json`). */
export const built = (relative: string): string => fileURLToPath(new URL(`../dist/${relative}`, import.meta.url))

/** The environment of a cold child: no source condition, so packages resolve to their `dist/`. */
export const coldEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  const options = (env.NODE_OPTIONS ?? "").split(/\s+/).filter((o) => o !== "" && !o.includes("@lash/source"))
  if (options.length === 0) delete env.NODE_OPTIONS
  else env.NODE_OPTIONS = options.join(" ")
  return env
}

/** One run: wall-clock ms from spawn to exit, and what the child printed. Rejects on a non-zero exit. */
export const timeProcess = (
  args: ReadonlyArray<string>
): Promise<{ readonly ms: number; readonly stdout: string }> =>
  new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, args, {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: coldEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", reject)
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (code === 0) resolve({ ms, stdout })
      else reject(new Error(`node ${args.join(" ")}: exit ${code}\n${stderr.slice(-1500)}`))
    })
  })

/**
 * `runs` measured runs after `warmup` unmeasured ones (the first run of a file pays for the page cache, which a
 * deployed app has warm), alternating nothing: each figure is measured in its own block. `check` validates the
 * output of every run.
 */
export const timeProcesses = async (
  args: ReadonlyArray<string>,
  runs: number,
  warmup: number,
  check: (stdout: string) => boolean = () => true
): Promise<Summary> => {
  const samples: Array<number> = []
  for (let i = 0; i < warmup + runs; i++) {
    const { ms, stdout } = await timeProcess(args)
    if (!check(stdout)) throw new Error(`node ${args.join(" ")}: unexpected output ${stdout.slice(0, 300)}`)
    if (i >= warmup) samples.push(ms)
  }
  return summarize(samples)
}
