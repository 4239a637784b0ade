/**
 * The `cause` of a `StoreUnavailable` from the server or the connection: the SQLSTATE (when the server sent one) and
 * the message, as fields. A driver error is an `Error` whose message is not an own enumerable property, so a log of
 * the `StoreUnavailable` (JSON) showed `"cause": {}`: a failed sweep said nothing of why. The original error stays
 * reachable as `cause` (not enumerable, not logged).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A failure of the server, the network or the connection pool.
 *
 * @since 0.1.0
 */
export class PostgresFailure extends Data.TaggedError("PostgresFailure")<{
  /** The SQLSTATE (`57P01`: the connection was terminated; `57014`: `statement_timeout`), when there is one. */
  readonly code: string | undefined
  readonly message: string
}> {}

const codeOf = (error: object): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

/**
 * A `PostgresFailure` of a driver error (or of anything else thrown), keeping the original as `cause`.
 *
 * @since 0.1.0
 */
export const failureOf = (cause: unknown): PostgresFailure => {
  const failure = cause instanceof Error
    ? new PostgresFailure({ code: codeOf(cause), message: cause.message || cause.name })
    : new PostgresFailure({ code: undefined, message: String(cause) })
  Object.defineProperty(failure, "cause", { value: cause, enumerable: false, writable: true, configurable: true })
  return failure
}

/**
 * The `cause` a `StoreUnavailable` of this package carries: a tagged error of this package (`PostgresFailure`,
 * `PostgresOpenRefused`) as it is, the driver error inside an `SqlError`, else {@link failureOf}.
 *
 * @since 0.1.0
 */
export const describe = (cause: unknown): unknown => {
  if (typeof cause === "object" && cause !== null && "_tag" in cause) {
    if (cause._tag === "PostgresFailure" || cause._tag === "PostgresOpenRefused") return cause
    if (cause._tag === "SqlError" && "cause" in cause && cause.cause !== undefined) return describe(cause.cause)
  }
  return failureOf(cause)
}
