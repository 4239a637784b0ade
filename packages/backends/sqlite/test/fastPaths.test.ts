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
import { type ProcessId, type ProcessRegistration, ProcessRegistry, type SessionId, SessionStore } from "@lash/core"
import { Cause, Context, Effect, Layer, Option, TestClock } from "effect"
import { SqliteBackend } from "../src/index.js"
import { appendCommit, engineRegistration, rootSession, tempDbFile } from "./helpers.js"

/** A deterministic generator (LCG), so a failure names a reproducible graph. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

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
      for (const store of stores) yield* store.create(rootSession(sessionId))
      const ids: Array<string> = []
      let leaf: string | undefined
      // 400 commits: mostly 1–2 nodes on the current leaf; sometimes a branch from a node far back.
      for (let c = 0; c < 400; c++) {
        const branch = ids.length > 10 && random() < 0.08
        let parent = branch ? ids[Math.floor(random() * ids.length)] : leaf
        const nodes: Array<{ id: string; parent?: string }> = []
        const count = 1 + Math.floor(random() * 2)
        for (let k = 0; k < count; k++) {
          const id = `n${ids.length + nodes.length}`
          nodes.push(parent === undefined ? { id } : { id, parent })
          parent = id
        }
        const commit = appendCommit(sessionId, c, nodes)
        for (const store of stores) yield* store.commit(commit)
        for (const n of nodes) ids.push(n.id)
        leaf = nodes[nodes.length - 1]!.id
      }
      const queries: Array<Parameters<typeof sqlite.loadPath>[1]> = []
      for (const limit of [0, 1, 2, 7, 50, 255, 256, 257, 1000]) queries.push({ limit })
      for (let q = 0; q < 60; q++) {
        const leafNodeId = ids[Math.floor(random() * ids.length)]!
        const limit = Math.floor(random() * 300)
        queries.push({ limit, leafNodeId })
        queries.push({ limit, beforeNodeId: ids[Math.floor(random() * ids.length)]! })
      }
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
      const both = <A, E>(f: (registry: typeof fast) => Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const [a, b] = [yield* Effect.either(f(fast)), yield* Effect.either(f(generic))]
          expect(b, "the generic path answers as the fast path").toEqual(a)
          return a
        })
      const external = (id: string): ProcessRegistration => ({
        ...engineRegistration(id),
        input: { type: "external", metadata: null }
      })
      let claimed = 0
      for (let step = 0; step < 120; step++) {
        const roll = random()
        // Every random draw happens before `both`, so the two registries see the same operation.
        if (roll < 0.3) {
          const id = `p-${String(Math.floor(random() * 40)).padStart(2, "0")}`
          const registration = random() < 0.15 ? external(id) : engineRegistration(id)
          yield* both((r) => r.register(registration))
        } else if (roll < 0.6) {
          const request = {
            ownerId: `w${step}`,
            ttlMs: Math.floor(random() * 3) * 500,
            limit: Math.floor(random() * 5)
          }
          const leases = yield* both((r) => r.claimRunnable(request))
          const [then, release] = [random(), random() < 0.5]
          if (leases._tag === "Right") {
            claimed += leases.right.length
            const lease = leases.right[0]
            if (lease !== undefined && then < 0.4) {
              yield* both((r) =>
                release ? r.releaseLease(lease) : r.completeWithLease(lease, { type: "success", value: step })
              )
            }
          }
        } else if (roll < 0.7) {
          const id = `p-${String(Math.floor(random() * 40)).padStart(2, "0")}` as ProcessId
          yield* both((r) => r.claimLease(id, `single-${step}`, 1_000))
        } else {
          yield* TestClock.adjust(Math.floor(random() * 700))
        }
      }
      expect(claimed, "the sequence exercised the claim").toBeGreaterThan(10)
      expect(yield* fast.listNonTerminalIds()).toEqual(yield* generic.listNonTerminalIds())
    }))
})
