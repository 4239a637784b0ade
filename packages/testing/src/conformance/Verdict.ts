/**
 * Outcomes, verdicts and the JSON report (packages/testing/README.md, "Verdicts and the report"). Every suite block
 * ends with a `<Suite>-VERDICT` test that reads the outcomes of the block's scenarios and says `conformant`,
 * `conformant with skips (...)` or `NOT conformant (...)`; it fails on any failure, on any configuration problem,
 * and, in strict mode, on any skip.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { StorageUnderTest } from "../StorageUnderTest.js"
import { tierConfigurationProblems } from "./BackendScenarios.js"

/** How a scenario ended. `n/a`: it does not apply to the backend's tier. @since 0.1.0 */
export type Outcome = "passed" | "failed" | "skipped" | "n/a"

/** One line of the report. @since 0.1.0 */
export interface ScenarioResult {
  readonly scenario: string
  readonly suite: string
  readonly outcome: Outcome
  /** Why it was skipped or n/a, or the first line of its failure. */
  readonly reason?: string
  /** The broken invariant, for a `ConformanceViolation`. */
  readonly invariant?: string
  readonly durationMs: number
}

/** The verdict of one suite block. @since 0.1.0 */
export interface Verdict {
  readonly suite: string
  readonly ok: boolean
  readonly text: string
}

/** True when skips fail the verdict (`strict`, else `LASH_CONFORMANCE_STRICT=1`). @since 0.1.0 */
export const isStrict = (backend: StorageUnderTest): boolean =>
  backend.strict ?? process.env.LASH_CONFORMANCE_STRICT === "1"

/**
 * Everything wrong with a backend's configuration: tier mismatches, skips without a reason, and skips or timeouts
 * naming an id the catalog does not have.
 *
 * @since 0.1.0
 */
export const configurationProblems = (
  backend: StorageUnderTest,
  knownIds: ReadonlySet<string>
): ReadonlyArray<string> => [
  ...tierConfigurationProblems(backend),
  ...Object.keys(backend.skip ?? {}).filter((id) => !knownIds.has(id)).map((id) =>
    `skip names an unknown scenario ${id}`
  ),
  ...Object.keys(backend.timeouts ?? {}).filter((id) => !knownIds.has(id)).map((id) =>
    `timeouts names an unknown scenario ${id}`
  )
]

/**
 * The verdict of a suite block: `expected` are the ids it ran (neither skipped nor n/a); a scenario without a result
 * did not finish and counts as failed.
 *
 * @since 0.1.0
 */
export const verdictOf = (p: {
  readonly suite: string
  readonly expected: ReadonlyArray<string>
  readonly results: ReadonlyArray<ScenarioResult>
  readonly strict: boolean
  readonly problems: ReadonlyArray<string>
}): Verdict => {
  const byId = new Map(p.results.map((r) => [r.scenario, r]))
  const failed = [
    ...p.results.filter((r) => r.outcome === "failed").map((r) => r.scenario),
    ...p.expected.filter((id) => !byId.has(id)).map((id) => `${id} (did not finish)`)
  ]
  const skipped = p.results.filter((r) => r.outcome === "skipped").map((r) =>
    `${r.scenario}: ${r.reason ?? "no reason"}`
  )
  const ok = failed.length === 0 && p.problems.length === 0 && (!p.strict || skipped.length === 0)
  if (ok) {
    return {
      suite: p.suite,
      ok,
      text: skipped.length === 0 ? "conformant" : `conformant with skips (${skipped.join("; ")})`
    }
  }
  const parts = [
    ...(failed.length > 0 ? [`failed: ${failed.join(", ")}`] : []),
    ...(skipped.length > 0 ? [`skipped${p.strict ? " under strict mode" : ""}: ${skipped.join("; ")}`] : []),
    ...(p.problems.length > 0 ? [`configuration: ${p.problems.join("; ")}`] : [])
  ]
  return { suite: p.suite, ok, text: `NOT conformant (${parts.join("; ")})` }
}

/** The JSON report of one backend. @since 0.1.0 */
export interface Report {
  readonly kit: "@lash/testing"
  readonly backend: string
  readonly tier: string
  readonly strict: boolean
  readonly verdicts: ReadonlyArray<Verdict>
  readonly scenarios: ReadonlyArray<ScenarioResult>
}

/**
 * Writes the report of `backend` to `file` (directories are created), as pretty-printed JSON.
 *
 * @since 0.1.0
 */
export const writeReport = (file: string, report: Report): void => {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n")
}

/**
 * Where the report of `backend` goes, if anywhere: its `report` option, else `<LASH_CONFORMANCE_REPORT_DIR>/<name>.json`.
 *
 * @since 0.1.0
 */
export const reportPath = (backend: StorageUnderTest): string | undefined => {
  if (backend.report !== undefined) return backend.report
  const dir = process.env.LASH_CONFORMANCE_REPORT_DIR
  return dir === undefined || dir === "" ? undefined : path.join(dir, `${backend.name.replace(/[^\w.-]+/g, "_")}.json`)
}
