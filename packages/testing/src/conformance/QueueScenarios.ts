/**
 * RuntimePersistence scenarios of queued work: source-key idempotency, claims (boundaries, head-of-line gating, join
 * groups, limits, expiry, renewal, abandon), lease-guarded completion atomic with the turn stamp, and pending work
 * (packages/testing/README.md, "Queued work").
 *
 * Longer than 400 lines on purpose: a list of independent entries, each readable on its own, that a reader
 * looks up by id; splitting it further would only scatter one port's contract over more files.
 *
 * @since 0.1.0
 */
import { type ProcessWakeDelivery, SessionStore, StorageEngine } from "@lash/core"
import { Context, Effect, Exit, Option, TestClock } from "effect"
import { batchDraft, claimTexts as texts, commitOf, createRequest, sid } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const store = (ctx: ScenarioContext) => Context.get(ctx.handle, SessionStore)
const head = (ctx: ScenarioContext, s: string) =>
  Effect.map(store(ctx).load(sid(s)), (o) => Option.map(o, (x) => x.headRevision).pipe(Option.getOrElse(() => -1)))

const claimOf = (
  ctx: ScenarioContext,
  session: string,
  owner: string,
  boundary: "idle" | "active_turn_checkpoint" = "idle",
  maxBatches = 10,
  ttlMs = 60_000
) => store(ctx).claimReady({ sessionId: sid(session), ownerId: owner, boundary, ttlMs, maxBatches })

/** The queued-work scenarios. @since 0.1.0 */
export const queueScenarios: ReadonlyArray<Scenario> = [
  {
    id: "RP-07",
    suite: "RuntimePersistence",
    title: "source keys are idempotent; the list is ordered",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const first = yield* s.enqueue(batchDraft("root", "first", "source:first"))
        const replay = yield* s.enqueue(batchDraft("root", "different replay payload", "source:first"))
        const replayText = replay.items[0]?.payload.type === "turn_input"
          ? replay.items[0].payload.input.items[0]
          : undefined
        yield* ctx.invariant(
          "a replayed source key returns the original batch",
          replay.batchId === first.batchId &&
            JSON.stringify(replayText) === JSON.stringify({ type: "text", text: "first" }),
          first.batchId,
          [replay.batchId, replayText]
        )
        yield* s.enqueue(batchDraft("root", "second"))
        const queued = yield* s.listQueued(sid("root"))
        yield* ctx.invariant(
          "two batches in enqueue order",
          queued.length === 2 && queued[0]!.enqueueSeq < queued[1]!.enqueueSeq,
          2,
          queued.map((b) => b.enqueueSeq)
        )
        yield* ctx.expectFailure(
          "enqueue for a session never created fails",
          s.enqueue(batchDraft("never", "x")),
          "SessionNotFound"
        )
      })
  },
  {
    id: "RP-08",
    suite: "RuntimePersistence",
    title: "claimed batches leave the pending list, not the queue",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "claimed"))
        const claim = yield* claimOf(ctx, "root", "owner-a", "idle", 1)
        const pending = yield* s.listPending(sid("root"))
        const queued = yield* s.listQueued(sid("root"))
        yield* ctx.invariant(
          "a claimed batch is queued but not pending",
          Option.isSome(claim) && pending.length === 0 && queued.length === 1,
          [0, 1],
          [pending.length, queued.length]
        )
        if (Option.isNone(claim)) return
        yield* s.abandonClaim(claim.value)
        const again = yield* s.listPending(sid("root"))
        yield* ctx.invariant("an abandoned claim makes it pending again", again.length === 1, 1, again.length)
      })
  },
  {
    id: "RP-10",
    suite: "RuntimePersistence",
    title: "claims respect boundaries, renewal and abandon",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(
          batchDraft("root", "after_commit", undefined, { slot: "exclusive", delivery: "after_current_turn_commit" })
        )
        yield* s.enqueue(batchDraft("root", "earliest", undefined, { slot: "exclusive" }))
        const gated = yield* claimOf(ctx, "root", "owner-a", "active_turn_checkpoint")
        yield* ctx.invariant(
          "an after-commit head gates the checkpoint boundary (no scan past the head)",
          Option.isNone(gated),
          null,
          texts(gated)
        )
        const idle = yield* claimOf(ctx, "root", "owner-a", "idle")
        yield* ctx.invariant(
          "the idle claim takes the exclusive head only",
          JSON.stringify(texts(idle)) === JSON.stringify(["after_commit"]),
          ["after_commit"],
          texts(idle)
        )
        const next = yield* claimOf(ctx, "root", "owner-b", "active_turn_checkpoint")
        yield* ctx.invariant(
          "a head under a live claim is skipped",
          JSON.stringify(texts(next)) === JSON.stringify(["earliest"]),
          ["earliest"],
          texts(next)
        )
        if (Option.isNone(idle)) return
        yield* s.abandonClaim(idle.value)
        const retaken = yield* claimOf(ctx, "root", "owner-c", "idle")
        yield* ctx.invariant(
          "the abandoned batch is claimed again with a higher fencing token",
          Option.isSome(retaken) && retaken.value.fencingToken > idle.value.fencingToken &&
            JSON.stringify(texts(retaken)) === JSON.stringify(["after_commit"]),
          `["after_commit"] with fence > ${idle.value.fencingToken}`,
          [texts(retaken), Option.map(retaken, (r) => r.fencingToken)]
        )
        if (Option.isNone(retaken)) return
        const renewed = yield* s.renewClaim(retaken.value, 120_000)
        yield* ctx.invariant(
          "renewal keeps claim id, token and batches and does not shorten the expiry",
          renewed.claimId === retaken.value.claimId && renewed.leaseToken === retaken.value.leaseToken &&
            renewed.expiresAtMs >= retaken.value.expiresAtMs,
          retaken.value.claimId,
          renewed.claimId
        )
      })
  },
  {
    id: "RP-11",
    suite: "RuntimePersistence",
    title: "availability, exclusivity, sessions, expired reclaim, limits",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        for (const x of ["root", "other", "reclaim", "limited"]) yield* s.create(createRequest(x))
        yield* s.enqueue(batchDraft("root", "not ready", undefined, { availableAtMs: 4_102_444_800_000 }))
        yield* s.enqueue(batchDraft("root", "exclusive", undefined, { slot: "exclusive" }))
        yield* s.enqueue(batchDraft("root", "joined", undefined, { group: "root" }))
        yield* s.enqueue(batchDraft("other", "theirs"))
        const c1 = yield* claimOf(ctx, "root", "owner-a")
        const c2 = yield* claimOf(ctx, "root", "owner-a")
        const c3 = yield* claimOf(ctx, "other", "owner-a")
        yield* ctx.invariant(
          "an unavailable batch is skipped; exclusive then joined; sessions are separate",
          JSON.stringify([texts(c1), texts(c2), texts(c3)]) === JSON.stringify([["exclusive"], ["joined"], ["theirs"]]),
          [["exclusive"], ["joined"], ["theirs"]],
          [texts(c1), texts(c2), texts(c3)]
        )
        yield* s.enqueue(batchDraft("reclaim", "r"))
        const zero = yield* ctx.some(
          "a claim of the pending batch is granted",
          yield* claimOf(ctx, "reclaim", "owner-a", "idle", 10, 0)
        )
        const again = yield* claimOf(ctx, "reclaim", "owner-b")
        yield* ctx.invariant(
          "a TTL-0 claim is expired at once and re-claimed with a higher fencing token",
          Option.isSome(again) && again.value.fencingToken > zero.fencingToken,
          `> ${zero.fencingToken}`,
          Option.map(again, (a) => a.fencingToken)
        )
        for (const t of ["l1", "l2", "l3"]) yield* s.enqueue(batchDraft("limited", t, undefined, { group: "limited" }))
        const two = yield* claimOf(ctx, "limited", "owner-a", "idle", 2)
        const last = yield* claimOf(ctx, "limited", "owner-a", "idle", 2)
        yield* ctx.invariant(
          "maxBatches limits a claim",
          JSON.stringify([texts(two), texts(last)]) === JSON.stringify([["l1", "l2"], ["l3"]]),
          [["l1", "l2"], ["l3"]],
          [texts(two), texts(last)]
        )
      })
  },
  {
    id: "RP-12",
    suite: "RuntimePersistence",
    title: "a join group needs adjacency, the same policy and the same merge key",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "a1", undefined, { group: "a" }))
        yield* s.enqueue(batchDraft("root", "a2", undefined, { group: "a" }))
        yield* s.enqueue(batchDraft("root", "b", undefined, { group: "b" }))
        yield* s.enqueue(
          batchDraft("root", "after commit", undefined, { group: "a", delivery: "after_current_turn_commit" })
        )
        const got: Array<unknown> = []
        for (let i = 0; i < 3; i++) got.push(texts(yield* claimOf(ctx, "root", `owner-${i}`)))
        yield* ctx.invariant(
          "claims are [a1, a2], [b], [after commit]",
          JSON.stringify(got) === JSON.stringify([["a1", "a2"], ["b"], ["after commit"]]),
          [["a1", "a2"], ["b"], ["after commit"]],
          got
        )
      })
  },
  {
    id: "RP-13",
    suite: "RuntimePersistence",
    title: "completion is lease-guarded",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "one", undefined, { group: "joined" }))
        yield* s.enqueue(batchDraft("root", "two", undefined, { group: "joined" }))
        const claim = yield* claimOf(ctx, "root", "owner-a")
        yield* ctx.invariant(
          "one claim takes both joined batches",
          Option.isSome(claim) && claim.value.batches.length === 2,
          2,
          Option.map(claim, (c) => c.batches.length)
        )
        if (Option.isNone(claim)) return
        const c = claim.value
        const completion = (token: string) => [{
          claimId: c.claimId,
          leaseToken: token,
          batchIds: c.batches.map((b) => b.batchId)
        }]
        yield* ctx.expectFailure(
          "a stale token cannot complete",
          s.commit({ ...commitOf("root", 0, "t-stale"), completedClaims: completion(`${c.leaseToken}:stale`) }),
          "QueuedWorkClaimExpired"
        )
        const still = yield* s.listQueued(sid("root"))
        yield* ctx.invariant("both batches remain after the rejected commit", still.length === 2, 2, still.length)
        yield* s.commit({ ...commitOf("root", 0, "t-ok"), completedClaims: completion(c.leaseToken) })
        const empty = yield* s.listQueued(sid("root"))
        yield* ctx.invariant("the valid completion empties the queue", empty.length === 0, 0, empty.length)
      })
  },
  {
    id: "X-QUEUE-1",
    suite: "RuntimePersistence",
    title: "a replayed wake is queued once, and not again after it was consumed (RP-14)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const wake: ProcessWakeDelivery = {
          wakeId: "wake-1" as never,
          targetSessionId: sid("root"),
          targetScopeId: "session:root",
          processId: "process-1" as never,
          sequence: 7,
          eventType: "process.wake",
          dedupeKey: "wake-dedupe-1",
          input: "wake payload",
          createdAtMs: 0
        }
        const draft = StorageEngine.WakeDelivery.batchDraft(wake)
        const a = yield* s.enqueue(draft)
        const b = yield* s.enqueue(draft)
        yield* ctx.invariant(
          "a replayed wake enqueue returns the same batch",
          a.batchId === b.batchId,
          a.batchId,
          b.batchId
        )
        const claim = yield* s.claimReady({
          sessionId: sid("root"),
          ownerId: "owner-a",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 10
        })
        yield* ctx.invariant(
          "the claim holds the one wake batch",
          Option.isSome(claim) && claim.value.batches.length === 1,
          1,
          Option.map(claim, (c) => c.batches.length)
        )
        if (Option.isNone(claim)) return
        yield* s.commit({
          ...commitOf("root", 0, "drain-turn"),
          completedClaims: [{
            claimId: claim.value.claimId,
            leaseToken: claim.value.leaseToken,
            batchIds: claim.value.batches.map((x) => x.batchId)
          }]
        })
        const replay = yield* s.enqueue(draft)
        const queued = yield* s.listQueued(sid("root"))
        const pending = yield* s.listPending(sid("root"))
        yield* ctx.invariant(
          "a consumed wake's source key is remembered: the replay returns the original batch and queues nothing",
          replay.batchId === a.batchId && queued.length === 0 && pending.length === 0,
          [a.batchId, 0, 0],
          [replay.batchId, queued.length, pending.length]
        )
      })
  },
  {
    id: "RP-15",
    suite: "RuntimePersistence",
    title: "queue completion and the turn stamp are atomic; stamp dedupe comes before claim fencing",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "atomic queue"))
        const claim = yield* ctx.some("a claim of the pending batch is granted", yield* claimOf(ctx, "root", "owner-a"))
        const base = commitOf("root", 0, "atomic-turn", { turnIndex: 41 })
        const completion = (
          token: string
        ) => [{ claimId: claim.claimId, leaseToken: token, batchIds: claim.batches.map((b) => b.batchId) }]
        yield* ctx.expectFailure(
          "a stale completion fails the whole commit",
          s.commit({ ...base, completedClaims: completion(`${claim.leaseToken}:stale`) }),
          "QueuedWorkClaimExpired"
        )
        const h0 = yield* head(ctx, "root")
        const q0 = yield* s.listQueued(sid("root"))
        yield* ctx.invariant(
          "nothing was written: revision 0, batch still queued",
          h0 === 0 && q0.length === 1,
          [0, 1],
          [h0, q0.length]
        )
        const valid = { ...base, completedClaims: completion(claim.leaseToken) }
        const first = yield* s.commit(valid)
        yield* ctx.expectSuccess(
          "retrying the same commit returns the stored result although its batches are gone",
          s.commit(valid),
          (v) => v.headRevision === first.headRevision,
          first.headRevision
        )
        const q1 = yield* s.listQueued(sid("root"))
        yield* ctx.invariant("the queue is empty", q1.length === 0, 0, q1.length)
      })
  },
  {
    id: "RP-19",
    suite: "RuntimePersistence",
    title: "sessions with pending work exclude live claims, until they expire",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        for (const x of ["a", "b", "c"]) yield* s.create(createRequest(x))
        yield* s.enqueue(batchDraft("b", "b1"))
        yield* s.enqueue(batchDraft("c", "c1"))
        yield* claimOf(ctx, "c", "owner-a", "idle", 10, 1_000)
        const before = yield* s.listSessionsWithPendingWork()
        yield* ctx.invariant("a claimed session is not pending", JSON.stringify(before) === JSON.stringify(["b"]), [
          "b"
        ], before)
        yield* TestClock.adjust("1 second")
        const after = yield* s.listSessionsWithPendingWork()
        yield* ctx.invariant(
          "an expired claim makes it pending again",
          JSON.stringify(after) === JSON.stringify(["b", "c"]),
          ["b", "c"],
          after
        )
      })
  },
  {
    id: "X-QUEUE-2",
    suite: "RuntimePersistence",
    title: "completions are bound to their session",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.create(createRequest("other"))
        yield* s.enqueue(batchDraft("other", "theirs"))
        const claim = yield* ctx.some(
          "a claim of the pending batch is granted",
          yield* claimOf(ctx, "other", "owner-a")
        )
        yield* ctx.expectFailure(
          "a commit on root cannot complete a claim taken on other",
          s.commit({
            ...commitOf("root", 0, "t1"),
            completedClaims: [{
              claimId: claim.claimId,
              leaseToken: claim.leaseToken,
              batchIds: claim.batches.map((b) => b.batchId)
            }]
          }),
          "QueuedWorkClaimExpired"
        )
        const renewed = yield* Effect.exit(s.renewClaim(claim, 60_000))
        const still = yield* s.listQueued(sid("other"))
        yield* ctx.invariant(
          "other's claim and batch are untouched",
          Exit.isSuccess(renewed) && still.length === 1,
          "claim live, 1 batch",
          [renewed._tag, still.length]
        )
      })
  },
  {
    id: "X-LEASE-6",
    suite: "RuntimePersistence",
    title: "queue claim edge cases: maxBatches 0, future availability, renewing an abandoned claim",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "now"))
        const none = yield* claimOf(ctx, "root", "owner-a", "idle", 0)
        const pending = yield* s.listPending(sid("root"))
        yield* ctx.invariant(
          "maxBatches 0 returns None and leaves no claim",
          Option.isNone(none) && pending.length === 1,
          { claim: null, pending: 1 },
          { claim: texts(none), pending: pending.length }
        )
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* s.create(createRequest("later"))
        yield* s.enqueue(batchDraft("later", "in a second", undefined, { availableAtMs: now + 1000 }))
        const early = yield* claimOf(ctx, "later", "owner-a")
        yield* TestClock.adjust("999 millis")
        const almost = yield* claimOf(ctx, "later", "owner-a")
        yield* TestClock.adjust("1 millis")
        const ready = yield* claimOf(ctx, "later", "owner-a")
        yield* ctx.invariant(
          "a batch available at now + 1000 is claimable only once the clock reached it",
          Option.isNone(early) && Option.isNone(almost) &&
            JSON.stringify(texts(ready)) === JSON.stringify(["in a second"]),
          [null, null, ["in a second"]],
          [texts(early), texts(almost), texts(ready)]
        )
        const claim = yield* ctx.some("a claim of the pending batch is granted", yield* claimOf(ctx, "root", "owner-b"))
        yield* s.abandonClaim(claim)
        yield* ctx.expectFailure(
          "renewing an abandoned claim fails",
          s.renewClaim(claim, 60_000),
          "QueuedWorkClaimExpired"
        )
        const expiring = yield* ctx.some(
          "a claim of the pending batch is granted",
          yield* claimOf(ctx, "root", "owner-c", "idle", 10, 10)
        )
        yield* TestClock.adjust("10 millis")
        yield* ctx.expectFailure(
          "an expired claim cannot renew, although nobody else claimed its batches",
          s.renewClaim(expiring, 60_000),
          "QueuedWorkClaimExpired"
        )
      })
  },
  {
    id: "RP-19b",
    suite: "RuntimePersistence",
    title:
      "work that is not yet available is queued and pending, but its session has no pending work yet (a counterexample of MB-SS)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("later"))
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* s.enqueue(batchDraft("later", "in 20 ms", undefined, { availableAtMs: now + 20 }))
        const sessions = yield* s.listSessionsWithPendingWork()
        const pending = yield* s.listPending(sid("later"))
        yield* ctx.invariant(
          "before availableAtMs the session is not listed with pending work; the batch is open and unclaimed (listPending)",
          sessions.length === 0 && pending.length === 1,
          { sessionsWithPendingWork: [], pending: 1 },
          { sessionsWithPendingWork: sessions, pending: pending.length }
        )
        yield* TestClock.adjust("20 millis")
        const after = yield* s.listSessionsWithPendingWork()
        yield* ctx.invariant(
          "from availableAtMs on, the session has pending work",
          JSON.stringify(after) === JSON.stringify(["later"]),
          ["later"],
          after
        )
      })
  }
]
