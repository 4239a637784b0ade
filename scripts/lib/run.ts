/**
 * Running commands from the workspace scripts: each command's output is captured (and shown when it fails), its
 * environment is the caller's minus the workspace-only resolution condition, and steps are timed.
 */
import { spawn } from "node:child_process"

/** The outcome of one command. */
export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** A command that failed, with what it printed. */
export class CommandFailed extends Error {
  constructor(readonly command: string, readonly result: RunResult) {
    super(
      `\`${command}\` exited with ${result.code ?? "a signal"}\n${
        [result.stdout.trim(), result.stderr.trim()].filter((s) => s !== "").join("\n").slice(-6000)
      }`
    )
  }
}

export interface RunOptions {
  readonly cwd: string
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Resolve instead of throwing when the command exits non-zero. */
  readonly allowFailure?: boolean
  /** Show the command's output as it runs (for long steps a developer watches). */
  readonly inherit?: boolean
  /**
   * A command for a project outside the workspace: the `npm_*` / `pnpm_*` variables the workspace's package manager
   * set for this script are removed, so they cannot change how that project installs or runs.
   */
  readonly outside?: boolean
}

/**
 * The environment handed to every command: `NODE_OPTIONS` loses `--conditions=@lash/source`, so a command run from
 * inside the workspace tooling (vitest sets it for child processes) resolves packages exactly as a user's would.
 */
export const cleanEnv = (
  extra: Readonly<Record<string, string | undefined>> = {},
  outside = false
): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  if (outside) {
    for (const key of Object.keys(env)) {
      if (/^(npm|pnpm)_/i.test(key) && !(key in extra)) delete env[key]
    }
  }
  const nodeOptions = (env.NODE_OPTIONS ?? "").split(/\s+/).filter((o) => o !== "" && !o.includes("@lash/source"))
  if (nodeOptions.length === 0) delete env.NODE_OPTIONS
  else env.NODE_OPTIONS = nodeOptions.join(" ")
  return env
}

/** Runs `command args...` and resolves with its output; rejects with `CommandFailed` unless `allowFailure`. */
export const run = (command: string, args: ReadonlyArray<string>, options: RunOptions): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env, options.outside === true),
      stdio: ["ignore", options.inherit === true ? "inherit" : "pipe", options.inherit === true ? "inherit" : "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => {
      const result = { code, stdout, stderr, ms: performance.now() - started }
      if (code === 0 || options.allowFailure === true) resolve(result)
      else reject(new CommandFailed([command, ...args].join(" "), result))
    })
  })

/** Runs `fn` as a named step, printing its duration; a failure is re-thrown with the step's name. */
export const step = async <A>(name: string, fn: () => Promise<A>): Promise<A> => {
  const started = performance.now()
  process.stdout.write(`• ${name} … `)
  try {
    const out = await fn()
    process.stdout.write(`ok (${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
    return out
  } catch (error) {
    process.stdout.write("FAILED\n")
    throw error
  }
}

/** Runs `tasks` with at most `limit` in flight (the machines this runs on have few cores). */
export const inParallel = async <A>(
  limit: number,
  tasks: ReadonlyArray<() => Promise<A>>
): Promise<ReadonlyArray<A>> => {
  const results: Array<A> = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++
      results[index] = await tasks[index]!()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  return results
}
