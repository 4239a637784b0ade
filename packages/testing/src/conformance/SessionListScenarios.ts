/**
 * RuntimePersistence scenarios of `SessionStore.listSessions`: every session, newest activity first, in pages that
 * neither skip nor repeat a session (packages/testing/README.md, "RuntimePersistence").
 *
 * @since 0.1.0
 */
import { type ListSessionsRequest, SessionStore, type SessionSummary } from "@lash/core"
import { Context, Effect, TestClock } from "effect"
import { commitOf, createRequest } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const store = (ctx: ScenarioContext) => Context.get(ctx.handle, SessionStore)

/** Every page of the listing, followed through `next`. */
const allPages = (ctx: ScenarioContext, limit: number) =>
  Effect.gen(function*() {
    const pages: Array<ReadonlyArray<SessionSummary>> = []
    let request: ListSessionsRequest = { limit }
    for (let guard = 0; guard < 100; guard++) {
      const page = yield* store(ctx).listSessions(request)
      pages.push(page.sessions)
      if (page.next === undefined) break
      request = { limit, after: page.next }
    }
    return pages.map((page) => page.map((s) => s.sessionId))
  })

/** The listing scenarios. @since 0.1.0 */
export const sessionListScenarios: ReadonlyArray<Scenario> = [
  {
    id: "RP-30",
    suite: "RuntimePersistence",
    title: "listSessions pages every session, newest activity first, ties by id",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        const empty = yield* s.listSessions({ limit: 10 })
        yield* ctx.invariant(
          "an empty store lists no session and no next page",
          empty.sessions.length === 0 && empty.next === undefined,
          { sessions: [] },
          empty
        )
        yield* s.create(createRequest("active"))
        yield* s.create(createRequest("tie-b"))
        yield* s.create(createRequest("tie-a"))
        yield* TestClock.adjust("1 second")
        yield* s.create(createRequest("middle"))
        yield* TestClock.adjust("1 second")
        yield* s.commit(commitOf("active", 0, "turn-1"))
        const pages = yield* allPages(ctx, 3)
        const expected = [["active", "middle", "tie-a"], ["tie-b"]]
        yield* ctx.invariant(
          "pages of 3: the session committed last first, then by creation time, equal times by id",
          JSON.stringify(pages) === JSON.stringify(expected),
          expected,
          pages
        )
        const [first] = (yield* s.listSessions({ limit: 1 })).sessions
        const summary = first && {
          sessionId: first.sessionId,
          headRevision: first.headRevision,
          nodeCount: first.nodeCount,
          activity: first.updatedAtMs - first.createdAtMs
        }
        const wanted = { sessionId: "active", headRevision: 1, nodeCount: 1, activity: 2000 }
        yield* ctx.invariant(
          "a summary carries the head revision, the node count and the time of the last commit",
          JSON.stringify(summary) === JSON.stringify(wanted),
          wanted,
          summary
        )
      })
  },
  {
    id: "RP-31",
    suite: "RuntimePersistence",
    title: "listSessions continues after its cursor when sessions change between pages",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = store(ctx)
        for (const id of ["s1", "s2", "s3", "s4"]) yield* s.create(createRequest(id))
        const first = yield* s.listSessions({ limit: 2 })
        yield* TestClock.adjust("1 second")
        // A session created after the first page is newer than the cursor: the next page does not repeat or reach it.
        yield* s.create(createRequest("s0"))
        const second = first.next === undefined ? undefined : yield* s.listSessions({ limit: 2, after: first.next })
        const seen = [first.sessions.map((x) => x.sessionId), second?.sessions.map((x) => x.sessionId) ?? []]
        const expected = [["s1", "s2"], ["s3", "s4"]]
        yield* ctx.invariant(
          "the second page continues after the first page's last session",
          JSON.stringify(seen) === JSON.stringify(expected),
          expected,
          seen
        )
        const newest = (yield* s.listSessions({ limit: 1 })).sessions[0]?.sessionId
        yield* ctx.invariant("a fresh listing starts with the new session", newest === "s0", "s0", newest)
      })
  }
]
