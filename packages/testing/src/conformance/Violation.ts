/**
 * What a failed scenario reports: `ConformanceViolation` (a broken invariant) or `ScenarioCrashed` (anything else).
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import { Cause, Data } from "effect"

/** Renders an expected or actual value: canonical JSON, truncated at 2 000 characters. @since 0.1.0 */
export const render = (v: unknown): string => {
  let text: string
  try {
    text = typeof v === "string" ? v : Canonical.canonicalJsonUnsafe(v as never)
  } catch {
    try {
      text = JSON.stringify(v) ?? String(v)
    } catch {
      text = String(v)
    }
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
}

/**
 * A broken contract: which scenario, which invariant, what was expected and what happened. Its message has four
 * lines: the scenario and invariant, `expected:`, `actual:` and where the scenario is described.
 *
 * @since 0.1.0
 */
export class ConformanceViolation extends Data.TaggedError("ConformanceViolation")<{
  readonly scenarioId: string
  readonly invariant: string
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return [
      `ConformanceViolation [${this.scenarioId}] ${this.invariant}`,
      `  expected: ${this.expected}`,
      `  actual:   ${this.actual}`,
      `  see:      @lash/testing README, ${
        this.scenarioId.startsWith("PRECHECK") ? "the isolation contract" : this.scenarioId
      }`
    ].join("\n")
  }
}

/** A scenario that failed with something other than a violation (a defect or an unexpected error). @since 0.1.0 */
export class ScenarioCrashed
  extends Data.TaggedError("ScenarioCrashed")<{ readonly scenarioId: string; readonly cause: Cause.Cause<unknown> }>
{
  override get message() {
    return `ScenarioCrashed [${this.scenarioId}] the scenario failed outside its invariants:\n${
      Cause.pretty(this.cause)
    }`
  }
}
