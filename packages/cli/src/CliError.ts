/**
 * The exit codes of `lash` (docs/operations.md, "Exit codes") and the one error a command fails with on purpose: a
 * message for one line of standard error, and the code to exit with.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Every exit code `lash` uses.
 *
 * @since 0.1.0
 */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** `lash store check` found problems (each printed with its row key). */
  problemsFound: 1,
  /** The command line is wrong: an unknown command or option, a bad value, an unknown store scheme, a missing `--yes`. */
  usage: 2,
  /** The store cannot be opened: no such file, not a lash database, a newer schema, needs a migration, unreachable. */
  storeUnavailable: 3,
  /** The session or process named does not exist. */
  notFound: 4,
  /** The store answered with an error while the command ran (a corrupt row it had to read, contention). */
  storeError: 5,
  /** A bug in lash: the message says what happened. */
  internal: 70
} as const

/** @since 0.1.0 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * A failure with its message and exit code.
 *
 * @since 0.1.0
 */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string; readonly exitCode: ExitCode }> {}

/** @since 0.1.0 */
export const usage = (message: string) => new CliError({ message, exitCode: ExitCode.usage })

/** @since 0.1.0 */
export const unavailable = (message: string) => new CliError({ message, exitCode: ExitCode.storeUnavailable })

/** @since 0.1.0 */
export const notFound = (message: string) => new CliError({ message, exitCode: ExitCode.notFound })
