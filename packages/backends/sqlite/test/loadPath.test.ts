/**
 * `SessionStore.loadPath` on SQLite against the memory backend as the reference, on a session whose graph has long
 * linear stretches (the window fast path), branches that leave the newest window (the indexed walk takes over), and
 * queries from the leaf, from an older leaf, and paged with `beforeNodeId`, at every kind of `limit`.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { type SessionId, SessionStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { SqliteBackend } from "../src/index.js"
import { appendCommit, rootSession, tempDbFile } from "./helpers.js"

/** A deterministic generator (LCG), so a failure names a reproducible graph. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

describe("loadPath", () => {
  it.scopedLive("matches the reference walk on linear, branched and paged queries", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const sqlite = Context.get(
        yield* Layer.build(SqliteBackend.layer({ filename, synchronous: "normal" })),
        SessionStore
      )
      const memory = Context.get(yield* Layer.build(MemoryBackend.layer()), SessionStore)
      const random = rng(7)
      const sessionId = "paths"
      for (const store of [sqlite, memory]) yield* store.create(rootSession(sessionId))
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
        for (const store of [sqlite, memory]) yield* store.commit(commit)
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
        const actual = yield* sqlite.loadPath(sessionId as SessionId, req)
        expect({ ids: actual.nodes.map((n) => n.nodeId), hasMore: actual.hasMore }, JSON.stringify(req)).toEqual({
          ids: expected.nodes.map((n) => n.nodeId),
          hasMore: expected.hasMore
        })
        expect(actual.nodes, "whole nodes, not just ids").toEqual(expected.nodes)
      }
    }))
})
