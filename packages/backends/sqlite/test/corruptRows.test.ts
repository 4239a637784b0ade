/**
 * Corrupt rows on both first-party drivers (docs/storage-drivers.md, "Corrupt rows"): a point read, or a write unit
 * that must decode the row, fails with `CorruptRecord` naming the row by the same key on every driver; a listing of
 * independent records leaves the row out and goes on; nothing else breaks and nothing is written.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend, MemoryBackendInternals } from "@lash/backend-memory"
import {
  EffectJournal,
  Ids,
  type LashStorage,
  type OccurrenceId,
  ProcessEnvStore,
  type ProcessId,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  type StorageSignals,
  TriggerStore
} from "@lash/core"
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { emptyEnv } from "../../../core/test/fixtures.js"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { appendCommit, engineRegistration, rootSession, subscriptionDraft, tempDbFile } from "./helpers.js"

type Table = Parameters<MemoryBackendInternals["Type"]["corrupt"]>[0]

interface Opened {
  readonly ctx: Context.Context<LashStorage | StorageSignals>
  readonly corrupt: (table: Table, key: string, rawJson: string) => Effect.Effect<void>
  readonly setRecordVersion: (table: Table, key: string, version: number) => Effect.Effect<void>
}

const backends: ReadonlyArray<readonly [string, Effect.Effect<Opened, unknown, Scope.Scope>]> = [
  [
    "memory",
    Effect.map(Layer.build(MemoryBackend.layerWithInternals()), (ctx) => ({
      ctx,
      ...Context.get(ctx, MemoryBackendInternals)
    }))
  ],
  [
    "sqlite",
    Effect.flatMap(
      tempDbFile,
      (filename) =>
        Effect.map(Layer.build(SqliteBackend.layerWithInternals({ filename })), (ctx) => {
          const internals = Context.get(ctx, SqliteBackendInternals)
          return { ctx, corrupt: internals.corrupt, setRecordVersion: internals.setRecordVersion }
        })
    )
  ]
]

const sid = (s: string) => s as SessionId
const pid = (s: string) => s as ProcessId

const keyed = (sessionId: string, sourceKey: string) => ({
  sessionId: sid(sessionId),
  sourceKey,
  deliveryPolicy: "earliest_safe_boundary" as const,
  slotPolicy: "exclusive" as const,
  mergeKey: { type: "never" as const },
  availableAtMs: 0,
  payloads: [{ type: "session_command" as const, command: { k: sourceKey } }]
})

const corruptAt = (port: string, key: string) => ({ _tag: "CorruptRecord", port, key })

describe.each(backends)("%s: corrupt rows", (_name, open) => {
  it.scopedLive("sessions and nodes: point reads and commits name the row; other sessions are untouched", () =>
    Effect.gen(function*() {
      const { corrupt, ctx, setRecordVersion } = yield* open
      const store = Context.get(ctx, SessionStore)
      for (const s of ["good", "bad", "nodes"]) yield* store.create(rootSession(s))
      yield* store.commit(appendCommit("nodes", 0, [{ id: "n1" }]))
      yield* store.commit(appendCommit("nodes", 1, [{ id: "n2", parent: "n1" }]))

      yield* corrupt("sessions", "bad", "{not json")
      const head = corruptAt("SessionStore", "session:bad")
      expect(yield* Effect.flip(store.load(sid("bad")))).toMatchObject(head)
      expect(yield* Effect.flip(store.loadHead(sid("bad")))).toMatchObject(head)
      expect(yield* Effect.flip(store.loadPath(sid("bad"), { limit: 5 }))).toMatchObject(head)
      expect(yield* Effect.flip(store.commit(appendCommit("bad", 0, [{ id: "x" }])))).toMatchObject(head)
      expect(Option.isSome(yield* store.load(sid("good")))).toBe(true)

      yield* corrupt("nodes", "nodes#0", "[]")
      const node = corruptAt("SessionStore", "session:nodes/node:0")
      expect(yield* Effect.flip(store.load(sid("nodes")))).toMatchObject(node)
      expect(yield* Effect.flip(store.loadPath(sid("nodes"), { limit: 5 }))).toMatchObject(node)
      expect((yield* store.loadPath(sid("nodes"), { limit: 1 })).nodes.map((n) => n.nodeId)).toEqual(["n2"])

      yield* setRecordVersion("sessions", "good", 99)
      expect(yield* Effect.flip(store.loadHead(sid("good")))).toMatchObject({
        ...corruptAt("SessionStore", "session:good"),
        issue: "unsupported record version 99"
      })
    }))

  it.scopedLive("a head this store just committed, then tampered with, still fails the next commit", () =>
    Effect.gen(function*() {
      const { corrupt, ctx, setRecordVersion } = yield* open
      const store = Context.get(ctx, SessionStore)
      const head = (s: string) => corruptAt("SessionStore", `session:${s}`)
      for (const s of ["text", "version"]) {
        yield* store.create(rootSession(s))
        // The engine remembers the head each commit writes (packages/core/src/storage/CommitBase.ts).
        yield* store.commit(appendCommit(s, 0, [{ id: "n1" }]))
      }
      const stored = Option.getOrThrow(yield* store.loadHead(sid("text")))
      const json = JSON.stringify({ ...stored, relation: { type: "sideways" } })
      yield* corrupt("sessions", "text", json)
      expect(yield* Effect.flip(store.commit(appendCommit("text", 1, [{ id: "n2", parent: "n1" }])))).toMatchObject(
        head("text")
      )
      yield* setRecordVersion("sessions", "version", 99)
      expect(yield* Effect.flip(store.commit(appendCommit("version", 1, [{ id: "n2", parent: "n1" }]))))
        .toMatchObject({ ...head("version"), issue: "unsupported record version 99" })
      // Nothing was written by the refused commit.
      yield* setRecordVersion("sessions", "version", 1)
      expect((yield* store.loadPath(sid("version"), { limit: 5 })).nodes).toHaveLength(1)
    }))

  it.scopedLive("queued batches: listings and claims skip the bad batch; a repeated enqueue names it", () =>
    Effect.gen(function*() {
      const { corrupt, ctx } = yield* open
      const store = Context.get(ctx, SessionStore)
      yield* store.create(rootSession("q"))
      const bad = yield* store.enqueue(keyed("q", "k1"))
      const good = yield* store.enqueue(keyed("q", "k2"))
      yield* corrupt("batches", bad.batchId, JSON.stringify({ batchId: bad.batchId }))
      expect((yield* store.listQueued(sid("q"))).map((b) => b.batchId)).toEqual([good.batchId])
      expect((yield* store.listPending(sid("q"))).map((b) => b.batchId)).toEqual([good.batchId])
      expect(yield* Effect.flip(store.enqueue(keyed("q", "k1")))).toMatchObject(
        corruptAt("SessionStore", `session:q/batch:${bad.batchId}`)
      )
      const claim = yield* store.claimReady({
        sessionId: sid("q"),
        ownerId: "o",
        boundary: "idle",
        ttlMs: 60_000,
        maxBatches: 4
      })
      expect(Option.map(claim, (c) => c.batches.map((b) => b.batchId))).toEqual(Option.some([good.batchId]))
    }))

  it.scopedLive("processes and events: reads, appends and waits name the row; listings go on without it", () =>
    Effect.gen(function*() {
      const { corrupt, ctx } = yield* open
      const registry = Context.get(ctx, ProcessRegistry)
      for (const p of ["p-bad", "p-done", "p-good", "p-log"]) yield* registry.register(engineRegistration(p))
      yield* registry.completeAsHost(pid("p-done"), { type: "success", value: 1 })
      yield* registry.appendEvent(pid("p-log"), {
        eventType: "process.cancel_requested",
        payload: {},
        replayKey: "cancel-1"
      })

      yield* corrupt("processes", "p-bad", JSON.stringify({ id: "p-bad" }))
      yield* corrupt("processes", "p-done", "{")
      const process = corruptAt("ProcessRegistry", "process:p-bad")
      expect(yield* Effect.flip(registry.get(pid("p-bad")))).toMatchObject(process)
      expect(
        yield* Effect.flip(registry.appendEvent(pid("p-bad"), { eventType: "process.cancel_requested", payload: {} }))
      )
        .toMatchObject(process)
      expect(yield* Effect.flip(registry.awaitProcess(pid("p-done")).pipe(Effect.timeout("2 seconds")))).toMatchObject(
        corruptAt("ProcessRegistry", "process:p-done")
      )
      // A running corrupt row: the await fails at once, naming it, instead of hanging.
      expect(yield* Effect.flip(registry.awaitProcess(pid("p-bad")).pipe(Effect.timeout("2 seconds")))).toMatchObject(
        process
      )
      expect((yield* registry.list({})).map((r) => r.id)).toEqual(["p-good", "p-log"])
      expect((yield* registry.listNonTerminal()).map((r) => r.id)).toEqual(["p-good", "p-log"])
      expect(yield* registry.listNonTerminalIds()).toEqual(["p-bad", "p-good", "p-log"])

      yield* corrupt("events", "p-log#1", "null")
      const event = corruptAt("ProcessRegistry", "process:p-log/event:1")
      expect(yield* Effect.flip(registry.eventsAfter(pid("p-log"), 0))).toMatchObject(event)
      expect(
        yield* Effect.flip(
          registry.appendEvent(pid("p-log"), {
            eventType: "process.cancel_requested",
            payload: {},
            replayKey: "cancel-1"
          })
        )
      ).toMatchObject(event)
    }))

  it.scopedLive("envs, the journal, subscriptions and occurrences name their rows; emits reserve what they can read", () =>
    Effect.gen(function*() {
      const { corrupt, ctx } = yield* open
      const envs = Context.get(ctx, ProcessEnvStore)
      const ref = Ids.envRef(emptyEnv)
      yield* envs.put(ref, emptyEnv)
      yield* corrupt("envs", ref, "{}")
      expect(yield* Effect.flip(envs.get(ref))).toMatchObject(corruptAt("ProcessEnvStore", `env:${ref}`))

      const journal = Context.get(ctx, EffectJournal)
      const entry = { scopeId: "scope", replayKey: "k", requestHash: "h", exit: { _tag: "Success" as const, value: 1 } }
      yield* journal.record(entry)
      yield* corrupt("journal", "scope#k", "7")
      const journalKey = corruptAt("EffectJournal", "journal:scope/k")
      expect(yield* Effect.flip(journal.lookup("scope", "k"))).toMatchObject(journalKey)
      expect(yield* Effect.flip(journal.record(entry))).toMatchObject(journalKey)

      const triggers = Context.get(ctx, TriggerStore)
      const one = yield* triggers.register(subscriptionDraft("one"))
      const two = yield* triggers.register(subscriptionDraft("two"))
      yield* corrupt("subscriptions", one.subscriptionId, "{}")
      expect((yield* triggers.list({})).map((s) => s.handle)).toEqual([two.handle])
      expect(yield* Effect.flip(triggers.register(subscriptionDraft("one")))).toMatchObject(
        corruptAt("TriggerStore", `subscription:${one.subscriptionId}`)
      )
      const request = {
        sourceType: "test.Ping",
        sourceKey: Ids.emptySourceKey("test.Ping"),
        payload: {},
        idempotencyKey: "i1"
      }
      const occurrence = yield* triggers.recordOccurrence(request)
      const reserved = yield* triggers.reserveDeliveries(occurrence.occurrenceId)
      expect(reserved.map((r) => r.subscription.handle)).toEqual([two.handle])

      yield* corrupt("occurrences", occurrence.occurrenceId, "[")
      const occurrenceKey = corruptAt("TriggerStore", `occurrence:${occurrence.occurrenceId}`)
      expect(yield* Effect.flip(triggers.recordOccurrence(request))).toMatchObject(occurrenceKey)
      expect(yield* Effect.flip(triggers.reserveDeliveries(occurrence.occurrenceId as OccurrenceId))).toMatchObject(
        occurrenceKey
      )
    }))
})
