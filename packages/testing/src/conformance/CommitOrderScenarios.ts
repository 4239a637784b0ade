/**
 * The commit's binding check order (packages/testing/README.md, "RuntimePersistence (commits)"): head compare-and-set,
 * and binding → stamp dedupe → head CAS → claim fencing → writes, all or nothing.
 *
 * @since 0.1.0
 */
import { type QueuedWorkClaim, SessionStore } from "@lash/core"
import { Context, Effect, Option } from "effect"
import { batchDraft, commitOf, completionOf, createRequest, same, sid } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const store = (ctx: ScenarioContext) => Context.get(ctx.handle, SessionStore)
const head = (ctx: ScenarioContext, s: string) =>
  Effect.map(store(ctx).load(sid(s)), (o) => Option.map(o, (x) => x.headRevision).pipe(Option.getOrElse(() => -1)))

/** Everything a rejected commit must leave unchanged: the whole session and its queue. */
const snapshot = (ctx: ScenarioContext, s: string) =>
  Effect.gen(function*() {
    const st = store(ctx)
    return {
      session: Option.getOrNull(yield* st.load(sid(s))),
      queued: yield* st.listQueued(sid(s)),
      pending: yield* st.listPending(sid(s)),
      withPendingWork: yield* st.listSessionsWithPendingWork()
    }
  })

/** Claims the session's pending batch as `owner-a` (a granted claim is a precondition, checked). */
const claimPending = (ctx: ScenarioContext, s: string, maxBatches: number) =>
  Effect.flatMap(
    store(ctx).claimReady({ sessionId: sid(s), ownerId: "owner-a", boundary: "idle", ttlMs: 60_000, maxBatches }),
    (claim) => ctx.some("a claim of the pending batch is granted", claim)
  )

/** After rejected commits: the head is still `headRevision`, the batch still queued, and its claim still live. */
const claimStillLive = (
  ctx: ScenarioContext,
  s: string,
  claim: QueuedWorkClaim,
  headRevision: number,
  title: string
) =>
  Effect.gen(function*() {
    const after = yield* snapshot(ctx, s)
    const renewed = yield* Effect.either(store(ctx).renewClaim(claim, 60_000))
    yield* ctx.invariant(
      title,
      after.session?.headRevision === headRevision && after.queued.length === 1 && after.pending.length === 0 &&
        renewed._tag === "Right",
      { headRevision, queued: 1, pending: 0, claim: "live" },
      {
        headRevision: after.session?.headRevision,
        queued: after.queued.length,
        pending: after.pending.length,
        claim: renewed._tag === "Right" ? "live" : renewed.left
      }
    )
  })

/** The commit-order scenarios. @since 0.1.0 */
export const commitOrderScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-CAS-1",
    suite: "RuntimePersistence",
    title: "a stale expected head is rejected and writes nothing",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.commit(commitOf("root", 0, "t1"))
        yield* s.commit(commitOf("root", 1, "t2"))
        const before = yield* s.load(sid("root"))
        const e = yield* ctx.expectFailure(
          "expected 1 against head 2 fails",
          s.commit(commitOf("root", 1, "t3")),
          "HeadRevisionConflict"
        )
        const detail = e as unknown as { readonly expected: number; readonly actual: number }
        yield* ctx.invariant("the conflict names expected and actual", detail.expected === 1 && detail.actual === 2, {
          expected: 1,
          actual: 2
        }, { expected: detail.expected, actual: detail.actual })
        const after = yield* s.load(sid("root"))
        yield* ctx.invariant(
          "nothing was written",
          JSON.stringify(before) === JSON.stringify(after),
          "unchanged",
          "changed"
        )
      })
  },
  {
    id: "X-CAS-2",
    suite: "RuntimePersistence",
    title: "heads increase by exactly one",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        for (let i = 0; i < 3; i++) {
          const r = yield* s.commit(commitOf("root", i, `t${i}`))
          const loaded = yield* head(ctx, "root")
          yield* ctx.invariant(
            "the head moves by one per commit",
            r.headRevision === i + 1 && loaded === i + 1,
            i + 1,
            [r.headRevision, loaded]
          )
        }
      })
  },
  {
    id: "X-ORDER-1",
    suite: "RuntimePersistence",
    title: "stamp dedupe comes before the head CAS",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const a = commitOf("root", 0, "t1")
        yield* s.commit(a)
        yield* s.commit(commitOf("root", 1, "t2"))
        yield* ctx.expectSuccess(
          "retrying A with its stale head returns A's stored result",
          s.commit(a),
          (v) => v.headRevision === 1,
          "headRevision 1"
        )
      })
  },
  {
    id: "X-ORDER-2",
    suite: "RuntimePersistence",
    title: "the head CAS comes before claim fencing, also on commits that complete a claim",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.enqueue(batchDraft("root", "work"))
        const claim = yield* claimPending(ctx, "root", 10)
        yield* s.commit(commitOf("root", 0, "t1"))
        yield* ctx.expectFailure(
          "a stale expected head and a stale completion fail with HeadRevisionConflict",
          s.commit({
            ...commitOf("root", 0, "t-stale-both"),
            completedClaims: [completionOf(claim, `${claim.leaseToken}:stale`)]
          }),
          "HeadRevisionConflict"
        )
        yield* ctx.expectFailure(
          "a stale expected head fails with HeadRevisionConflict although the completion is valid",
          s.commit(commitOf("root", 0, "t-stale-head", { completing: [claim] })),
          "HeadRevisionConflict"
        )
        yield* claimStillLive(
          ctx,
          "root",
          claim,
          1,
          "the rejected commits wrote nothing: head 1, the batch still queued and still claimed"
        )
      })
  },
  {
    id: "X-ORDER-3",
    suite: "RuntimePersistence",
    title: "a changed hash under a used stamp conflicts first, and the claim it completes stays live",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.commit(commitOf("root", 0, "t1"))
        yield* s.enqueue(batchDraft("root", "work"))
        const claim = yield* claimPending(ctx, "root", 10)
        yield* ctx.expectFailure(
          "reusing stamp t1 with changed content and a valid, fresh completion fails with TurnCommitConflict",
          s.commit(commitOf("root", 1, "t1", { text: "changed content", completing: [claim] })),
          "TurnCommitConflict"
        )
        yield* claimStillLive(ctx, "root", claim, 1, "the claim stays live and its batch queued; the head is still 1")
        yield* ctx.expectSuccess(
          "the claim can still be completed by a valid commit",
          s.commit(commitOf("root", 1, "t2", { completing: [claim] })),
          (v) => v.headRevision === 2,
          2
        )
      })
  },
  {
    id: "X-ORDER-4",
    suite: "RuntimePersistence",
    title: "a rejected commit writes nothing: state, queue, claims and the stamp table are unchanged",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.commit(commitOf("root", 0, "t1"))
        yield* s.enqueue(batchDraft("root", "work"))
        yield* s.enqueue(batchDraft("root", "later work", undefined, { slot: "exclusive" }))
        const claim = yield* claimPending(ctx, "root", 1)
        const rejections = [
          [
            "a stamp conflict",
            commitOf("root", 1, "t1", { text: "changed", completing: [claim] }),
            "TurnCommitConflict"
          ],
          ["a head CAS failure", commitOf("root", 0, "t-cas", { completing: [claim] }), "HeadRevisionConflict"],
          [
            "a claim fencing failure",
            { ...commitOf("root", 1, "t-fence"), completedClaims: [completionOf(claim, `${claim.leaseToken}:stale`)] },
            "QueuedWorkClaimExpired"
          ]
        ] as const
        for (const [what, commit, tag] of rejections) {
          const before = yield* snapshot(ctx, "root")
          yield* ctx.expectFailure(`${what} is rejected`, s.commit(commit), tag)
          const after = yield* snapshot(ctx, "root")
          yield* ctx.invariant(
            `${what} writes nothing: head, graph, checkpoint, usage, queued and pending batches are unchanged`,
            same(before, after),
            before,
            after
          )
          const renewed = yield* Effect.either(s.renewClaim(claim, 60_000))
          yield* ctx.invariant(
            `after ${what} the claim is still live and held by its owner`,
            renewed._tag === "Right",
            "renewClaim succeeds",
            renewed._tag === "Right" ? "success" : renewed.left
          )
        }
        const cas = yield* Effect.either(s.commit(commitOf("root", 1, "t-cas", { text: "new content for t-cas" })))
        const fence = yield* Effect.either(
          s.commit(commitOf("root", 2, "t-fence", { text: "new content for t-fence" }))
        )
        yield* ctx.invariant(
          "the rejected commits left no stamp: their turn ids commit later with new content",
          cas._tag === "Right" && cas.right.headRevision === 2 && fence._tag === "Right" &&
            fence.right.headRevision === 3,
          [2, 3],
          [
            cas._tag === "Right" ? cas.right.headRevision : cas.left,
            fence._tag === "Right" ? fence.right.headRevision : fence.left
          ]
        )
      })
  },
  {
    id: "X-CAS-3",
    suite: "RuntimePersistence",
    title: "an expected head AHEAD of the stored one conflicts too (a counterexample of MB-SS)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const first = yield* ctx.expectFailure(
          "a first commit that expects revision 1 fails: the CAS is equality, not \"at most\"",
          s.commit(commitOf("root", 1, "t-ahead")),
          "HeadRevisionConflict"
        )
        yield* s.commit(commitOf("root", 0, "t1"))
        const ahead = yield* ctx.expectFailure(
          "expected 3 against head 1 fails",
          s.commit(commitOf("root", 3, "t-far-ahead")),
          "HeadRevisionConflict"
        )
        const details = [first, ahead].map((e) => {
          const d = e as unknown as { readonly expected: number; readonly actual: number }
          return { expected: d.expected, actual: d.actual }
        })
        yield* ctx.invariant(
          "the conflicts name the expected and the stored head",
          same(details, [{ expected: 1, actual: 0 }, { expected: 3, actual: 1 }]),
          [{ expected: 1, actual: 0 }, { expected: 3, actual: 1 }],
          details
        )
        const h = yield* head(ctx, "root")
        yield* ctx.invariant("the rejected commits wrote nothing: the head is 1", h === 1, 1, h)
      })
  }
]
