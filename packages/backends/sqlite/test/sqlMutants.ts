/**
 * The SQLite backend's own mutants (packages/testing/README.md, "The kit can fail"): each opens the real backend with
 * one rule below the ports broken, through a test seam of `SqliteBackend.layerWithInternals`, and is caught by a
 * scenario of the kit or of this backend (sqlScenarios.ts) with a `ConformanceViolation`.
 */
import type { SessionRow, StorageDriver } from "@lash/core"
import { type Mutant, type StorageUnderTest, tempDirectory } from "@lash/testing"
import { Effect } from "effect"
import * as path from "node:path"
import { SqliteBackend, type SqliteOpenHooks } from "../src/index.js"

/** A SQLite backend opened with `hooks` (and `synchronous`), in place of the one under test. */
const openedWith = (
  name: string,
  hooks: SqliteOpenHooks,
  synchronous: "full" | "normal" = "full"
) =>
(backend: StorageUnderTest): StorageUnderTest => ({
  ...backend,
  name: `${backend.name}+${name}`,
  fresh: Effect.map(
    tempDirectory,
    (dir) => SqliteBackend.layerWithInternals({ filename: path.join(dir, "lash.db"), synchronous }, hooks)
  )
})

/**
 * A driver whose read units keep the session rows they read in a per-handle map, dropped only when this handle
 * writes: a cache that sees its own writes and misses every other handle's.
 */
const sessionReadsCachedPerHandle = (driver: StorageDriver): StorageDriver => {
  const cache = new Map<string, SessionRow | undefined>()
  return {
    ...driver,
    read: (unit, body) =>
      driver.read(unit, (tx) =>
        body({
          ...tx,
          sessions: {
            ...tx.sessions,
            read: (sessionId) =>
              cache.has(sessionId)
                ? Effect.succeed(cache.get(sessionId))
                : Effect.tap(tx.sessions.read(sessionId), (row) => Effect.sync(() => cache.set(sessionId, row)))
          }
        })),
    write: (unit, body) => Effect.tap(driver.write(unit, body), () => Effect.sync(() => cache.clear()))
  }
}

/** The SQL-level mutants of the SQLite backend. */
export const sqliteMutants: ReadonlyArray<Mutant> = [
  {
    name: "plain-begin",
    port: "driver",
    bug: "write units begin with a deferred BEGIN instead of BEGIN IMMEDIATE",
    caughtBy: ["SQ-01"],
    apply: openedWith("plain-begin", { beginWrite: "BEGIN" })
  },
  {
    name: "report-not-read-back",
    port: "driver",
    bug: "the durability report states synchronous FULL while the connection runs NORMAL",
    caughtBy: ["SQ-02"],
    apply: openedWith("report-not-read-back", { reportSynchronousAs: "full" }, "normal")
  },
  {
    name: "driver-session-cache",
    port: "driver",
    bug: "read units serve session rows from a per-handle cache that only this handle's writes clear",
    caughtBy: ["RP-R1"],
    apply: openedWith("driver-session-cache", { wrapDriver: sessionReadsCachedPerHandle })
  }
]
