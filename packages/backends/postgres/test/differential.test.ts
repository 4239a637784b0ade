/**
 * The memory, SQLite and Postgres backends in lockstep (with and without the SQL driver's fast paths on Postgres):
 * the same operations give the same answers.
 * - `loadPath` on a session whose graph has long linear stretches and branches far back, from the leaf, from older
 *   leaves and paged with `beforeNodeId`;
 * - the process registry under `TestClock` (Postgres reads Effect's clock here, `clock: "host"`): registrations,
 *   `claimRunnable` among terminal, external, leased, expired and released processes, single claims, completions.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import {
  type LashStorage,
  type ProcessId,
  type ProcessRegistration,
  ProcessRegistry,
  type SessionId,
  SessionStore
} from "@lash/core"
import { tempDirectory } from "@lash/testing"
import { Context, Effect, Layer, type Scope, TestClock } from "effect"
import * as path from "node:path"
import { appendCommit, engineRegistration, rootSession } from "../../sqlite/test/helpers.js"
import { PostgresBackend } from "../src/index.js"

/** A deterministic generator (LCG), so a failure names a reproducible sequence. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

const postgres = (fastPaths: boolean) =>
  Effect.flatMap(
    PostgresBackend.testing.reopenable({}, { clock: "host", withoutFastPaths: !fastPaths }),
    (db) => Layer.build(db.open())
  )

const stores: Effect.Effect<
  ReadonlyArray<readonly [string, Context.Context<LashStorage>]>,
  unknown,
  Scope.Scope
> = Effect.gen(function*() {
  const dir = yield* tempDirectory
  return [
    ["memory", yield* Layer.build(MemoryBackend.layer())],
    ["sqlite", yield* Layer.build(SqliteBackend.layer({ filename: path.join(dir, "lash.db"), synchronous: "normal" }))],
    ["postgres", yield* postgres(true)],
    ["postgres without fast paths", yield* postgres(false)]
  ] as const
})

/** The first store (memory, the reference) and the others. */
const split = <A>(all: ReadonlyArray<readonly [string, A]>) => ({ reference: all[0]![1], others: all.slice(1) })

describe("memory, SQLite and Postgres agree", () => {
  it.scopedLive("loadPath on linear, branched and paged queries", () =>
    Effect.gen(function*() {
      const all = (yield* stores).map(([name, ctx]) => [name, Context.get(ctx, SessionStore)] as const)
      const random = rng(7)
      const sessionId = "paths"
      for (const [, store] of all) yield* store.create(rootSession(sessionId))
      const ids: Array<string> = []
      let leaf: string | undefined
      for (let c = 0; c < 80; c++) {
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
        for (const [, store] of all) yield* store.commit(commit)
        for (const n of nodes) ids.push(n.id)
        leaf = nodes[nodes.length - 1]!.id
      }
      const queries: Array<Parameters<SessionStore["Type"]["loadPath"]>[1]> = []
      for (const limit of [0, 1, 2, 7, 50, 255, 256, 1000]) queries.push({ limit })
      for (let q = 0; q < 30; q++) {
        const limit = Math.floor(random() * 200)
        queries.push({ limit, leafNodeId: ids[Math.floor(random() * ids.length)]! })
        queries.push({ limit, beforeNodeId: ids[Math.floor(random() * ids.length)]! })
      }
      const { others, reference } = split(all)
      for (const req of queries) {
        const expected = yield* reference.loadPath(sessionId as SessionId, req)
        for (const [name, store] of others) {
          const actual = yield* store.loadPath(sessionId as SessionId, req)
          expect(actual, `${name} ${JSON.stringify(req)}`).toEqual(expected)
        }
      }
    }), 60_000)

  it.scoped("the process registry: claims, leases, completions and expiry, step by step", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_000)
      const all = (yield* stores).map(([name, ctx]) => [name, Context.get(ctx, ProcessRegistry)] as const)
      const random = rng(11)
      const each = <A, E>(f: (registry: ProcessRegistry["Type"]) => Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const { others, reference } = split(all)
          const expected = yield* Effect.either(f(reference))
          for (const [name, registry] of others) {
            expect(yield* Effect.either(f(registry)), `${name} answers as memory`).toEqual(expected)
          }
          return expected
        })
      const external = (id: string): ProcessRegistration => ({
        ...engineRegistration(id),
        input: { type: "external", metadata: null }
      })
      let claimed = 0
      for (let step = 0; step < 100; step++) {
        const roll = random()
        if (roll < 0.3) {
          const id = `p-${String(Math.floor(random() * 30)).padStart(2, "0")}`
          const registration = random() < 0.15 ? external(id) : engineRegistration(id)
          yield* each((r) => r.register(registration))
        } else if (roll < 0.6) {
          const request = {
            ownerId: `w${step}`,
            ttlMs: Math.floor(random() * 3) * 500,
            limit: Math.floor(random() * 5)
          }
          const leases = yield* each((r) => r.claimRunnable(request))
          const [then, release] = [random(), random() < 0.5]
          if (leases._tag === "Right") {
            claimed += leases.right.length
            const lease = leases.right[0]
            if (lease !== undefined && then < 0.4) {
              yield* each((r) =>
                release ? r.releaseLease(lease) : r.completeWithLease(lease, { type: "success", value: step })
              )
            }
          }
        } else if (roll < 0.7) {
          const id = `p-${String(Math.floor(random() * 30)).padStart(2, "0")}` as ProcessId
          yield* each((r) => r.claimLease(id, `single-${step}`, 1_000))
        } else {
          yield* TestClock.adjust(Math.floor(random() * 700))
        }
      }
      expect(claimed, "the sequence exercised the claim").toBeGreaterThan(10)
      yield* each((r) => r.listNonTerminalIds())
    }))
})
