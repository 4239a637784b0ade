/**
 * Child OS processes for crash and multi-worker tests (`@lash/testing/processes`): a backend's test starts workers
 * as real processes, reads what they print line by line, and SIGKILLs one mid-run to prove that a killed process
 * loses nothing that was committed. The scope owns each child: one still alive when the scope closes is SIGKILLed,
 * so a failing test never leaves workers behind.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"

/**
 * A running child and what it printed so far: `lines` are complete stdout lines (a trailing partial line joins them
 * once its newline arrives), `stderr` the raw stderr chunks.
 *
 * @since 0.1.0
 */
export interface ChildHandle {
  readonly child: ChildProcess
  readonly lines: Array<string>
  readonly stderr: Array<string>
}

/**
 * How to start a child: `node [...nodeArgs] --import tsx <script> ...args` (a TypeScript script runs as is).
 *
 * @since 0.1.0
 */
export interface ChildOptions {
  readonly script: string
  readonly args?: ReadonlyArray<string>
  readonly cwd?: string
  /** Added to this process's environment. */
  readonly env?: Record<string, string>
  /** Arguments to node before `--import tsx` (e.g. `--conditions=...`, `--expose-gc`). */
  readonly nodeArgs?: ReadonlyArray<string>
  /** Called with each complete stdout line as it arrives (after it joined `lines`). */
  readonly onLine?: (line: string) => void
  /** Called with every stdout and stderr chunk (e.g. to copy the output to a log file). */
  readonly onChunk?: (chunk: Buffer) => void
  /** Keep stdin open for the test to write to (`child.stdin`); by default it is closed at once. */
  readonly keepStdin?: boolean
}

/**
 * Starts a child with stdout and stderr collected; the child is SIGKILLed when the scope closes if it is still
 * running.
 *
 * @since 0.1.0
 */
export const spawnChild = (options: ChildOptions): Effect.Effect<ChildHandle, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync((): ChildHandle => {
      const child = spawn(
        process.execPath,
        [...(options.nodeArgs ?? []), "--import=tsx", options.script, ...(options.args ?? [])],
        {
          ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
          stdio: ["pipe", "pipe", "pipe"],
          env: { ...process.env, ...options.env }
        }
      )
      if (options.keepStdin !== true) child.stdin!.end()
      const lines: Array<string> = []
      const stderr: Array<string> = []
      let partial = ""
      child.stdout!.on("data", (chunk: Buffer) => {
        options.onChunk?.(chunk)
        const parts = (partial + chunk.toString()).split("\n")
        partial = parts.pop() ?? ""
        for (const line of parts) {
          lines.push(line)
          options.onLine?.(line)
        }
      })
      child.stderr!.on("data", (chunk: Buffer) => {
        options.onChunk?.(chunk)
        stderr.push(chunk.toString())
      })
      return { child, lines, stderr }
    }),
    (handle) => Effect.sync(() => void (isRunning(handle) && handle.child.kill("SIGKILL")))
  )

/**
 * True while the child has neither exited nor been ended by a signal.
 *
 * @since 0.1.0
 */
export const isRunning = (handle: ChildHandle): boolean =>
  handle.child.exitCode === null && handle.child.signalCode === null

/**
 * SIGKILLs the child and waits until it is gone (at once if it already is).
 *
 * @since 0.1.0
 */
export const killChild = (handle: ChildHandle): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (!isRunning(handle)) return resume(Effect.void)
    handle.child.once("exit", () => resume(Effect.void))
    handle.child.kill("SIGKILL")
  })

/**
 * Waits until `check` holds, polling every `everyMs`; dies naming `what` past `timeoutMs`, or at once when a child
 * of `watched` exited with a non-zero code (with its stderr).
 *
 * @since 0.1.0
 */
export const waitForChildren = (
  what: string,
  check: () => boolean,
  options: { readonly timeoutMs: number; readonly everyMs?: number; readonly watched?: ReadonlyArray<ChildHandle> }
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const every = options.everyMs ?? 20
    for (let waited = 0; waited < options.timeoutMs; waited += every) {
      if (check()) return
      const failed = (options.watched ?? []).find((h) => h.child.exitCode !== null && h.child.exitCode !== 0)
      if (failed !== undefined) {
        return yield* Effect.dieMessage(
          `a child exited with code ${failed.child.exitCode} while waiting for ${what}: ${failed.stderr.join("")}`
        )
      }
      yield* Effect.sleep(every)
    }
    return yield* Effect.dieMessage(`timed out waiting for ${what}`)
  })
