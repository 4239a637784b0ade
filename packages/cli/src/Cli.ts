/**
 * The `lash` command: its subcommands, and `run`, which turns every way a command can end into one line on standard
 * error and an exit code (`ExitCode`; docs/operations.md, "Exit codes").
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import { Cause, Effect, Logger, LogLevel } from "effect"
import { createRequire } from "node:module"
import { CliError, ExitCode } from "./CliError.js"
import { processes } from "./commands/Processes.js"
import { sessions } from "./commands/Sessions.js"
import { store } from "./commands/Store.js"
import { queue, triggers } from "./commands/Triggers.js"

const version = (createRequire(import.meta.url)("../package.json") as { readonly version: string }).version

/**
 * The `lash` command and its subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("lash").pipe(
  Command.withDescription("inspect and maintain a lash store (docs/operations.md)"),
  Command.withSubcommands([sessions, processes, triggers, queue, store])
)

const cli = Command.run(command, { name: "lash", version })

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/** The line and code of a command's failure. */
const explain = (error: unknown): { readonly line: string | undefined; readonly code: ExitCode } => {
  if (error instanceof CliError) return { line: error.message, code: error.exitCode }
  // @effect/cli has printed the problem and the usage already.
  if (ValidationError.isValidationError(error)) return { line: undefined, code: ExitCode.usage }
  const e = error as Record<string, unknown>
  switch (tagOf(error)) {
    case "CorruptRecord":
      return {
        line: `corrupt row ${String(e.key)}: ${String(e.issue)} (lash store check lists every problem)`,
        code: ExitCode.storeError
      }
    case "StoreUnavailable":
      return { line: (error as Error).message, code: ExitCode.storeUnavailable }
    case "SessionNotFound":
      return { line: `no session ${String(e.sessionId)}`, code: ExitCode.notFound }
    case "ProcessNotFound":
      return { line: `no process ${String(e.processId)}`, code: ExitCode.notFound }
    default:
      return {
        line: error instanceof Error ? `${tagOf(error) ?? error.name}: ${error.message}` : String(error),
        code: ExitCode.storeError
      }
  }
}

/** Every log line goes to standard error, so standard output stays the command's answer (and valid JSON). */
const stderrLogger = Logger.make<unknown, void>((options) => {
  process.stderr.write(Logger.logfmtLogger.log(options) + "\n")
})

/**
 * Runs `lash` with `argv` (as `process.argv`: the first two entries are skipped) and answers the exit code.
 *
 * @since 0.1.0
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<ExitCode, never, CliApp.CliApp.Environment> =>
  cli(argv).pipe(
    Effect.as(ExitCode.ok),
    Effect.catchAllCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (failure._tag === "Some") {
        const { code, line } = explain(failure.value)
        return Effect.as(line === undefined ? Effect.void : Effect.sync(() => console.error(`lash: ${line}`)), code)
      }
      if (Cause.isInterruptedOnly(cause)) return Effect.succeed(ExitCode.ok)
      return Effect.as(
        Effect.sync(() => console.error(`lash: internal error (please report it):\n${Cause.pretty(cause)}`)),
        ExitCode.internal
      )
    }),
    Effect.provide(Logger.replace(Logger.defaultLogger, stderrLogger)),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
