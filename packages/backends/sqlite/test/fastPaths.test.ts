/**
 * The SQL driver's fast paths against the engine's generic paths (`StorageEngine.withoutFastPaths`), on the same
 * operations in lockstep:
 * - `loadPath` (the windowed ancestry read) on SQLite with and without it, and on the memory backend, on a session
 *   whose graph has long linear stretches (the window), branches that leave the newest window (the indexed walk takes
 *   over), and queries from the leaf, from an older leaf, and paged with `beforeNodeId`, at every kind of `limit`;
 * - `insertAll` (a commit's nodes in one statement) with and without it, and on the memory backend: the same stored
 *   nodes, and a duplicate node id (in the commit or already stored) a defect that writes nothing;
 * - `claimRunnable` (the single-statement claim) with and without it, under `TestClock`, among terminal, external,
 *   leased, expired and released processes: the same leases, tokens and fencing every time.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { ProcessRegistry, type SessionId, SessionStore } from "@lash/core"
import { Cause, Context, Effect, Layer, Option, TestClock } from "effect"
import { SqliteBackend } from "../src/index.js"
import { appendCommit, rootSession, tempDbFile } from "./helpers.js"
import { branchedGraph, loadPathQueries, type Lockstep, registrySteps, rng } from "./lockstep.js"

/** A SQLite file opened with the driver's fast paths, or without them (the engine's generic paths). */
const sqliteWith = (fastPaths: boolean) =>
  Effect.flatMap(tempDbFile, (filename) =>
    Layer.build(
      SqliteBackend.layerWithInternals({ filename, synchronous: "normal" }, { withoutFastPaths: !fastPaths })
    ))

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
