/**
 * The three error classes of Lashlang. Code matches on `kind`, never on `message`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** A source position: 1-based line and column (columns count code points). @since 0.1.0 */
export interface Span {
  readonly line: number
  readonly column: number
}

/** A lex or parse error. @since 0.1.0 */
export class LashlangParseError extends Data.TaggedError("LashlangParseError")<{
  readonly kind:
    | "UnexpectedChar"
    | "UnterminatedString"
    | "InvalidNumber"
    | "Expected"
    | "Unexpected"
    | "LoopControlOutsideLoop"
    | "ProcessStatementOutsideProcess"
    | "ForegroundStatementInsideProcess"
    | "DeclarativeTriggerRemoved"
    | "InvalidLabel"
    | "NestingTooDeep"
    | "SourceTooLarge"
  readonly message: string
  readonly hint?: string
  readonly span?: Span
}> {}

/** A link (check) error against the host surface. @since 0.1.0 */
export class LashlangLinkError extends Data.TaggedError("LashlangLinkError")<{
  readonly kind: string
  readonly message: string
  readonly hint?: string
  readonly span?: Span
}> {}

/** A runtime error kind. @since 0.1.0 */
export type RuntimeErrorKind =
  | "UnknownName"
  | "NotIterable"
  | "TypeError"
  | "ValueError"
  | "UnwrapFailed"
  | "ValidationFailed"
  | "HostFailure"
  | "ModeViolation"
  | "LimitExceeded"
  | "Internal"

/** A runtime error; an outcome of `execute`, never an Effect failure. @since 0.1.0 */
export class LashlangRuntimeError extends Data.TaggedError("LashlangRuntimeError")<{
  readonly kind: RuntimeErrorKind
  readonly message: string
  readonly hint?: string
  readonly span?: Span
}> {}

/** A failure reported by the host's `perform`. @since 0.1.0 */
export class HostFailure
  extends Data.TaggedError("HostFailure")<{ readonly message: string; readonly code?: string }>
{}

/** Any Lashlang diagnostic. @since 0.1.0 */
export type LashlangDiagnostic = LashlangParseError | LashlangLinkError | LashlangRuntimeError

/**
 * Renders a diagnostic the way the model sees it: message, location, the source line, a caret and the hint.
 *
 * @since 0.1.0
 */
export const formatDiagnostic = (err: LashlangDiagnostic, source: string): string => {
  const lines = [err.message]
  if (err.span !== undefined) {
    const text = (source.split("\n")[err.span.line - 1] ?? "").replace(/\r$/, "")
    lines.push(
      `--> line ${err.span.line}, column ${err.span.column}`,
      text,
      `${" ".repeat(Math.max(0, err.span.column - 1))}^`
    )
  }
  if (err.hint !== undefined) lines.push(`hint: ${err.hint}`)
  return lines.join("\n")
}
