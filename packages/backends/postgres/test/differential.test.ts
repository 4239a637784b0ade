/**
 * The memory, SQLite and Postgres backends in lockstep (with and without the SQL driver's fast paths on Postgres):
 * the same operations give the same answers.
 * - `loadPath` on a session whose graph has long linear stretches and branches far back, from the leaf, from older
 *   leaves and paged with `beforeNodeId`;
 * - the process registry under `TestClock` (Postgres reads Effect's clock here, `clock: "host"`): registrations,
 *   `claimRunnable` among terminal, external, leased, expired and released processes, single claims, completions;
 * - fenced completions (`completeWithLease`, one row write with `updateRecordAndLease`): the same answers everywhere,
 *   and the same stored process and event rows on Postgres with and without the single-statement write.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { type LashStorage, ProcessRegistry, type SessionId, SessionStore } from "@lash/core"
import { tempDirectory } from "@lash/testing"
import { Context, Effect, Layer, type Scope, TestClock } from "effect"
import * as path from "node:path"
import {
  branchedGraph,
  fencedCompletionSteps,
  loadPathQueries,
  type Lockstep,
  registrySteps,
  rng
} from "../../sqlite/test/lockstep.js"
import { PostgresBackend, PostgresBackendInternals } from "../src/index.js"

const postgres = (fastPaths: boolean) =>
  Effect.flatMap(
    PostgresBackend.testing.reopenable({}, { clock: "host", withoutFastPaths: !fastPaths }),
    (db) => Layer.build(db.open())
  )

/** Every store, and the two Postgres handles' internals (their stored rows). */
const storesWithPostgres = Effect.gen(function*() {
  const dir = yield* tempDirectory
  const [fast, generic] = [yield* postgres(true), yield* postgres(false)]
  const all: ReadonlyArray<readonly [string, Context.Context<LashStorage>]> = [
    ["memory", yield* Layer.build(MemoryBackend.layer())],
    ["sqlite", yield* Layer.build(SqliteBackend.layer({ filename: path.join(dir, "lash.db"), synchronous: "normal" }))],
    ["postgres", fast],
    ["postgres without fast paths", generic]
  ]
  return {
    all,
    fast: Context.get(fast, PostgresBackendInternals),
    generic: Context.get(generic, PostgresBackendInternals)
  }
})

const stores: Effect.Effect<
  ReadonlyArray<readonly [string, Context.Context<LashStorage>]>,
  unknown,
  Scope.Scope
> = Effect.map(storesWithPostgres, (opened) => opened.all)

/** The first store (memory, the reference) and the others. */
const split = <A>(all: ReadonlyArray<readonly [string, A]>) => ({ reference: all[0]![1], others: all.slice(1) })

/** Runs each step on every registry and expects every other backend to answer as the first (memory) does. */
const lockstep = (all: ReadonlyArray<readonly [string, ProcessRegistry["Type"]]>): Lockstep => (f) =>
  Effect.gen(function*() {
    const { others, reference } = split(all)
    const expected = yield* Effect.either(f(reference))
    for (const [name, registry] of others) {
      expect(yield* Effect.either(f(registry)), `${name} answers as memory`).toEqual(expected)
    }
    return expected
  })

describe("memory, SQLite and Postgres agree", () => {
  it.scopedLive("loadPath on linear, branched and paged queries", () =>
    Effect.gen(function*() {
      const all = (yield* stores).map(([name, ctx]) => [name, Context.get(ctx, SessionStore)] as const)
      const random = rng(7)
      const sessionId = "paths"
      const ids = yield* branchedGraph(all.map(([, store]) => store), sessionId, 80, random)
      const queries = loadPathQueries(ids, random, {
        limits: [0, 1, 2, 7, 50, 255, 256, 1000],
        pairs: 30,
        maxLimit: 200
      })
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
      const each = lockstep(all)
      const claimed = yield* registrySteps(each, random, { steps: 100, processes: 30 })
      expect(claimed, "the sequence exercised the claim").toBeGreaterThan(10)
      yield* each((r) => r.listNonTerminalIds())
    }))

  it.scoped("fenced completions: the same answers, and on Postgres the same rows with and without the single-statement write", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_000)
      const opened = yield* storesWithPostgres
      const all = opened.all.map(([name, ctx]) => [name, Context.get(ctx, ProcessRegistry)] as const)
      const each = lockstep(all)
      expect(yield* fencedCompletionSteps(each), "four ends (one of them a replay), three refused").toBe(4)
      const rows = (internals: PostgresBackendInternals["Type"]) =>
        Effect.all([
          internals.query("SELECT * FROM lash_processes ORDER BY process_id"),
          internals.query("SELECT * FROM lash_process_events ORDER BY process_id, sequence")
        ])
      const stored = yield* rows(opened.fast)
      expect(stored[0].length, "the rows are read").toBe(6)
      expect(yield* rows(opened.generic), "the same process and event rows").toEqual(stored)
    }))
})
