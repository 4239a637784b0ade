/** Captures log lines (level, message, annotations, pretty cause) for tests that assert what the host logged. */
import { Cause, HashMap, Logger } from "effect"

/** One captured log line. */
export interface CapturedLog {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

/** A logger layer replacing the default one, and the lines it captured. */
export const captureLogs = () => {
  const lines: Array<CapturedLog> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}
