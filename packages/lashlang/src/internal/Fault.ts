/**
 * Runtime faults and their mapping to `LashlangRuntimeError` (docs/lashlang.md, "Semantics", errors). Inside the
 * interpreter a runtime error is thrown as a `Fault` (plain JavaScript control flow, so pure evaluation stays
 * synchronous); the driver catches it and turns it into an `Errored` outcome with the span of the failing top-level
 * statement. Anything else that escapes the interpreter is a bug and becomes an `Internal` error, never a defect.
 *
 * @internal
 */
import { LashlangRuntimeError, type RuntimeErrorKind, type Span } from "../Errors.js"

/** A runtime error in flight. */
export class Fault {
  constructor(
    readonly kind: RuntimeErrorKind,
    readonly message: string,
    readonly hint?: string
  ) {}
}

/** Throws a runtime error. */
export const fault = (kind: RuntimeErrorKind, message: string, hint?: string): never => {
  throw new Fault(kind, message, hint)
}

/** Throws a `LimitExceeded` runtime error. */
export const limitExceeded = (message: string): never => {
  throw new Fault("LimitExceeded", message)
}

/** Host text inserted into diagnostics is cut to 2,000 characters (docs/lashlang.md, "Limits"). */
export const truncateHostText = (s: string): string => {
  if (s.length <= 2000) return s
  // Never cut a surrogate pair in two.
  const cut = s.charCodeAt(1999) >= 0xd800 && s.charCodeAt(1999) <= 0xdbff ? 1999 : 2000
  return s.slice(0, cut) + "…"
}

const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && /call stack/i.test(e.message)

/** The runtime error a thrown value stands for, located at `span` (the failing top-level statement). */
export const toRuntimeError = (thrown: unknown, span: Span | undefined): LashlangRuntimeError => {
  const at = span === undefined ? {} : { span: { line: span.line, column: span.column } }
  if (thrown instanceof Fault) {
    return new LashlangRuntimeError({
      kind: thrown.kind,
      message: thrown.message,
      ...(thrown.hint === undefined ? {} : { hint: thrown.hint }),
      ...at
    })
  }
  if (isStackOverflow(thrown)) {
    return new LashlangRuntimeError({ kind: "LimitExceeded", message: "program too deep for the interpreter", ...at })
  }
  const detail = thrown instanceof Error ? thrown.message : String(thrown)
  return new LashlangRuntimeError({ kind: "Internal", message: `internal interpreter error: ${detail}`, ...at })
}
