/**
 * Storage-level behaviour of the SQLite backend: reopen, two handles on one file, durability refusal, leases on the
 * Effect clock (corrupt rows: corruptRows.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  EffectJournal,
  type ProcessId,
  ProcessRegistry,
  type RuntimeCommit,
  type SessionId,
  SessionStore,
  StoreUnavailable,
  TriggerStore
} from "@lash/core"
import { Context, Effect, Either, Layer, Option, TestClock } from "effect"
import * as fs from "node:fs"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { appendCommit, engineRegistration, rootSession, subscriptionDraft, tempDbFile } from "./helpers.js"

const sid = (s: string) => s as SessionId
const pid = (s: string) => s as ProcessId

/** A commit appending one protocol node under `parent`. */
const commitOf = (
  sessionId: string,
  expected: number,
  nodeId: string,
  parent?: string,
  turnId?: string
): RuntimeCommit => appendCommit(sessionId, expected, [{ id: nodeId, parent }], turnId)

const open = (filename: string) => Layer.build(SqliteBackend.layerWithInternals({ filename, busyTimeoutMs: 500 }))

describe("reopen", () => {
  it.scopedLive("sessions, queued work, processes, leases, triggers and the journal survive close and reopen", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const first = yield* Effect.scoped(
        Effect.gen(function*() {
          const ctx = yield* open(filename)
          const sessions = Context.get(ctx, SessionStore)
          const registry = Context.get(ctx, ProcessRegistry)
          yield* sessions.create(rootSession("s1"))
          yield* sessions.commit(commitOf("s1", 0, "n1", undefined, "t1"))
          yield* sessions.commit(commitOf("s1", 1, "n2", "n1", "t2"))
          const batch = yield* sessions.enqueue({
            sessionId: sid("s1"),
            sourceKey: "k1",
            deliveryPolicy: "earliest_safe_boundary",
            slotPolicy: "exclusive",
            mergeKey: { type: "never" },
            availableAtMs: 0,
            payloads: [{ type: "session_command", command: { hello: 1 } }]
          })
          yield* registry.register(engineRegistration("p1"))
          const lease = yield* registry.claimLease(pid("p1"), "owner-a", 60_000)
          yield* registry.releaseLease(lease)
          yield* registry.appendEvent(pid("p1"), { eventType: "process.progress", payload: { message: "half" } }).pipe(
            Effect.either
          )
          const sub = yield* Context.get(ctx, TriggerStore).register(subscriptionDraft("owner:turn:1:node:0"))
          yield* Context.get(ctx, EffectJournal).record({
            scopeId: "scope",
            replayKey: "k",
            requestHash: "h",
            exit: { _tag: "Success", value: 1 }
          })
          return { batch, lease, sub }
        })
      )
      const ctx = yield* open(filename)
      const sessions = Context.get(ctx, SessionStore)
      const registry = Context.get(ctx, ProcessRegistry)
      const loaded = Option.getOrThrow(yield* sessions.load(sid("s1")))
      expect(loaded.headRevision).toBe(2)
      expect(loaded.graph.nodes.map((n) => n.nodeId)).toEqual(["n1", "n2"])
      expect(loaded.graph.leafNodeId).toBe("n2")
      expect(yield* sessions.loadPath(sid("s1"), { limit: 1 })).toMatchObject({
        nodes: [{ nodeId: "n2" }],
        hasMore: true
      })
      expect(yield* sessions.loadPath(sid("s1"), { limit: 5 })).toMatchObject({
        nodes: [{ nodeId: "n1" }, { nodeId: "n2" }],
        hasMore: false
      })
      // The stamp survived: replaying turn t2 returns the stored result without writing.
      expect(yield* sessions.commit(commitOf("s1", 1, "n2", "n1", "t2"))).toEqual({ headRevision: 2 })
      expect((yield* sessions.listQueued(sid("s1"))).map((b) => b.batchId)).toEqual([first.batch.batchId])
      // The enqueue counter continues; the keyed batch is deduplicated.
      const again = yield* sessions.enqueue({ ...first.batch, sourceKey: "k1", payloads: [] })
      expect(again.batchId).toBe(first.batch.batchId)
      expect(again.items).toHaveLength(1)
      const record = yield* registry.get(pid("p1"))
      expect(record.status.state).toBe("running")
      // The fencing token only grows across a restart.
      const lease = yield* registry.claimLease(pid("p1"), "owner-b", 60_000)
      expect(lease.fencingToken).toBe(first.lease.fencingToken + 1)
      // The trigger handle counter never restarts.
      const subs = yield* Context.get(ctx, TriggerStore).list({})
      expect(subs.map((s) => s.handle)).toEqual([first.sub.handle])
      const second = yield* Context.get(ctx, TriggerStore).register(subscriptionDraft("other"))
      expect(second.handleNo).toBe(first.sub.handleNo + 1)
      expect(Option.isSome(yield* Context.get(ctx, EffectJournal).lookup("scope", "k"))).toBe(true)
    }))
})

describe("two handles on one file", () => {
  it.scopedLive("racing claimRunnable and claimLease: every process is leased exactly once", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const a = Context.get(yield* open(filename), ProcessRegistry)
      const b = Context.get(yield* open(filename), ProcessRegistry)
      for (let i = 0; i < 20; i++) yield* a.register(engineRegistration(`p-${String(i).padStart(2, "0")}`))
      const results = yield* Effect.all(
        [a, b, a, b].map((r, i) => r.claimRunnable({ ownerId: `owner-${i}`, ttlMs: 60_000, limit: 7 })),
        { concurrency: "unbounded" }
      )
      const leased = results.flat().map((l) => l.processId)
      expect(leased).toHaveLength(20)
      expect(new Set(leased).size).toBe(20)
      expect(yield* a.claimRunnable({ ownerId: "late", ttlMs: 60_000, limit: 10 })).toEqual([])

      yield* a.register(engineRegistration("single"))
      const race = yield* Effect.all(
        [a.claimLease(pid("single"), "x", 60_000), b.claimLease(pid("single"), "y", 60_000)].map(Effect.either),
        { concurrency: "unbounded" }
      )
      expect(race.filter(Either.isRight)).toHaveLength(1)
      expect(race.filter(Either.isLeft).map((e) => e.left._tag)).toEqual(["LeaseHeld"])
    }))

  it.scopedLive("a head-revision compare-and-set across handles: one commit wins, the other is a typed conflict, nothing half-written", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const a = Context.get(yield* open(filename), SessionStore)
      const b = Context.get(yield* open(filename), SessionStore)
      yield* a.create(rootSession("cas"))
      const outcomes = yield* Effect.all(
        [a.commit(commitOf("cas", 0, "from-a")), b.commit(commitOf("cas", 0, "from-b"))].map(Effect.either),
        { concurrency: "unbounded" }
      )
      const wins = outcomes.filter(Either.isRight)
      const losses = outcomes.filter(Either.isLeft)
      expect(wins).toHaveLength(1)
      expect(wins[0]!.right).toEqual({ headRevision: 1 })
      expect(losses).toHaveLength(1)
      expect(losses[0]!.left).toMatchObject({ _tag: "HeadRevisionConflict", expected: 0, actual: 1 })
      for (const store of [a, b]) {
        const loaded = Option.getOrThrow(yield* store.load(sid("cas")))
        expect(loaded.headRevision).toBe(1)
        expect(loaded.graph.nodes).toHaveLength(1)
        expect(loaded.graph.leafNodeId).toBe(loaded.graph.nodes[0]!.nodeId)
      }
    }))

  it.scopedLive("racing queue claims across handles: one claim owns the batch", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const a = Context.get(yield* open(filename), SessionStore)
      const b = Context.get(yield* open(filename), SessionStore)
      yield* a.create(rootSession("q"))
      yield* a.enqueue({
        sessionId: sid("q"),
        deliveryPolicy: "earliest_safe_boundary",
        slotPolicy: "exclusive",
        mergeKey: { type: "never" },
        availableAtMs: 0,
        payloads: [{ type: "session_command", command: null }]
      })
      const claims = yield* Effect.all(
        [a, b, a, b].map((s, i) =>
          s.claimReady({ sessionId: sid("q"), ownerId: `o${i}`, boundary: "idle", ttlMs: 60_000, maxBatches: 4 })
        ),
        { concurrency: "unbounded" }
      )
      expect(claims.filter(Option.isSome)).toHaveLength(1)
    }))
})

describe("open sequence", () => {
  it.scopedLive("a synchronous pragma that does not read back as asked is refused with a typed error", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const error = yield* Effect.flip(
        Layer.build(
          SqliteBackend.layerWithInternals({ filename }, {
            afterPragmas: (sql) => Effect.asVoid(sql.unsafe("PRAGMA synchronous = OFF"))
          })
        )
      )
      expect(error).toBeInstanceOf(StoreUnavailable)
      expect(error.cause).toMatchObject({
        _tag: "SqlitePragmaMismatch",
        pragma: "synchronous",
        expected: "2",
        actual: "0"
      })
      const normal = yield* Effect.flip(
        Layer.build(
          SqliteBackend.layerWithInternals({ filename, synchronous: "normal" }, {
            afterPragmas: (sql) => Effect.asVoid(sql.unsafe("PRAGMA synchronous = FULL"))
          })
        )
      )
      expect(normal.cause).toMatchObject({
        _tag: "SqlitePragmaMismatch",
        pragma: "synchronous",
        expected: "1",
        actual: "2"
      })
      // Without the hook the same file opens.
      yield* Layer.build(SqliteBackend.layer({ filename }))
    }))

  it.scopedLive("in-memory filenames and foreign databases are refused", () =>
    Effect.gen(function*() {
      const memory = yield* Effect.flip(Layer.build(SqliteBackend.layer({ filename: ":memory:" })))
      expect(memory.cause).toMatchObject({ _tag: "SqliteOpenRefused" })
      const filename = yield* tempDbFile
      // A foreign database: a table but no lash_meta.
      const ctx = yield* Effect.scoped(open(filename).pipe(Effect.map(Context.get(SqliteBackendInternals))))
      void ctx
      const foreign = `${filename}.foreign`
      fs.copyFileSync(filename, foreign)
      const other = yield* Effect.scoped(
        Effect.gen(function*() {
          const internals = Context.get(yield* open(foreign), SqliteBackendInternals)
          yield* internals.sql.unsafe("DROP TABLE lash_meta").pipe(Effect.orDie)
        })
      )
      void other
      const refused = yield* Effect.flip(Layer.build(SqliteBackend.layer({ filename: foreign })))
      expect(refused.cause).toMatchObject({ _tag: "SqliteOpenRefused" })
    }))

  it.scopedLive("two handles booting a fresh file at once both migrate safely", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const [a, b] = yield* Effect.all([open(filename), open(filename)], { concurrency: "unbounded" })
      yield* Context.get(a, SessionStore).create(rootSession("x"))
      expect(yield* Context.get(b, SessionStore).exists(sid("x"))).toBe(true)
    }))
})

describe("leases on the Effect clock", () => {
  it.scoped("expiry (TestClock) lets another owner take over with a higher fence; the stale owner's terminal write is rejected", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_000)
      const filename = yield* tempDbFile
      const registry = Context.get(yield* open(filename), ProcessRegistry)
      yield* registry.register(engineRegistration("fenced"))
      const first = yield* registry.claimLease(pid("fenced"), "owner-a", 1_000)
      expect(first.claimedAtMs).toBe(1_767_225_600_000)
      expect(yield* Effect.flip(registry.claimLease(pid("fenced"), "owner-a", 1_000))).toMatchObject({
        _tag: "LeaseHeld"
      })
      yield* TestClock.adjust(1_000)
      expect(yield* Effect.flip(registry.renewLease(first, 1_000))).toMatchObject({ _tag: "LeaseLost" })
      const second = yield* registry.claimLease(pid("fenced"), "owner-b", 60_000)
      expect(second.fencingToken).toBe(first.fencingToken + 1)
      expect(yield* Effect.flip(registry.completeWithLease(first, { type: "success", value: "stale" }))).toMatchObject({
        _tag: "LeaseLost"
      })
      const done = yield* registry.completeWithLease(second, { type: "success", value: "fresh" })
      expect(done.status).toEqual({ state: "completed", awaitOutput: { type: "success", value: "fresh" } })
      expect(yield* registry.listNonTerminalIds()).toEqual([])
      // The release kept the fence: a re-claim (terminal rows can be leased) gets the next token.
      expect((yield* registry.claimLease(pid("fenced"), "owner-c", 1)).fencingToken).toBe(second.fencingToken + 1)
    }))
})
