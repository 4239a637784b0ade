/**
 * State that must be shared by every handle on one store and survive closing them (packages/testing/README.md,
 * "Handles and reopen"). They run at both tiers: building the layer `fresh` returned again is a real reopen for a
 * durable backend and the same live store for an inline one, so a backend that keeps state per handle fails either way.
 * - Concurrent scenarios build the second handle BEFORE any write and read through it before and after: no handle may
 *   keep a local cache, a local counter or a local lease table.
 * - Sequential scenarios write through a handle that is then closed completely, and read through a new one.
 *
 * Longer than 400 lines on purpose: a list of independent entries, each readable on its own, that a reader
 * looks up by id; splitting it further would only scatter one port's contract over more files.
 *
 * @since 0.1.0
 */
import {
  ArtifactStore,
  EffectJournal,
  type EnvRef,
  ProcessEnvStore,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  TriggerStore
} from "@lash/core"
import { Context, Effect, Option } from "effect"
import {
  batchDraft,
  batchTexts,
  button,
  buttonKey,
  commitOf,
  createRequest,
  envSpec,
  moduleArtifact,
  pid,
  reg,
  same,
  scope,
  sid,
  stamped,
  triggerDraft,
  wakeType
} from "./Fixtures.js"
import type { Scenario } from "./Harness.js"

const day = 60_000

/** The reopen scenarios. @since 0.1.0 */
export const reopenScenarios: ReadonlyArray<Scenario> = [
  {
    id: "PR-R1",
    suite: "ProcessRegistry",
    title: "the registry is shared by two live handles and survives reopen",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, ProcessRegistry)
        const r = Context.get(ctx.handle, ProcessRegistry)
        const id = pid("proc-reopen")
        yield* r.register(reg("proc-reopen", { eventTypes: [wakeType("producer.reopen_wake")] }))
        const before = yield* other.eventsAfter(id, 0)
        const grantsBefore = yield* other.listHandleGrants(scope("reopen-session"))
        yield* r.grantHandle(scope("reopen-session"), id, { label: "reopen" })
        const req = {
          eventType: "producer.reopen_wake",
          payload: { wake_input: "w" },
          replayKey: "producer:reopen",
          wakeTargetScope: scope("reopen-session")
        }
        const first = yield* r.appendEvent(id, req)
        const events = yield* other.eventsAfter(id, 0)
        const grants = yield* other.listHandleGrants(scope("reopen-session"))
        yield* ctx.invariant(
          "the other handle, which read before the writes, sees the event and the grant",
          before.length === 0 && grantsBefore.length === 0 && events.length === 1 &&
            events[0]!.sequence === first.event.sequence && grants.length === 1,
          { before: [0, 0], after: { events: [first.event.sequence], grants: 1 } },
          {
            before: [before.length, grantsBefore.length],
            after: { events: events.map((e) => e.sequence), grants: grants.length }
          }
        )
        const replay = yield* other.appendEvent(id, req)
        const rows = yield* r.eventsAfter(id, 0)
        yield* ctx.invariant(
          "a replayed key on the other handle returns the original sequence and adds no row",
          replay.event.sequence === first.event.sequence && rows.length === 1,
          { sequence: first.event.sequence, rows: 1 },
          { sequence: replay.event.sequence, rows: rows.length }
        )
      })
  },
  {
    id: "RP-R1",
    suite: "RuntimePersistence",
    title: "sessions and queues are shared by two live handles and survive reopen",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, SessionStore)
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("root"))
        const seeded = yield* other.load(sid("root"))
        const queuedBefore = yield* other.listQueued(sid("root"))
        const c = commitOf("root", 0, "t1")
        yield* s.commit(stamped({ ...c, checkpoint: { ...c.checkpoint, toolState: { generation: 77 } } }, "t1"))
        const batch = yield* s.enqueue(batchDraft("root", "survives reopen", "reopen:queued"))
        const loaded = yield* other.load(sid("root"))
        const queued = yield* other.listQueued(sid("root"))
        const seen = {
          before: Option.map(seeded, (l) => l.headRevision),
          queuedBefore: queuedBefore.length,
          after: Option.map(loaded, (l) => [l.headRevision, l.checkpoint.toolState]),
          queued: queued.map((b) => [b.batchId, ...batchTexts([b])])
        }
        const expected = {
          before: Option.some(0),
          queuedBefore: 0,
          after: Option.some([1, { generation: 77 }]),
          queued: [[batch.batchId, "survives reopen"]]
        }
        yield* ctx.invariant(
          "the other handle, which read before the writes, sees revision 1, the checkpoint and the batch",
          same(seen, expected),
          expected,
          seen
        )
      })
  },
  {
    id: "TS-R1",
    suite: "TriggerStore",
    title: "triggers are shared by two live handles and survive reopen",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, TriggerStore)
        const t = Context.get(ctx.handle, TriggerStore)
        const before = yield* other.list({ sessionId: "session-a" as SessionId })
        const sub = yield* t.register(triggerDraft("session-a", buttonKey, "on_button"))
        const occ = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        const first = yield* t.reserveDeliveries(occ.occurrenceId)
        const listed = yield* other.list({ sessionId: "session-a" as SessionId })
        const replay = yield* other.recordOccurrence(button(buttonKey, "button-blue-1"))
        const r = yield* other.reserveDeliveries(replay.occurrenceId)
        const next = yield* other.recordOccurrence(button(buttonKey, "button-blue-2"))
        const r2 = yield* other.reserveDeliveries(next.occurrenceId)
        const seen = {
          before: before.length,
          handle: listed.map((x) => x.handle),
          occurrence: replay.occurrenceId === occ.occurrenceId,
          replayReserve: r.map((x) => x.isNew),
          nextReserve: r2.map((x) => [x.subscription.handle, x.isNew])
        }
        const expected = {
          before: 0,
          handle: [sub.handle],
          occurrence: true,
          replayReserve: [false],
          nextReserve: [[sub.handle, true]]
        }
        yield* ctx.invariant(
          "the other handle sees the subscription, the occurrence and its reservation; a new occurrence reserves once",
          first.length === 1 && same(seen, expected),
          expected,
          seen
        )
      })
  },
  {
    id: "PE-R1",
    suite: "EnvAndArtifact",
    title: "envs and artifacts survive closing the handle that wrote them",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const artifact = yield* moduleArtifact
        yield* ctx.closed((h) =>
          Effect.gen(function*() {
            yield* Context.get(h, ProcessEnvStore).put("process-env:reopen" as EnvRef, envSpec("r"))
            yield* Context.get(h, ArtifactStore).put(artifact)
          })
        )
        const again = yield* ctx.reopen
        const env = yield* Context.get(again, ProcessEnvStore).get("process-env:reopen" as EnvRef)
        const art = yield* Context.get(again, ArtifactStore).get(artifact.moduleRef)
        yield* ctx.invariant(
          "both are read back by a new handle",
          Option.isSome(env) && same(env.value, envSpec("r")) && Option.isSome(art) && same(art.value, artifact),
          "both Some, deep-equal",
          [env._tag, art._tag]
        )
      })
  },
  {
    id: "EJ-R1",
    suite: "EffectJournal",
    title: "journal entries survive closing the handle that wrote them",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const entry = {
          scopeId: "turn:s1:t",
          replayKey: "k",
          requestHash: "h1",
          exit: { _tag: "Failure" as const, error: { code: "kept" } }
        }
        yield* ctx.closed((h) => Context.get(h, EffectJournal).record(entry))
        const found = yield* Context.get(yield* ctx.reopen, EffectJournal).lookup("turn:s1:t", "k")
        yield* ctx.invariant(
          "the entry is read back by a new handle",
          Option.isSome(found) && same(found.value, entry),
          entry,
          found
        )
      })
  },
  {
    id: "X-REOPEN-1",
    suite: "ProcessRegistry",
    title: "a lease taken on one handle blocks the other; fencing keeps rising across handles",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, ProcessRegistry)
        const r = Context.get(ctx.handle, ProcessRegistry)
        yield* r.register(reg("p"))
        const first = yield* r.claimLease(pid("p"), "owner-a", day)
        yield* ctx.expectFailure(
          "a live lease taken on one handle blocks a claim on the other",
          other.claimLease(pid("p"), "owner-b", day),
          "LeaseHeld"
        )
        yield* ctx.expectSuccess("the lease renews through the other handle", other.renewLease(first, day))
        yield* other.releaseLease(first)
        yield* ctx.expectSuccess(
          "after release on the other handle, a new claim there fences above every earlier lease",
          other.claimLease(pid("p"), "owner-b", day),
          (v) => v.fencingToken > first.fencingToken,
          `fencingToken > ${first.fencingToken}`
        )
        yield* ctx.expectFailure(
          "and that lease blocks the first handle",
          r.claimLease(pid("p"), "owner-c", day),
          "LeaseHeld"
        )
      })
  },
  {
    id: "X-REOPEN-2",
    suite: "ProcessRegistry",
    title: "terminal state and the recovery worklist survive closing the handle that wrote them",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        yield* ctx.closed((h) =>
          Effect.gen(function*() {
            const r = Context.get(h, ProcessRegistry)
            yield* r.register(reg("p-live"))
            yield* r.register(reg("p-done", { external: true }))
            yield* r.completeAsHost(pid("p-done"), { type: "success", value: { v: 1 } })
          })
        )
        const r = Context.get(yield* ctx.reopen, ProcessRegistry)
        const out = yield* ctx.within(
          "a completed process awaits to its output after reopen",
          1_000,
          r.awaitProcess(pid("p-done"))
        )
        yield* ctx.invariant(
          "the terminal output survives",
          same(out, { type: "success", value: { v: 1 } }),
          { type: "success", value: { v: 1 } },
          out
        )
        const worklist = yield* r.listNonTerminalIds()
        yield* ctx.invariant("the worklist is unchanged", same(worklist, ["p-live"]), ["p-live"], worklist)
        const again = yield* r.register(reg("p-done", { external: true }))
        const live = yield* r.register(reg("p-live"))
        yield* ctx.invariant(
          "registration replay still returns created: false",
          !again.created && !live.created && again.record.status.state === "completed",
          [false, false, "completed"],
          [again.created, live.created, again.record.status.state]
        )
      })
  },
  {
    id: "X-REOPEN-3",
    suite: "RuntimePersistence",
    title: "queue claims are shared by two live handles",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, SessionStore)
        const s = Context.get(ctx.handle, SessionStore)
        const claim = (store: typeof s, owner: string) =>
          store.claimReady({ sessionId: sid("root"), ownerId: owner, boundary: "idle", ttlMs: day, maxBatches: 10 })
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "first"))
        const pendingBefore = yield* other.listPending(sid("root"))
        const taken = yield* ctx.some("a claim of the pending batch is granted", yield* claim(s, "owner-a"))
        const pending = yield* other.listPending(sid("root"))
        const blocked = yield* claim(other, "owner-b")
        yield* ctx.invariant(
          "a claim taken on one handle cannot be claimed on the other, and is no longer pending there",
          pendingBefore.length === 1 && Option.isNone(blocked) && pending.length === 0,
          { pendingBefore: 1, claim: null, pending: 0 },
          {
            pendingBefore: pendingBefore.length,
            claim: Option.map(blocked, (c) => batchTexts(c.batches)),
            pending: pending.length
          }
        )
        const done = yield* Effect.either(other.commit(commitOf("root", 0, "t1", { completing: [taken] })))
        const left = yield* s.listQueued(sid("root"))
        yield* ctx.invariant(
          "a commit on the other handle completes it with the original completion",
          done._tag === "Right" && left.length === 0,
          { headRevision: 1, queued: 0 },
          { commit: done._tag === "Right" ? done.right.headRevision : done.left, queued: left.length }
        )
        yield* s.enqueue(batchDraft("root", "second"))
        const mine = yield* ctx.some("a claim of the pending batch is granted", yield* claim(s, "owner-a"))
        yield* s.abandonClaim(mine)
        const retaken = yield* claim(other, "owner-b")
        yield* ctx.invariant(
          "abandon on one handle, then reclaim on the other, bumps the fencing token",
          Option.isSome(retaken) && retaken.value.fencingToken > mine.fencingToken,
          `fencingToken > ${mine.fencingToken}`,
          Option.map(retaken, (c) => c.fencingToken)
        )
      })
  },
  {
    id: "X-REOPEN-4",
    suite: "RuntimePersistence",
    title: "turn stamps and the head survive closing the handle that wrote them",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const c1 = commitOf("root", 0, "t1")
        const c2 = commitOf("root", 1, "t2")
        yield* ctx.closed((h) =>
          Effect.gen(function*() {
            const s = Context.get(h, SessionStore)
            yield* s.create(createRequest("root"))
            yield* s.commit(c1)
            yield* s.commit(c2)
          })
        )
        const s = Context.get(yield* ctx.reopen, SessionStore)
        yield* ctx.expectSuccess(
          "retrying the last stamped commit returns its stored result",
          s.commit(c2),
          (v) => v.headRevision === 2,
          2
        )
        yield* ctx.expectFailure(
          "a changed hash under that stamp conflicts",
          s.commit(commitOf("root", 2, "t2", { text: "changed" })),
          "TurnCommitConflict"
        )
        yield* ctx.expectSuccess(
          "the pre-close head revision is accepted as expectedHeadRevision",
          s.commit(commitOf("root", 2, "t3")),
          (v) => v.headRevision === 3,
          3
        )
        yield* ctx.expectFailure(
          "a stale expected head conflicts",
          s.commit(commitOf("root", 2, "t4")),
          "HeadRevisionConflict"
        )
      })
  },
  {
    id: "X-REOPEN-5",
    suite: "ProcessRegistry",
    title: "event sequences continue across live handles",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const other = Context.get(yield* ctx.reopen, ProcessRegistry)
        const r = Context.get(ctx.handle, ProcessRegistry)
        yield* r.register(reg("seq", { eventTypes: [wakeType("producer.line")] }))
        const before = yield* other.eventsAfter(pid("seq"), 0)
        for (const line of ["one", "two", "three"]) {
          yield* r.appendEvent(pid("seq"), { eventType: "producer.line", payload: { line } })
        }
        const fourth = yield* other.appendEvent(pid("seq"), { eventType: "producer.line", payload: { line: "four" } })
        const fifth = yield* r.appendEvent(pid("seq"), { eventType: "producer.line", payload: { line: "five" } })
        const a = (yield* r.eventsAfter(pid("seq"), 0)).map((e) => e.sequence)
        const b = (yield* other.eventsAfter(pid("seq"), 0)).map((e) => e.sequence)
        yield* ctx.invariant(
          "after 3 appends on one handle an append on the other gets sequence 4, and the next on the first 5",
          before.length === 0 && fourth.event.sequence === 4 && fifth.event.sequence === 5 &&
            same(a, [1, 2, 3, 4, 5]) && same(b, a),
          { fourth: 4, fifth: 5, events: [1, 2, 3, 4, 5] },
          { fourth: fourth.event.sequence, fifth: fifth.event.sequence, first: a, other: b }
        )
      })
  },
  {
    id: "X-REOPEN-6",
    suite: "TriggerStore",
    title: "trigger handles and cancel state survive closing the handle that wrote them",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const written = yield* ctx.closed((h) =>
          Effect.gen(function*() {
            const t = Context.get(h, TriggerStore)
            const a = yield* t.register(triggerDraft("session-a", buttonKey, "a"))
            const b = yield* t.register(triggerDraft("session-a", buttonKey, "b"))
            yield* t.cancel("session-a" as SessionId, b.handle)
            return [a, b] as const
          })
        )
        const t = Context.get(yield* ctx.reopen, TriggerStore)
        const c = yield* t.register(triggerDraft("session-b", buttonKey, "c"))
        const existing = written.map((x) => x.handle)
        yield* ctx.invariant(
          "a new registration gets a handle that differs from every existing one (no counter restarting at 1)",
          !existing.includes(c.handle) && c.handleNo > Math.max(...written.map((x) => x.handleNo)),
          `a handle not in ${JSON.stringify(existing)}`,
          [c.handle, c.handleNo]
        )
        const listed = (yield* t.list({ sessionId: "session-a" as SessionId })).map((x) => [x.handle, x.enabled])
        const expected = [[written[0].handle, true], [written[1].handle, false]]
        yield* ctx.invariant(
          "a disabled subscription stays disabled",
          same(listed, expected),
          expected,
          listed
        )
      })
  },
  {
    id: "X-TIER-4",
    suite: "Backend",
    title: "a record in every port survives closing every handle",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const artifact = yield* moduleArtifact
        const written = yield* ctx.closed((h) =>
          Effect.gen(function*() {
            const sessions = Context.get(h, SessionStore)
            yield* sessions.create(createRequest("tier4"))
            yield* sessions.commit(commitOf("tier4", 0, "t1"))
            const batch = yield* sessions.enqueue(batchDraft("tier4", "queued", "tier4:queued"))
            const registry = Context.get(h, ProcessRegistry)
            yield* registry.register(reg("tier4-proc", { eventTypes: [wakeType("producer.line")] }))
            yield* registry.appendEvent(pid("tier4-proc"), { eventType: "producer.line", payload: { line: "x" } })
            yield* registry.grantHandle(scope("tier4"), pid("tier4-proc"), {})
            const t = Context.get(h, TriggerStore)
            const sub = yield* t.register(triggerDraft("tier4", buttonKey, "tier4-sub"))
            const occ = yield* t.recordOccurrence(button(buttonKey, "tier4-occ"))
            yield* Context.get(h, ProcessEnvStore).put("process-env:tier4" as EnvRef, envSpec("tier4"))
            yield* Context.get(h, ArtifactStore).put(artifact)
            yield* Context.get(h, EffectJournal).record({
              scopeId: "turn:tier4:t",
              replayKey: "k",
              requestHash: "h",
              exit: { _tag: "Success", value: 1 }
            })
            return { batchId: batch.batchId, handle: sub.handle, occurrenceId: occ.occurrenceId }
          })
        )
        const h = yield* ctx.reopen
        const loaded = yield* Context.get(h, SessionStore).load(sid("tier4"))
        const queued = yield* Context.get(h, SessionStore).listQueued(sid("tier4"))
        const events = yield* Effect.either(Context.get(h, ProcessRegistry).eventsAfter(pid("tier4-proc"), 0))
        const grants = yield* Context.get(h, ProcessRegistry).listHandleGrants(scope("tier4"))
        const subs = yield* Context.get(h, TriggerStore).list({ sessionId: sid("tier4") })
        const occ = yield* Context.get(h, TriggerStore).recordOccurrence(button(buttonKey, "tier4-occ"))
        const env = yield* Context.get(h, ProcessEnvStore).get("process-env:tier4" as EnvRef)
        const art = yield* Context.get(h, ArtifactStore).get(artifact.moduleRef)
        const entry = yield* Context.get(h, EffectJournal).lookup("turn:tier4:t", "k")
        const found = {
          session: Option.isSome(loaded) && loaded.value.headRevision === 1,
          batch: queued[0]?.batchId === written.batchId,
          event: events._tag === "Right" && events.right.length === 1,
          grant: grants.length === 1,
          subscription: subs[0]?.handle === written.handle,
          occurrence: occ.occurrenceId === written.occurrenceId,
          env: Option.isSome(env),
          artifact: Option.isSome(art),
          journal: Option.isSome(entry)
        }
        yield* ctx.invariant(
          "every port's record is read back after the handle that wrote them closed",
          Object.values(found).every((x) => x),
          "all true",
          found
        )
      })
  }
]
