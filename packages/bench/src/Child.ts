/**
 * Runs a bench module in a fresh child process (`node [--expose-gc] --conditions=@lash/source --import tsx <module>
 * ...args`) and parses the last stdout line as JSON.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const runChild = <A>(
  module: string,
  args: ReadonlyArray<string>,
  options: { readonly exposeGc?: boolean; readonly capMs?: number } = {}
): Promise<A> =>
  new Promise((resolve, reject) => {
    const proc = spawn(
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
      { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] }
    )
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
