/**
 * The SQLite backend's own scenarios: rules below the ports, which the kit's port-level scenarios cannot see. They
 * run in the kit's Backend suite of this backend (`StorageUnderTest.scenarios`), fail with `ConformanceViolation`, and
 * are what this backend's SQL-level mutants (mutants.test.ts) are caught by.
 *
 * - SQ-01: write units take the write lock at `BEGIN` (`BEGIN IMMEDIATE`), so two OS processes writing one row at once
 *   only ever wait for each other within the busy timeout: with the unit retry turned off, no append fails and the
 *   sequences are exactly 1..N. A deferred `BEGIN` reads a snapshot the other process can commit past, and its first
 *   write then fails `SQLITE_BUSY_SNAPSHOT` without waiting.
 * - SQ-02: the durability report is what the live connection's pragmas give (read back, not configured).
 */
import { ProcessRegistry, StorageInfo } from "@lash/core"
import { plainType, reg, type Scenario, type ScenarioContext } from "@lash/testing"
import { spawnChild, waitForChildren } from "@lash/testing/processes"
import { Context, Duration, Effect } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { SqliteBackendInternals, type SqliteOpenedAs } from "../src/index.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const appenderScript = path.join(here, "twoProcess", "appender.ts")

/** The internals of the scenario's handle (the backend under test must be built with `layerWithInternals`). */
const internalsOf = (ctx: ScenarioContext) =>
  Effect.flatMap(
    Effect.succeed(Context.getOption(ctx.handle as Context.Context<never>, SqliteBackendInternals)),
    (internals) => ctx.some("the handle exposes SqliteBackendInternals (fresh builds layerWithInternals)", internals)
  )

/** Spawns one appender (stdin kept open for its "go"); SIGKILLed with the scope if it is still running. */
const spawnAppender = (spec: object) =>
  spawnChild({ script: appenderScript, args: [JSON.stringify(spec)], cwd: here, keepStdin: true })

interface AppenderResult {
  readonly tag: string
  readonly succeeded: number
  readonly failed: number
  readonly first: ReadonlyArray<string>
}

/** Appends per OS process in SQ-01. */
export const APPENDS_PER_PROCESS = 100

/** SQ-01: two OS processes, one hot row, no unit retry: every append waits for the lock and succeeds. */
export const twoProcessWriters: Scenario = {
  id: "SQ-01",
  suite: "Backend",
  title: "two OS processes append to one process at once with the unit retry off: none fails, sequences are 1..N",
  clock: "live",
  tiers: ["durable"],
  timeoutMs: 90_000,
  run: (ctx) =>
    Effect.gen(function*() {
      const internals = yield* internalsOf(ctx)
      const registry = Context.get(ctx.handle, ProcessRegistry)
      yield* registry.register(reg("hot", { eventTypes: [plainType("tick")] }))
      // The retry net is off: a write unit gets one attempt, so the busy timeout is its only way to wait.
      const opened: SqliteOpenedAs = {
        filename: internals.opened.filename,
        options: { ...internals.opened.options, busyTimeoutMs: 20_000, synchronous: "normal" },
        hooks: {
          ...(internals.opened.hooks.beginWrite === undefined ? {} : { beginWrite: internals.opened.hooks.beginWrite }),
          retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }
        }
      }
      const appenders = yield* Effect.all(
        ["a", "b"].map((tag) =>
          spawnAppender({ opened, processId: "hot", eventType: "tick", count: APPENDS_PER_PROCESS, tag })
        )
      )
      const patience = Duration.toMillis(ctx.scaled(60_000))
      yield* waitForChildren(
        "both appenders to open the file",
        () => appenders.every((a) => a.lines.includes("READY")),
        { timeoutMs: patience, watched: appenders }
      )
      for (const a of appenders) a.child.stdin!.end("go\n")
      yield* waitForChildren(
        "both appenders to finish",
        () => appenders.every((a) => a.lines.some((l) => l.startsWith("{"))),
        { timeoutMs: patience, watched: appenders }
      )
      const results = appenders.map((a) => JSON.parse(a.lines.find((l) => l.startsWith("{"))!) as AppenderResult)
      yield* ctx.invariant(
        "with BEGIN IMMEDIATE and the busy timeout, no write unit of either process fails (no SQLITE_BUSY escapes)",
        results.every((r) => r.failed === 0 && r.succeeded === APPENDS_PER_PROCESS),
        `${APPENDS_PER_PROCESS} successes in each process`,
        results
      )
      const sequences = (yield* registry.eventsAfter(reg("hot").id, 0)).map((e) => e.sequence)
      const total = 2 * APPENDS_PER_PROCESS
      yield* ctx.invariant(
        "the stored sequences are exactly 1..N: no gap, no duplicate",
        sequences.length === total && sequences.every((s, i) => s === i + 1),
        `1..${total}`,
        { count: sequences.length, first: sequences.slice(0, 5), last: sequences.slice(-5) }
      )
    })
}

const crashSafetyOf = (synchronous: string): string =>
  synchronous === "2" || synchronous === "3" ? "power-loss" : synchronous === "1" ? "process-crash" : "none"
const synchronousNames: Record<string, string> = { "0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA" }

const pragma = (ctx: ScenarioContext, name: string) =>
  Effect.flatMap(internalsOf(ctx), (internals) =>
    Effect.map(
      internals.sql.unsafe<Record<string, unknown>>(`PRAGMA ${name}`),
      (rows) => String(Object.values(rows[0] ?? {})[0]).toLowerCase()
    ))

/** SQ-02: the durability report agrees with the pragmas of the live connection. */
export const reportMatchesPragmas: Scenario = {
  id: "SQ-02",
  suite: "Backend",
  title: "the durability report states what the connection's pragmas give (synchronous, journal_mode)",
  clock: "test",
  tiers: ["durable"],
  run: (ctx) =>
    Effect.gen(function*() {
      const report = yield* Context.get(ctx.handle, StorageInfo).durabilityReport
      const synchronous = yield* pragma(ctx, "synchronous")
      const journalMode = yield* pragma(ctx, "journal_mode")
      const details = report.details as Record<string, unknown> | undefined
      yield* ctx.invariant(
        "the reported crash safety is the one PRAGMA synchronous gives",
        report.crashSafety === crashSafetyOf(synchronous),
        crashSafetyOf(synchronous),
        report.crashSafety
      )
      yield* ctx.invariant(
        "the reported synchronous level and journal mode are the ones read back",
        details?.synchronous === synchronousNames[synchronous] && details?.journal_mode === journalMode,
        { synchronous: synchronousNames[synchronous], journal_mode: journalMode },
        { synchronous: details?.synchronous, journal_mode: details?.journal_mode }
      )
    })
}

/** Every SQLite-level scenario. */
export const sqliteScenarios: ReadonlyArray<Scenario> = [twoProcessWriters, reportMatchesPragmas]
