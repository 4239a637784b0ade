/**
 * Runs the BUILT `lash` executable (packages/cli/dist/bin.js) as a child process. `build()` compiles it and the
 * packages it imports (`tsc -b`, incremental); the tests call it once before spawning.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
export const packageDir = path.resolve(here, "..")
export const repositoryRoot = path.resolve(packageDir, "..", "..")
export const bin = path.join(packageDir, "dist", "bin.js")

const tsc = (): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    execFile(
      path.join(repositoryRoot, "node_modules", ".bin", "tsc"),
      ["-b", path.join(packageDir, "tsconfig.build.json")],
      { cwd: repositoryRoot, encoding: "utf8", timeout: 540_000 },
      (error, stdout, stderr) => (error === null ? resolve() : reject(new Error(`tsc -b failed:\n${stdout}${stderr}`)))
    )
  })

/** One build at a time across the test files of a run (each is its own worker): `mkdir` is the lock. */
const lock = path.join(
  os.tmpdir(),
  `lash-cli-build-${createHash("sha256").update(repositoryRoot).digest("hex").slice(0, 12)}`
)
const STALE_LOCK_MS = 600_000

/**
 * Builds the CLI and its workspace dependencies (outputs in each package's dist/), one test file at a time (`tsc -b`
 * is incremental: after the first, the others find nothing to do). Asynchronous: a build that blocked the test worker
 * for a minute made vitest's worker RPC time out ("Timeout calling onTaskUpdate").
 */
export const build = async (): Promise<void> => {
  for (;;) {
    try {
      fs.mkdirSync(lock)
      break
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > STALE_LOCK_MS) fs.rmSync(lock, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  try {
    await tsc()
  } finally {
    fs.rmSync(lock, { recursive: true, force: true })
  }
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
