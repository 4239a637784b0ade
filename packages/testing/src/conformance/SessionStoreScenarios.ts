/**
 * RuntimePersistence scenarios of the per-turn commit: what a commit writes and a load reads back, session
 * isolation, head compare-and-set and the binding check order (packages/testing/README.md, "RuntimePersistence").
 * Queued work is in QueueScenarios.ts.
 *
 * Longer than 400 lines on purpose: a list of independent entries, each readable on its own, that a reader
 * looks up by id; splitting it further would only scatter one port's contract over more files.
 *
 * @since 0.1.0
 */
import { type AgentFrame, type RuntimeCommit, type SessionNode, SessionStore } from "@lash/core"
import { Canonical } from "@lash/lashlang"
import { Context, Effect, Option } from "effect"
import { batchDraft, claimTexts, commitOf, createRequest, messageNode, policy, same, sid, stamped } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const store = (ctx: ScenarioContext) => Context.get(ctx.handle, SessionStore)
const frame = (frameId: string, executionState?: unknown): AgentFrame => ({
  frameId,
  assignment: { policy, pluginOptions: { plugins: {} } },
  protocolOptions: { frame: frameId },
  ...(executionState === undefined ? {} : { executionState: executionState as never })
})

/** A commit of `nodes` (append) with explicit frames and checkpoint; stamped with `turnId`. */
const graphCommit = (
  sessionId: string,
  expected: number,
  turnId: string,
  graph: RuntimeCommit["graph"],
  options: { readonly turnIndex?: number } = {}
): RuntimeCommit =>
  stamped({
    sessionId: sid(sessionId),
    expectedHeadRevision: expected,
    config: policy,
    frames: [frame("main")],
    currentFrameId: "main",
    graph,
    checkpoint: { turnIndex: options.turnIndex ?? expected + 1, usage: { input: 0, output: 0 } },
    usageDeltas: [],
    completedClaims: []
  }, turnId)

const withCause = (node: SessionNode, sessionId: string): SessionNode => ({
  ...node,
  causedBy: { type: "turn", sessionId: sid(sessionId), turnId: "cause-turn" as never }
})

/** The RP-05 graph: commit 1 root-node → left-node; commit 2 left-leaf (under left-node) and right-leaf (under root). */
const twoBranches = (ctx: ScenarioContext, s: string) =>
  Effect.gen(function*() {
    yield* store(ctx).create(createRequest(s))
    yield* store(ctx).commit(
      graphCommit(s, 0, "graph-1", {
        type: "append",
        nodes: [messageNode("root-node", "root"), withCause(messageNode("left-node", "left", "root-node"), s)],
        leafNodeId: "left-node"
      })
    )
    yield* store(ctx).commit(
      graphCommit(s, 1, "graph-2", {
        type: "append",
        nodes: [
          messageNode("left-leaf", "left leaf", "left-node"),
          messageNode("right-leaf", "right leaf", "root-node")
        ],
        leafNodeId: "left-leaf"
      })
    )
  })

const ids = (nodes: ReadonlyArray<SessionNode>) => nodes.map((n) => n.nodeId)

/** The commit scenarios. @since 0.1.0 */
export const sessionStoreScenarios: ReadonlyArray<Scenario> = [
  {
    id: "RP-01",
    suite: "RuntimePersistence",
    title: "declared tier",
    clock: "test",
    run: (ctx) =>
      ctx.invariant(
        "the session store reports the declared tier",
        store(ctx).tier === ctx.tier,
        ctx.tier,
        store(ctx).tier
      )
  },
  {
    id: "RP-02",
    suite: "RuntimePersistence",
    title: "a commit round-trips frames and per-frame VM state",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const frames = [frame("frame-1", { vm: "frame-1-vm", stack: [1, 2] }), frame("frame-2", { vm: "frame-vm" })]
        const c = stamped({ ...commitOf("root", 0, "frames-turn"), frames, currentFrameId: "frame-2" }, "frames-turn")
        yield* s.commit(c)
        const loaded = Option.getOrUndefined(yield* s.load(sid("root")))
        const seen = loaded && {
          headRevision: loaded.headRevision,
          currentFrameId: loaded.currentFrameId,
          frames: loaded.frames
        }
        const expected = { headRevision: 1, currentFrameId: "frame-2", frames }
        yield* ctx.invariant(
          "load returns the committed frames, each with its own executionState, and the current frame",
          same(seen, expected),
          expected,
          seen
        )
      })
  },
  {
    id: "RP-03",
    suite: "RuntimePersistence",
    title: "sessions are isolated: commits, queues, claims and pending work of one never show in another",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        yield* s.create(createRequest("other"))
        yield* s.commit(commitOf("root", 0, "root-1"))
        yield* s.commit(commitOf("root", 1, "root-2"))
        yield* s.enqueue(batchDraft("root", "root work", "source:shared"))
        yield* s.enqueue(batchDraft("root", "root work 2"))
        const other = Option.getOrUndefined(yield* s.load(sid("other")))
        const otherHead = Option.getOrUndefined(yield* s.loadHead(sid("other")))
        const path = yield* s.loadPath(sid("other"), { limit: 10 })
        yield* ctx.invariant(
          "another session still loads at revision 0 with an empty graph",
          other?.headRevision === 0 && other.graph.nodes.length === 0 && otherHead?.nodeCount === 0 &&
            path.nodes.length === 0,
          { headRevision: 0, nodes: 0, nodeCount: 0, path: 0 },
          {
            headRevision: other?.headRevision,
            nodes: other?.graph.nodes.length,
            nodeCount: otherHead?.nodeCount,
            path: path.nodes.length
          }
        )
        const queued = yield* s.listQueued(sid("other"))
        const pending = yield* s.listPending(sid("other"))
        const claim = yield* s.claimReady({
          sessionId: sid("other"),
          ownerId: "owner-a",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 10
        })
        yield* ctx.invariant(
          "another session's queue, pending list and claims are empty",
          queued.length === 0 && pending.length === 0 && Option.isNone(claim),
          { queued: 0, pending: 0, claim: null },
          { queued: queued.length, pending: pending.length, claim: claimTexts(claim) }
        )
        yield* s.enqueue(batchDraft("other", "other work", "source:shared"))
        const both = yield* s.listSessionsWithPendingWork()
        const rootQueue = (yield* s.listQueued(sid("root"))).length
        const otherQueue = (yield* s.listQueued(sid("other"))).map((b) => b.sessionId)
        yield* ctx.invariant(
          "a source key is scoped by session: the same key on another session queues a new batch there",
          same(both, ["other", "root"]) && rootQueue === 2 && same(otherQueue, ["other"]),
          { withPendingWork: ["other", "root"], root: 2, other: ["other"] },
          { withPendingWork: both, root: rootQueue, other: otherQueue }
        )
        yield* ctx.expectSuccess(
          "heads are per session: another session's first commit expects revision 0",
          s.commit(commitOf("other", 0, "other-1")),
          (v) => v.headRevision === 1,
          1
        )
      })
  },
  {
    id: "RP-04",
    suite: "RuntimePersistence",
    title: "a load hydrates the checkpoint",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("hydrated"))
        const checkpoint = {
          turnIndex: 4,
          usage: { input: 11, output: 7, cacheRead: 3, cacheWrite: 5 },
          toolState: { generation: 9 },
          pluginSnapshot: { "rebuild-conformance-trigger": { version: "1", state: { n: 12 } } }
        }
        const config = {
          providerId: "hydrate-provider",
          model: { id: "hydrate-model", limits: { contextWindowTokens: 8192 } }
        }
        yield* s.commit(stamped({ ...commitOf("hydrated", 0, "hydrate-turn"), checkpoint, config }, "hydrate-turn"))
        const loaded = Option.getOrUndefined(yield* s.load(sid("hydrated")))
        const seen = loaded && { checkpoint: loaded.checkpoint, config: loaded.config }
        yield* ctx.invariant(
          "load returns the committed checkpoint (turn index, usage with cache counts, tool state, plugin snapshot) and config",
          same(seen, { checkpoint, config }),
          { checkpoint, config },
          seen
        )
      })
  },
  {
    id: "RP-05",
    suite: "RuntimePersistence",
    title: "graph append round-trip; an unchanged delta moves the leaf only when it names one",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* twoBranches(ctx, "root")
        const loaded = Option.getOrUndefined(yield* s.load(sid("root")))
        const nodes = loaded?.graph.nodes.map((n) => [n.nodeId, n.parentNodeId ?? null, n.causedBy?.type ?? null])
        const expected = [
          ["root-node", null, null],
          ["left-node", "root-node", "turn"],
          ["left-leaf", "left-node", null],
          ["right-leaf", "root-node", null]
        ]
        yield* ctx.invariant(
          "load returns the nodes in append order with their parents and causes",
          same(nodes, expected),
          expected,
          nodes
        )
        yield* ctx.invariant(
          "the leaf is the one the last commit named",
          loaded?.graph.leafNodeId === "left-leaf",
          "left-leaf",
          loaded?.graph.leafNodeId
        )
        const expectedCause = { type: "turn", sessionId: "root", turnId: "cause-turn" }
        yield* ctx.invariant(
          "a node's causedBy round-trips",
          same(loaded?.graph.nodes[1]?.causedBy, expectedCause),
          expectedCause,
          loaded?.graph.nodes[1]?.causedBy
        )
        yield* s.commit(graphCommit("root", 2, "graph-3", { type: "unchanged" }))
        const kept = Option.getOrUndefined(yield* s.load(sid("root")))
        yield* s.commit(graphCommit("root", 3, "graph-4", { type: "unchanged", leafNodeId: "right-leaf" }))
        const moved = Option.getOrUndefined(yield* s.load(sid("root")))
        const seen = [
          kept?.graph.leafNodeId,
          kept?.graph.nodes.length,
          moved?.graph.leafNodeId,
          moved?.graph.nodes.length
        ]
        yield* ctx.invariant(
          "an unchanged delta keeps the nodes; it keeps the leaf unless it names one",
          same(seen, ["left-leaf", 4, "right-leaf", 4]),
          ["left-leaf", 4, "right-leaf", 4],
          seen
        )
      })
  },
  {
    id: "RP-05b",
    suite: "RuntimePersistence",
    title: "active-path reads follow the leaf's ancestry",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* twoBranches(ctx, "root")
        const active = yield* s.loadPath(sid("root"), { limit: 10 })
        const right = yield* s.loadPath(sid("root"), { leafNodeId: "right-leaf", limit: 10 })
        const seen = { active: ids(active.nodes), right: ids(right.nodes), hasMore: [active.hasMore, right.hasMore] }
        const expected = {
          active: ["root-node", "left-node", "left-leaf"],
          right: ["root-node", "right-leaf"],
          hasMore: [false, false]
        }
        yield* ctx.invariant(
          "loadPath returns the leaf's ancestry root first; a named leaf selects another branch",
          same(seen, expected),
          expected,
          seen
        )
        const short = yield* s.loadPath(sid("root"), { limit: 2 })
        yield* ctx.invariant(
          "a limit keeps the newest nodes of the path and reports hasMore",
          same([ids(short.nodes), short.hasMore], [["left-node", "left-leaf"], true]),
          [["left-node", "left-leaf"], true],
          [ids(short.nodes), short.hasMore]
        )
      })
  },
  {
    id: "RP-21",
    suite: "RuntimePersistence",
    title: "loadHead and loadPath do not depend on history length",
    clock: "test",
    timeoutMs: 30_000,
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        const chain = (session: string, turns: number) =>
          Effect.gen(function*() {
            yield* s.create(createRequest(session))
            let parent: string | undefined
            for (let t = 0; t < turns; t++) {
              const a = messageNode(`${session}-${t}-a`, `turn ${t} a`, parent)
              const b = messageNode(`${session}-${t}-b`, `turn ${t} b`, a.nodeId)
              parent = b.nodeId
              yield* s.commit(
                graphCommit(
                  session,
                  t,
                  `${session}-turn-${t}`,
                  { type: "append", nodes: [a, b], leafNodeId: b.nodeId },
                  { turnIndex: t + 1 }
                )
              )
            }
          })
        yield* chain("short", 2)
        yield* chain("long", 200)
        for (const [session, count] of [["short", 4], ["long", 400]] as const) {
          const h = Option.getOrUndefined(yield* s.loadHead(sid(session)))
          const full = Option.getOrUndefined(yield* s.load(sid(session)))
          const { graph: _graph, ...rest } = full ?? { graph: undefined }
          const headFields = h === undefined ? undefined : (({ leafNodeId: _l, nodeCount: _n, ...x }) => x)(h)
          yield* ctx.invariant(
            `loadHead(${session}) has nodeCount ${count}, the leaf, and the fields of load without the graph`,
            h !== undefined && h.nodeCount === count && h.leafNodeId === full?.graph.leafNodeId &&
              same(headFields, rest) &&
              !("nodes" in h) && !("graph" in h),
            { nodeCount: count, leafNodeId: full?.graph.leafNodeId, fields: rest },
            h
          )
        }
        const strip = (x: unknown) => {
          const v = x as Record<string, any>
          const { sessionId: _s, headRevision: _h, leafNodeId: _l, nodeCount: _n, checkpoint, ...rest } = v
          const { turnIndex: _t, ...cp } = checkpoint
          return Canonical.canonicalJsonUnsafe({ ...rest, checkpoint: cp } as never)
        }
        const shortHead = Option.getOrUndefined(yield* s.loadHead(sid("short")))
        const longHead = Option.getOrUndefined(yield* s.loadHead(sid("long")))
        yield* ctx.invariant(
          "the two heads differ only in sessionId, headRevision, turnIndex, leafNodeId and nodeCount (size does not grow with history)",
          shortHead !== undefined && longHead !== undefined && strip(shortHead) === strip(longHead),
          strip(shortHead),
          strip(longHead)
        )
        const newest = yield* s.loadPath(sid("long"), { limit: 10 })
        const expectedNewest = Array.from({ length: 5 }, (_, i) => [`long-${195 + i}-a`, `long-${195 + i}-b`]).flat()
        yield* ctx.invariant(
          "loadPath(long, 10) returns the newest 10 nodes of the active path, root first, with hasMore",
          same([ids(newest.nodes), newest.hasMore], [expectedNewest, true]),
          [expectedNewest, true],
          [ids(newest.nodes), newest.hasMore]
        )
        const before = yield* s.loadPath(sid("long"), { limit: 10, beforeNodeId: expectedNewest[0]! })
        const expectedBefore = Array.from({ length: 5 }, (_, i) => [`long-${190 + i}-a`, `long-${190 + i}-b`]).flat()
        yield* ctx.invariant(
          "with beforeNodeId = the first of them, loadPath returns the 10 before",
          same([ids(before.nodes), before.hasMore], [expectedBefore, true]),
          [expectedBefore, true],
          [ids(before.nodes), before.hasMore]
        )
        const all = yield* s.loadPath(sid("short"), { limit: 10 })
        const expectedAll = ["short-0-a", "short-0-b", "short-1-a", "short-1-b"]
        yield* ctx.invariant(
          "loadPath(short, 10) returns all 4 with hasMore false",
          same([ids(all.nodes), all.hasMore], [expectedAll, false]),
          [expectedAll, false],
          [ids(all.nodes), all.hasMore]
        )
        yield* ctx.expectFailure(
          "loadPath of an unknown session fails",
          s.loadPath(sid("never-created"), { limit: 10 }),
          "SessionNotFound"
        )
      })
  },
  {
    id: "RP-18",
    suite: "RuntimePersistence",
    title: "the final-commit stamp is idempotent and conflicts on a changed hash",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* s.create(createRequest("root"))
        const c = commitOf("root", 0, "provider-turn")
        const a = yield* s.commit(c)
        const b = yield* Effect.either(s.commit(c))
        yield* ctx.invariant(
          "an identical retry returns the stored result",
          a.headRevision === 1 && b._tag === "Right" && b.right.headRevision === 1,
          [1, 1],
          [a.headRevision, b._tag === "Right" ? b.right.headRevision : (b.left as { readonly _tag: string })._tag]
        )
        yield* ctx.expectFailure(
          "changed content under the same turn id conflicts",
          s.commit(commitOf("root", 1, "provider-turn", { turnIndex: 1, text: "changed" })),
          "TurnCommitConflict"
        )
      })
  },
  {
    id: "RP-20",
    suite: "RuntimePersistence",
    title: "a commit to an unknown session fails and leaves nothing behind",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        yield* ctx.expectFailure(
          "a commit never creates a session",
          s.commit(commitOf("never-created", 0, "t1")),
          "SessionNotFound"
        )
        const exists = yield* s.exists(sid("never-created"))
        yield* ctx.invariant("the session still does not exist", !exists, false, exists)
        yield* s.create(createRequest("never-created"))
        const r = yield* s.commit(commitOf("never-created", 0, "t1", { text: "other content" }))
        yield* ctx.invariant("no stamp was left behind by the failed commit", r.headRevision === 1, 1, r.headRevision)
      })
  }
]
