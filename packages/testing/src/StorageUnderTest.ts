/**
 * What a backend hands to the conformance suites (packages/testing/README.md, "Running the kit against your backend").
 *
 * @since 0.1.0
 */
import type { DurabilityTier, LashStorage, RowTampering } from "@lash/core"
import { type Context, Effect, type Layer, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Scenario } from "./conformance/Harness.js"

/**
 * The layer of one backend handle: every storage port. `StorageSignals` is optional; a layer that also provides it
 * (or anything else) is accepted as it is.
 *
 * @since 0.1.0
 */
export type StorageLayer = Layer.Layer<LashStorage, unknown>

/**
 * A backend under test.
 *
 * `fresh` creates a NEW, empty, private backing store in the current scope (a temp file, a schema, a map) and returns
 * the layer that opens a handle on it. Building that layer again opens ANOTHER handle on the SAME store: for a durable
 * backend a real reopen (a new connection to the same file or database), for an inline backend the same live store.
 * Nothing may leak between two `fresh` stores. The kit checks both rules before the first scenario (the precheck)
 * and fails every scenario with a message naming `fresh` when they do not hold.
 *
 * @since 0.1.0
 */
export interface StorageUnderTest {
  readonly name: string
  readonly tier: DurabilityTier
  readonly fresh: Effect.Effect<StorageLayer, unknown, Scope.Scope>
  /**
   * Scenarios the backend does not run, each with the reason (shown in the skipped test's title and the report). A
   * skip makes the VERDICT "conformant with skips"; under `LASH_CONFORMANCE_STRICT=1` (or `strict: true`) it fails.
   */
  readonly skip?: Readonly<Record<string, string>>
  /** Multiplies every timeout of the kit: test timeouts, waiter windows, awaits (a remote store wants 3 or 5). */
  readonly timeoutScale?: number
  /** Per-scenario test timeouts in milliseconds (not scaled), for the one scenario that needs more. */
  readonly timeouts?: Readonly<Record<string, number>>
  /** X-TIER-3 compares `StorageInfo.durabilityReport().crashSafety` with it (durable tier only). */
  readonly expectCrashSafety?: "power-loss" | "process-crash"
  /** Fail the VERDICT on any skip. Default: `process.env.LASH_CONFORMANCE_STRICT === "1"`. */
  readonly strict?: boolean
  /**
   * Where to write the JSON report (scenario id, suite, outcome, reason, invariant, duration); rewritten by every
   * VERDICT test of this backend. Default: `<LASH_CONFORMANCE_REPORT_DIR>/<name>.json` when that variable is set.
   */
  readonly report?: string
  /**
   * The backend's own scenarios (rules below the ports, e.g. SQL-level ones), each in the suite it names: they run in
   * that suite's block after the kit's scenarios, count in its VERDICT and report, and run by id with
   * `runScenarioById`, so the backend's own mutants can name them in `caughtBy`. Ids must not clash with the kit's.
   */
  readonly scenarios?: ReadonlyArray<Scenario>
  /**
   * The backend's row-tampering hook on a handle built from `fresh` (usually its test internals, e.g.
   * `Context.get(handle, MemoryBackendInternals)`): the poison-row scenarios (X-POISON-*) overwrite rows with it.
   * Without it they are n/a.
   */
  readonly tampering?: (handle: Context.Context<LashStorage>) => RowTampering
}

/**
 * A new temporary directory, removed (recursively) when the scope closes: the usual home of a durable `fresh` store.
 *
 * @since 0.1.0
 */
export const tempDirectory: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-kit-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)
