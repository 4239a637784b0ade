/**
 * The SQL driver's fast paths against the engine's generic paths (`StorageEngine.withoutFastPaths`), on the same
 * operations in lockstep:
 * - `loadPath` (the windowed ancestry read) on SQLite with and without it, and on the memory backend, on a session
 *   whose graph has long linear stretches (the window), branches that leave the newest window (the indexed walk takes
 *   over), and queries from the leaf, from an older leaf, and paged with `beforeNodeId`, at every kind of `limit`;
 * - `insertAll` (a commit's nodes in one statement) with and without it, and on the memory backend: the same stored
 *   nodes, and a duplicate node id (in the commit or already stored) a defect that writes nothing;
 * - `claimRunnable` (the single-statement claim) with and without it, under `TestClock`, among terminal, external,
 *   leased, expired and released processes: the same leases, tokens and fencing every time;
 * - `updateRecordAndLease` (a fenced completion's record and release in one row write) with and without it, on SQLite
 *   and on the memory backend: the same answers and the same stored process and event rows; and the write itself, on
 *   each driver, equal to `updateRecord` + `setLease`, and a stale fencing that matches nothing and writes nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend, MemoryDriver } from "@lash/backend-memory"
import {
  type ProcessRecordUpdate,
  ProcessRegistry,
  type ProcessRow,
  type SessionId,
  SessionStore,
  type StorageDriver,
  StorageEngine
} from "@lash/core"
import { Cause, Context, Effect, Layer, Option, TestClock } from "effect"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { appendCommit, rootSession, tempDbFile } from "./helpers.js"
import { branchedGraph, fencedCompletionSteps, loadPathQueries, type Lockstep, registrySteps, rng } from "./lockstep.js"

/** A SQLite file opened with the driver's fast paths, or without them (the engine's generic paths). */
const sqliteWith = (fastPaths: boolean, wrapDriver?: (driver: StorageDriver) => StorageDriver) =>
  Effect.flatMap(tempDbFile, (filename) =>
    Layer.build(
      SqliteBackend.layerWithInternals(
        { filename, synchronous: "normal" },
        wrapDriver === undefined ? { withoutFastPaths: !fastPaths } : { withoutFastPaths: !fastPaths, wrapDriver }
      )
    ))

/** `driver` with its `processes.updateRecordAndLease` counted into `calls` (hidden too when the driver hides it). */
const countingRowWrites = (driver: StorageDriver, calls: { count: number }): StorageDriver => {
  const write: StorageDriver["write"] = (unit, body) =>
    driver.write(unit, (tx) => {
      const fastPath = tx.processes.updateRecordAndLease
      const processes = fastPath === undefined ? tx.processes : Object.create(tx.processes, {
        updateRecordAndLease: {
          value: (...args: Parameters<typeof fastPath>) => {
            calls.count++
            return fastPath(...args)
          },
          enumerable: true
        }
      })
      return body(Object.create(tx, { processes: { value: processes, enumerable: true } }))
    })
  return Object.create(driver, { write: { value: write, enumerable: true } })
}

describe("loadPath", () => {
  it.scopedLive("the windowed read, the generic walk and the memory backend agree on linear, branched and paged queries", () =>
    Effect.gen(function*() {
      const sqlite = Context.get(yield* sqliteWith(true), SessionStore)
      const generic = Context.get(yield* sqliteWith(false), SessionStore)
      const memory = Context.get(yield* Layer.build(MemoryBackend.layer()), SessionStore)
      const stores = [sqlite, generic, memory]
      const random = rng(7)
      const sessionId = "paths"
      // 400 commits: long linear stretches (the window) and branches far back (the indexed walk takes over).
      const ids = yield* branchedGraph(stores, sessionId, 400, random)
      const queries = loadPathQueries(ids, random, {
        limits: [0, 1, 2, 7, 50, 255, 256, 257, 1000],
        pairs: 60,
        maxLimit: 300
      })
      // Paging from the leaf to the root in pages of 37 reaches every ancestor exactly once.
      let before: string | undefined
      const paged: Array<string> = []
      for (let page = 0; page < 100; page++) {
        const req = before === undefined ? { limit: 37 } : { limit: 37, beforeNodeId: before }
        const got = yield* sqlite.loadPath(sessionId as SessionId, req)
        paged.unshift(...got.nodes.map((n) => n.nodeId))
        if (!got.hasMore) break
        before = got.nodes[0]!.nodeId
      }
      const full = yield* memory.loadPath(sessionId as SessionId, { limit: 100_000 })
      expect(paged, "paging reaches the whole active path").toEqual(full.nodes.map((n) => n.nodeId))
      for (const req of queries) {
        const expected = yield* memory.loadPath(sessionId as SessionId, req)
        for (const [name, store] of [["sqlite", sqlite], ["sqlite without fast paths", generic]] as const) {
          const actual = yield* store.loadPath(sessionId as SessionId, req)
          expect({ ids: actual.nodes.map((n) => n.nodeId), hasMore: actual.hasMore }, `${name} ${JSON.stringify(req)}`)
            .toEqual({ ids: expected.nodes.map((n) => n.nodeId), hasMore: expected.hasMore })
          expect(actual.nodes, "whole nodes, not just ids").toEqual(expected.nodes)
        }
      }
    }))
})

describe("insertAll", () => {
  it.scopedLive("one multi-row insert per commit stores what insert per row stores; a duplicate id writes nothing", () =>
    Effect.gen(function*() {
      const stores = [
        ["sqlite", Context.get(yield* sqliteWith(true), SessionStore)],
        ["sqlite without fast paths", Context.get(yield* sqliteWith(false), SessionStore)],
        ["memory", Context.get(yield* Layer.build(MemoryBackend.layer()), SessionStore)]
      ] as const
      const sessionId = "inserts" as SessionId
      for (const [, store] of stores) yield* store.create(rootSession(sessionId))
      // 1, 2 and 150 nodes (the SQL driver's statements hold 64 rows: 150 takes three).
      let count = 0
      const chain = (size: number) =>
        Array.from(
          { length: size },
          (_, k) => ({ id: `n${count + k}`, parent: count + k === 0 ? undefined : `n${count + k - 1}` })
        )
      for (const [revision, size] of [[0, 1], [1, 2], [2, 150]] as const) {
        const nodes = chain(size)
        for (const [, store] of stores) yield* store.commit(appendCommit(sessionId, revision, nodes))
        count += size
      }
      // A repeated id inside one commit, or an id already stored: a defect, and the session is as it was.
      const duplicates = [
        [{ id: "d0", parent: `n${count - 1}` }, { id: "d1", parent: "d0" }, { id: "d0", parent: "d1" }],
        [{ id: "d2", parent: `n${count - 1}` }, { id: "n5", parent: "d2" }]
      ]
      for (const nodes of duplicates) {
        for (const [name, store] of stores) {
          const exit = yield* Effect.exit(store.commit(appendCommit(sessionId, 3, nodes)))
          expect(exit._tag === "Failure" && Cause.isDie(exit.cause), `${name}: a defect`).toBe(true)
        }
      }
      const [, expected] = stores[2]
      const reference = yield* expected.load(sessionId)
      expect(Option.getOrThrow(reference).headRevision).toBe(3)
      expect(Option.getOrThrow(reference).graph.nodes.length).toBe(count)
      for (const [name, store] of stores) expect(yield* store.load(sessionId), name).toEqual(reference)
    }))
})

describe("claimRunnable", () => {
  it.scoped("the single-statement claim and the generic scan-and-lease give the same leases, step by step", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_000)
      const fast = Context.get(yield* sqliteWith(true), ProcessRegistry)
      const generic = Context.get(yield* sqliteWith(false), ProcessRegistry)
      const random = rng(11)
      const both: Lockstep = (f) =>
        Effect.gen(function*() {
          const [a, b] = [yield* Effect.either(f(fast)), yield* Effect.either(f(generic))]
          expect(b, "the generic path answers as the fast path").toEqual(a)
          return a
        })
      // Every random draw happens before `both`, so the two registries see the same operation.
      const claimed = yield* registrySteps(both, random, { steps: 120, processes: 40 })
      expect(claimed, "the sequence exercised the claim").toBeGreaterThan(10)
      expect(yield* fast.listNonTerminalIds()).toEqual(yield* generic.listNonTerminalIds())
    }))
})

describe("updateRecordAndLease", () => {
  /** A registry over SQLite or memory, with or without the fast path, its fast-path calls and its stored rows. */
  const sqlite = (fastPaths: boolean) =>
    Effect.gen(function*() {
      const calls = { count: 0 }
      const ctx = yield* sqliteWith(fastPaths, (driver) => countingRowWrites(driver, calls))
      const { sql } = Context.get(ctx, SqliteBackendInternals)
      const rows = Effect.all([
        sql.unsafe("SELECT * FROM lash_processes ORDER BY process_id"),
        sql.unsafe("SELECT * FROM lash_process_events ORDER BY process_id, sequence")
      ])
      return { registry: Context.get(ctx, ProcessRegistry), calls, rows }
    })
  const memory = (fastPaths: boolean) =>
    Effect.gen(function*() {
      const calls = { count: 0 }
      const { driver, store } = yield* MemoryDriver.make
      const counted = countingRowWrites(driver, calls)
      const ctx = yield* StorageEngine.make(fastPaths ? counted : StorageEngine.withoutFastPaths(counted))
      const rows = Effect.sync(() => [
        [...store.tables.processes.values()].sort((a, b) => StorageEngine.compareCodePoints(a.processId, b.processId)),
        [...store.tables.events.values()].flatMap((log) => log.bySequence)
      ])
      return { registry: Context.get(ctx, ProcessRegistry), calls, rows }
    })

  it.scoped("fenced completions answer alike and store the same rows with and without the single-statement write", () =>
    Effect.gen(function*() {
      for (const [name, open] of [["sqlite", sqlite], ["memory", memory]] as const) {
        yield* TestClock.setTime(1_767_225_600_000)
        const fast = yield* open(true)
        const generic = yield* open(false)
        const both: Lockstep = (f) =>
          Effect.gen(function*() {
            const [a, b] = [yield* Effect.either(f(fast.registry)), yield* Effect.either(f(generic.registry))]
            expect(b, `${name}: the generic path answers as the fast path`).toEqual(a)
            return a
          })
        const ended = yield* fencedCompletionSteps(both)
        expect(ended, `${name}: four ends (one of them a replay), three refused`).toBe(4)
        // Every end but the replay took the fast path; the generic registry never saw it.
        expect([fast.calls.count, generic.calls.count], name).toEqual([3, 0])
        expect(yield* generic.rows, `${name}: the same process and event rows`).toEqual(yield* fast.rows)
      }
    }))

  /** The drivers under test: SQLite's (as the backend builds it) and memory's. */
  const drivers = Effect.gen(function*() {
    let captured: StorageDriver | undefined
    yield* sqliteWith(true, (driver) => (captured = driver))
    return [["sqlite", captured!], ["memory", (yield* MemoryDriver.make).driver]] as const
  })
  const unit = { port: "test", operation: "updateRecordAndLease" }
  const leased = (processId: string): ProcessRow => ({
    processId,
    registrationHash: "h",
    recordJson: "{\"v\":1}",
    recordVersion: 1,
    terminal: false,
    external: false,
    lastEventSeq: 2,
    lease: { ownerId: "w", fencing: 5, claimedAtMs: 100, expiresAtMs: 900 },
    createdAtMs: 50,
    updatedAtMs: 60
  })
  const update = (processId: string): ProcessRecordUpdate => ({
    processId,
    recordJson: "{\"v\":2}",
    recordVersion: 1,
    terminal: true,
    lastEventSeq: 3,
    updatedAtMs: 700
  })

  it.scoped("the row write equals updateRecord + setLease; a stale fencing matches nothing and writes nothing", () =>
    Effect.gen(function*() {
      for (const [name, driver] of yield* drivers) {
        const released = { ownerId: null, fencing: 5, claimedAtMs: 0, expiresAtMs: 0 }
        const taken = { ownerId: "x", fencing: 6, claimedAtMs: 300, expiresAtMs: 1_300 }
        const answers = yield* driver.write(unit, (tx) =>
          Effect.gen(function*() {
            const fastPath = tx.processes.updateRecordAndLease!
            for (const id of ["fast", "slow", "stale", "fast-taken", "slow-taken"]) {
              yield* tx.processes.insert(leased(id))
            }
            const stale = yield* fastPath(update("stale"), released, 4)
            const fast = yield* fastPath(update("fast"), released, 5)
            yield* tx.processes.updateRecord(update("slow"))
            const slow = yield* tx.processes.setLease("slow", released, 5)
            const fastTaken = yield* fastPath(update("fast-taken"), taken, 5)
            yield* tx.processes.updateRecord(update("slow-taken"))
            const slowTaken = yield* tx.processes.setLease("slow-taken", taken, 5)
            return { stale, fast, slow, fastTaken, slowTaken }
          }))
        expect(answers, name).toEqual({ stale: false, fast: true, slow: true, fastTaken: true, slowTaken: true })
        const read = (id: string) => driver.read(unit, (tx) => tx.processes.read(id))
        expect(yield* read("stale"), `${name}: a stale fencing writes nothing`).toEqual(leased("stale"))
        expect(yield* read("fast"), name).toEqual({ ...leased("fast"), ...update("fast"), lease: released })
        expect(yield* read("slow"), name).toEqual({ ...leased("slow"), ...update("slow"), lease: released })
        expect(yield* read("fast-taken"), name).toEqual({
          ...leased("fast-taken"),
          ...update("fast-taken"),
          lease: taken
        })
        expect(yield* read("slow-taken"), name).toEqual({
          ...leased("slow-taken"),
          ...update("slow-taken"),
          lease: taken
        })
      }
    }))
})
