/**
 * Runs the BUILT `lash` executable (packages/cli/dist/bin.js) as a child process. `build()` compiles it and the
 * packages it imports (`tsc -b`, incremental); the tests call it once before spawning.
 */
import { execFile, execFileSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
export const packageDir = path.resolve(here, "..")
export const repositoryRoot = path.resolve(packageDir, "..", "..")
export const bin = path.join(packageDir, "dist", "bin.js")

/** Builds the CLI and its workspace dependencies (outputs in each package's dist/). */
export const build = () => {
  const tsc = path.join(repositoryRoot, "node_modules", ".bin", "tsc")
  execFileSync(tsc, ["-b", path.join(packageDir, "tsconfig.build.json")], { cwd: repositoryRoot, stdio: "inherit" })
}

export interface LashResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `lash ...args`. The child gets the test's environment without NODE_OPTIONS (vitest's source condition would
 * point it at TypeScript sources) and without LASH_STORE unless given, plus NO_COLOR.
 */
export const lash = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) =>
  new Promise<LashResult>((resolve, reject) => {
    const { NODE_OPTIONS: _options, LASH_STORE: _store, FORCE_COLOR: _color, ...inherited } = process.env
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...inherited, NO_COLOR: "1", ...env }, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") return reject(error)
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr })
      }
    )
  })

/** Parses stdout as JSON, with the output in the error when it is not. */
export const json = <A = any>(result: LashResult): A => {
  try {
    return JSON.parse(result.stdout) as A
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
}
