/**
 * Bench child processes: `node [--expose-gc] --conditions=@lash/source --import tsx <module> ...args`, in the bench
 * package's directory. `runChild` runs one to its end and parses its last stdout line as JSON; `spawnChild` starts one
 * the caller talks to (B6's workers).
 */
import { type ChildProcessByStdio, spawn } from "node:child_process"
import type { Readable, Writable } from "node:stream"
import { fileURLToPath } from "node:url"

/** Starts `module` (a file of this directory) with stdin, stdout and stderr piped. */
export const spawnChild = (
  module: string,
  args: ReadonlyArray<string>,
  options: { readonly exposeGc?: boolean } = {}
): ChildProcessByStdio<Writable, Readable, Readable> =>
  spawn(
    process.execPath,
    [
      ...(options.exposeGc === true ? ["--expose-gc"] : []),
      // the workspace packages' sources, as in the parent (see vitest.config.ts)
      "--conditions=@lash/source",
      "--import",
      "tsx",
      fileURLToPath(new URL(`./${module}`, import.meta.url)),
      ...args
    ],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["pipe", "pipe", "pipe"] }
  )

export const runChild = <A>(
  module: string,
  args: ReadonlyArray<string>,
  options: { readonly exposeGc?: boolean; readonly capMs?: number } = {}
): Promise<A> =>
  new Promise((resolve, reject) => {
    const proc = spawnChild(module, args, options)
    proc.stdin.end()
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = options.capMs === undefined ? undefined : setTimeout(() => proc.kill("SIGKILL"), options.capMs)
    proc.on("exit", (code) => {
      if (timer !== undefined) clearTimeout(timer)
      if (code !== 0) {
        return reject(
          new Error(
            `${module} ${args.join(" ")}: ${code === null ? "killed (cap)" : `exit ${code}`}\n${stderr.slice(-2000)}`
          )
        )
      }
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as A)
      } catch (e) {
        reject(new Error(`${module}: bad output ${stdout.slice(-500)} ${String(e)}`))
      }
    })
  })
