/**
 * MB-SS: the session store against a reference model (packages/testing/README.md, "Model-based conformance"). Steps:
 * create, commits (fresh or retried, with stale/current/ahead heads, reused turn ids, valid or stale completions),
 * enqueue (keyed or not, policies, merge groups, availability), claims at both boundaries, renew, abandon, reads, and
 * advancing `TestClock`. The model holds the contract: commit checks in the order session → stamp → head CAS →
 * claim fencing → writes; claims select the available, unclaimed head and its adjacent joins; a claim's fencing token
 * is its head row's previous one + 1.
 *
 * @since 0.1.0
 */
import {
  type QueuedWorkBatchDraft,
  type QueuedWorkClaim,
  type RuntimeCommit,
  type SessionId,
  SessionStore,
  TurnInput
} from "@lash/core"
import { Clock, Context, Effect, FastCheck as fc, Option, TestClock } from "effect"
import { commitOf, createRequest, same } from "../conformance/Fixtures.js"
import type { Handle } from "../conformance/Harness.js"
import { modelScenario, type ModelStep } from "./ModelRun.js"

interface BatchState {
  readonly batchId: string
  readonly sessionId: string
  readonly seq: number
  readonly delivery: "earliest_safe_boundary" | "after_current_turn_commit"
  readonly slot: "join" | "exclusive"
  readonly group: string | undefined
  readonly availableAtMs: number
  open: boolean
  fencing: number
  claim: { readonly claimId: string; readonly token: string; expiresAtMs: number } | undefined
}

interface SessionState {
  head: number
  readonly stamps: Map<string, { readonly hash: string; readonly head: number }>
  /** Source key → the batch id it first created (remembered after consumption). */
  readonly keys: Map<string, string>
  lastSeq: number
}

interface SessionModel {
  now: number
  nodes: number
  readonly sessions: Map<string, SessionState>
  readonly batches: Array<BatchState>
  readonly claims: Array<QueuedWorkClaim>
  readonly commits: Array<RuntimeCommit>
}

const SESSIONS = ["s1", "s2"]
const store = (h: Handle) => Context.get(h, SessionStore)
const sid = (s: string) => s as SessionId
const liveClaim = (b: BatchState, now: number) => b.claim !== undefined && now < b.claim.expiresAtMs

/** The batches a claim takes, by the contract (written here independently of any backend). */
const selection = (m: SessionModel, s: string, boundary: "idle" | "active_turn_checkpoint", max: number) => {
  const candidates = m.batches
    .filter((b) => b.sessionId === s && b.open && b.availableAtMs <= m.now && !liveClaim(b, m.now))
    .sort((a, b) => a.seq - b.seq)
  const head = candidates[0]
  if (head === undefined || max <= 0) return []
  if (boundary === "active_turn_checkpoint" && head.delivery !== "earliest_safe_boundary") return []
  if (head.slot === "exclusive" || head.group === undefined) return [head]
  const out = [head]
  for (const next of candidates.slice(1)) {
    if (out.length >= max) break
    if (next.slot !== "join" || next.delivery !== head.delivery || next.group !== head.group) break
    out.push(next)
  }
  return out
}

const create = (s: string): ModelStep<SessionModel> => ({
  label: `create(${s})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      yield* ctx.expectSuccess("create succeeds", store(h).create(createRequest(s)))
      if (!m.sessions.has(s)) m.sessions.set(s, { head: 0, stamps: new Map(), keys: new Map(), lastSeq: 0 })
      const loaded = yield* store(h).load(sid(s))
      const head = m.sessions.get(s)!.head
      yield* ctx.invariant(
        "create never overwrites: the session loads at its head revision",
        Option.isSome(loaded) && loaded.value.headRevision === head,
        head,
        Option.map(loaded, (l) => l.headRevision)
      )
    })
})

/** Sends `commit` and checks the answer against the model, in the binding check order. */
const send = (commit: RuntimeCommit): ModelStep<SessionModel>["run"] => (m, h, ctx) =>
  Effect.gen(function*() {
    const st = m.sessions.get(commit.sessionId)
    const call = store(h).commit(commit)
    if (st === undefined) {
      yield* ctx.expectFailure("a commit never creates a session", call, "SessionNotFound")
      return
    }
    const stamp = st.stamps.get(commit.turnStamp!.turnId)
    if (stamp !== undefined) {
      if (stamp.hash !== commit.turnStamp!.hash) {
        yield* ctx.expectFailure(
          "a used turn id with another hash conflicts (before the CAS)",
          call,
          "TurnCommitConflict"
        )
        return
      }
      const replay = yield* ctx.expectSuccess(
        "a retried stamped commit returns its stored result (before the CAS)",
        call
      )
      yield* ctx.invariant(
        "the replay returns the stored head revision",
        replay.headRevision === stamp.head,
        stamp.head,
        replay
      )
      return
    }
    if (commit.expectedHeadRevision !== st.head) {
      const e = yield* ctx.expectFailure("a stale or future expected head fails the CAS", call, "HeadRevisionConflict")
      const detail = e as unknown as { readonly expected: number; readonly actual: number }
      yield* ctx.invariant(
        "the conflict names the expected and the stored head",
        detail.expected === commit.expectedHeadRevision && detail.actual === st.head,
        { expected: commit.expectedHeadRevision, actual: st.head },
        { expected: detail.expected, actual: detail.actual }
      )
      return
    }
    const owned = commit.completedClaims.every((c) =>
      c.batchIds.every((id) => {
        const b = m.batches.find((x) => x.batchId === id)
        return b !== undefined && b.open && b.sessionId === commit.sessionId && b.claim?.claimId === c.claimId &&
          b.claim.token === c.leaseToken
      })
    )
    if (!owned) {
      yield* ctx.expectFailure("a completion of batches the claim no longer owns fails", call, "QueuedWorkClaimExpired")
      return
    }
    const result = yield* ctx.expectSuccess("a commit that passes every check succeeds", call)
    yield* ctx.invariant("the head moves by exactly one", result.headRevision === st.head + 1, st.head + 1, result)
    st.head += 1
    st.stamps.set(commit.turnStamp!.turnId, { hash: commit.turnStamp!.hash, head: st.head })
    for (const c of commit.completedClaims) {
      for (const id of c.batchIds) {
        const b = m.batches.find((x) => x.batchId === id)!
        b.open = false
        b.claim = undefined
      }
    }
  })

const commit = (
  s: string,
  turn: number,
  headDelta: -1 | 0 | 1,
  completion: { readonly claim: number; readonly stale: boolean } | undefined
): ModelStep<SessionModel> => ({
  label: `commit(${s}, turn t${turn}, head ${headDelta === 0 ? "current" : headDelta < 0 ? "stale" : "ahead"}, ${
    completion === undefined
      ? "no completion"
      : `completing claim #${completion.claim}${completion.stale ? " with a stale token" : ""}`
  })`,
  applies: (m) => completion === undefined || m.claims.length > 0,
  run: (m, h, ctx) => {
    const head = m.sessions.get(s)?.head ?? 0
    const claims = completion === undefined ? [] : [m.claims[completion.claim % m.claims.length]!]
    const text = `node ${m.nodes++}`
    const built = commitOf(s, Math.max(0, head + headDelta), `t${turn}`, { text, completing: claims })
    const c = completion?.stale === true
      ? { ...built, completedClaims: built.completedClaims.map((x) => ({ ...x, leaseToken: `${x.leaseToken}:stale` })) }
      : built
    m.commits.push(c)
    return send(c)(m, h, ctx)
  }
})

const retry = (i: number): ModelStep<SessionModel> => ({
  label: `retry(commit #${i})`,
  applies: (m) => m.commits.length > 0,
  run: (m, h, ctx) => send(m.commits[i % m.commits.length]!)(m, h, ctx)
})

const enqueue = (
  s: string,
  key: number | undefined,
  slot: BatchState["slot"],
  delivery: BatchState["delivery"],
  group: string | undefined,
  delayMs: number
): ModelStep<SessionModel> => ({
  label: `enqueue(${s}, key ${key ?? "none"}, ${slot}, ${delivery}, group ${group ?? "none"}, +${delayMs} ms)`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const sourceKey = key === undefined ? undefined : `source:${key}`
      const draft: QueuedWorkBatchDraft = {
        sessionId: sid(s),
        ...(sourceKey === undefined ? {} : { sourceKey }),
        deliveryPolicy: delivery,
        slotPolicy: slot,
        mergeKey: group === undefined ? { type: "never" } : { type: "group", key: group },
        availableAtMs: m.now + delayMs,
        payloads: [{ type: "turn_input", input: TurnInput.text(`batch ${m.batches.length}`) }]
      }
      const st = m.sessions.get(s)
      if (st === undefined) {
        yield* ctx.expectFailure("enqueue for an unknown session fails", store(h).enqueue(draft), "SessionNotFound")
        return
      }
      const batch = yield* ctx.expectSuccess("enqueue succeeds", store(h).enqueue(draft))
      const original = sourceKey === undefined ? undefined : st.keys.get(sourceKey)
      if (original !== undefined) {
        yield* ctx.invariant(
          "a used source key returns the original batch, even after it was consumed",
          batch.batchId === original,
          original,
          batch.batchId
        )
        return
      }
      yield* ctx.invariant(
        "a new batch has a new id and a higher enqueueSeq than every earlier batch of its session",
        batch.enqueueSeq > st.lastSeq && !m.batches.some((b) => b.batchId === batch.batchId),
        `enqueueSeq > ${st.lastSeq}, a new id`,
        { batchId: batch.batchId, enqueueSeq: batch.enqueueSeq }
      )
      st.lastSeq = batch.enqueueSeq
      if (sourceKey !== undefined) st.keys.set(sourceKey, batch.batchId)
      m.batches.push({
        batchId: batch.batchId,
        sessionId: s,
        seq: batch.enqueueSeq,
        delivery,
        slot,
        group,
        availableAtMs: draft.availableAtMs,
        open: true,
        fencing: 0,
        claim: undefined
      })
    })
})

const claim = (
  s: string,
  owner: string,
  boundary: "idle" | "active_turn_checkpoint",
  ttl: number,
  max: number
): ModelStep<SessionModel> => ({
  label: `claimReady(${s}, ${owner}, ${boundary}, ttl ${ttl}, max ${max})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const expected = selection(m, s, boundary, max)
      const got = yield* ctx.expectSuccess(
        "claimReady succeeds",
        store(h).claimReady({ sessionId: sid(s), ownerId: owner, boundary, ttlMs: ttl, maxBatches: max })
      )
      const ids = Option.match(got, { onNone: () => [], onSome: (c) => c.batches.map((b) => b.batchId) })
      yield* ctx.invariant(
        "claimReady takes the available, unclaimed head and its adjacent joins (same policy and group), up to max",
        same(ids, expected.map((b) => b.batchId)),
        expected.map((b) => b.batchId),
        ids
      )
      if (Option.isNone(got)) return
      const c = got.value
      yield* ctx.invariant(
        "a claim's fencing token is its head row's previous token + 1, and it expires at now + ttl",
        c.fencingToken === expected[0]!.fencing + 1 && c.expiresAtMs === m.now + ttl && c.ownerId === owner,
        { fencingToken: expected[0]!.fencing + 1, expiresAtMs: m.now + ttl },
        { fencingToken: c.fencingToken, expiresAtMs: c.expiresAtMs }
      )
      for (const b of expected) {
        b.fencing += 1
        b.claim = { claimId: c.claimId, token: c.leaseToken, expiresAtMs: c.expiresAtMs }
      }
      m.claims.push(c)
    })
})

const owns = (m: SessionModel, c: QueuedWorkClaim) =>
  c.batches.every((x) => {
    const b = m.batches.find((y) => y.batchId === x.batchId)
    return b !== undefined && b.open && b.claim?.claimId === c.claimId && b.claim.token === c.leaseToken
  })

const renew = (i: number, ttl: number): ModelStep<SessionModel> => ({
  label: `renewClaim(claim #${i}, ttl ${ttl})`,
  applies: (m) => m.claims.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const c = m.claims[i % m.claims.length]!
      const call = store(h).renewClaim(c, ttl)
      if (!(owns(m, c) && c.batches.every((x) => liveClaim(m.batches.find((b) => b.batchId === x.batchId)!, m.now)))) {
        yield* ctx.expectFailure(
          "only a claim that still owns its batches and has not expired renews",
          call,
          "QueuedWorkClaimExpired"
        )
        return
      }
      const renewed = yield* ctx.expectSuccess("a live claim renews", call)
      yield* ctx.invariant(
        "renewal keeps claim id and token and moves the expiry to now + ttl",
        renewed.claimId === c.claimId && renewed.leaseToken === c.leaseToken && renewed.expiresAtMs === m.now + ttl,
        { claimId: c.claimId, expiresAtMs: m.now + ttl },
        { claimId: renewed.claimId, expiresAtMs: renewed.expiresAtMs }
      )
      for (const x of c.batches) m.batches.find((b) => b.batchId === x.batchId)!.claim!.expiresAtMs = m.now + ttl
    })
})

const abandon = (i: number): ModelStep<SessionModel> => ({
  label: `abandonClaim(claim #${i})`,
  applies: (m) => m.claims.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const c = m.claims[i % m.claims.length]!
      yield* ctx.expectSuccess("abandonClaim never fails (a taken-over claim is a no-op)", store(h).abandonClaim(c))
      for (const x of c.batches) {
        const b = m.batches.find((y) => y.batchId === x.batchId)!
        if (b.claim?.claimId === c.claimId && b.claim.token === c.leaseToken) b.claim = undefined
      }
    })
})

const reads = (s: string): ModelStep<SessionModel> => ({
  label: `read(${s})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const open = m.batches.filter((b) => b.sessionId === s && b.open).sort((a, b) => a.seq - b.seq)
      const queued = (yield* store(h).listQueued(sid(s))).map((b) => b.batchId)
      yield* ctx.invariant(
        "listQueued is every open batch, in enqueue order",
        same(queued, open.map((b) => b.batchId)),
        open.map((b) => b.batchId),
        queued
      )
      const expectedPending = open.filter((b) => !liveClaim(b, m.now)).map((b) => b.batchId)
      const pending = (yield* store(h).listPending(sid(s))).map((b) => b.batchId)
      yield* ctx.invariant(
        "listPending is every open batch not under a live claim",
        same(pending, expectedPending),
        expectedPending,
        pending
      )
      const expectedSessions = [
        ...new Set(
          m.batches.filter((b) => b.open && b.availableAtMs <= m.now && !liveClaim(b, m.now)).map((b) => b.sessionId)
        )
      ].sort()
      const sessions = yield* store(h).listSessionsWithPendingWork()
      yield* ctx.invariant(
        "listSessionsWithPendingWork is every session with available, unclaimed work, sorted",
        same(sessions, expectedSessions),
        expectedSessions,
        sessions
      )
      const loaded = yield* store(h).load(sid(s))
      const head = m.sessions.get(s)?.head
      yield* ctx.invariant(
        "load reports the head revision (None for a session never created)",
        head === undefined ? Option.isNone(loaded) : Option.isSome(loaded) && loaded.value.headRevision === head,
        head ?? null,
        Option.map(loaded, (l) => l.headRevision)
      )
    })
})

const advance = (ms: number): ModelStep<SessionModel> => ({
  label: `advance(${ms} ms)`,
  run: (m) => Effect.sync(() => void (m.now += ms)).pipe(Effect.zipLeft(TestClock.adjust(ms)))
})

const pick = <A>(xs: ReadonlyArray<A>) => fc.constantFrom(...xs)

/** MB-SS. @since 0.1.0 */
export const sessionModelScenario = modelScenario<SessionModel>({
  id: "MB-SS",
  suite: "ModelBased",
  title: "the session store behaves like its reference model under generated call sequences",
  initial: Effect.map(
    Clock.currentTimeMillis,
    (now) => ({ now, nodes: 0, sessions: new Map(), batches: [], claims: [], commits: [] })
  ),
  steps: [
    pick(SESSIONS).map(create),
    fc.tuple(
      pick(SESSIONS),
      fc.nat(3),
      fc.constantFrom(0, 0, 0, -1, 1) as fc.Arbitrary<-1 | 0 | 1>,
      fc.option(fc.record({ claim: fc.nat(10), stale: fc.boolean() }), { nil: undefined })
    ).map(([s, t, d, c]) => commit(s, t, d, c)),
    fc.nat(10).map(retry),
    fc.tuple(
      pick(SESSIONS),
      fc.option(fc.nat(2), { nil: undefined }),
      fc.constantFrom("join", "exclusive") as fc.Arbitrary<BatchState["slot"]>,
      fc.constantFrom("earliest_safe_boundary", "after_current_turn_commit") as fc.Arbitrary<BatchState["delivery"]>,
      fc.constantFrom(undefined, "g1", "g2"),
      fc.constantFrom(0, 0, 20)
    ).map(([s, k, slot, d, g, t]) => enqueue(s, k, slot, d, g, t)),
    fc.tuple(
      pick(SESSIONS),
      fc.constantFrom("owner-a", "owner-b"),
      fc.constantFrom("idle", "active_turn_checkpoint") as fc.Arbitrary<"idle" | "active_turn_checkpoint">,
      fc.constantFrom(0, 10, 1_000),
      fc.constantFrom(0, 1, 2, 5)
    ).map(([s, o, b, t, x]) => claim(s, o, b, t, x)),
    fc.tuple(fc.nat(10), fc.constantFrom(0, 10, 1_000)).map(([i, t]) => renew(i, t)),
    fc.nat(10).map(abandon),
    pick(SESSIONS).map(reads),
    fc.constantFrom(1, 10, 20, 1_000).map(advance)
  ]
})
