/**
 * A connection lost during `COMMIT` (src/CommitOutcome.ts), made exact by a TCP proxy between the backend and the
 * server that cuts the connection at the `COMMIT`: after the server answered it (the transaction committed, the client
 * never heard), or before the server saw it (the transaction was aborted when the connection died). The unit asks the
 * server on a new connection: a committed unit's answer stands and it does not run again (a second run of the same
 * commit would conflict); an aborted one runs again and commits once. Nothing half-commits either way. The resolution
 * itself (committed, aborted, still in progress, no answer) has unit tests below.
 */
import { describe, expect, it } from "@effect/vitest"
import { type SessionId, SessionStore, StoreUnavailable } from "@lash/core"
import { Context, Effect, Either, Layer, Option } from "effect"
import * as net from "node:net"
import { appendCommit, rootSession } from "../../sqlite/test/helpers.js"
import * as CommitOutcome from "../src/CommitOutcome.js"
import { PostgresBackend } from "../src/index.js"

/** The simple-protocol `COMMIT` query a client sends, and the server's `CommandComplete` for it. */
const COMMIT_QUERY = Buffer.concat([Buffer.from("Q"), Buffer.from([0, 0, 0, 11]), Buffer.from("COMMIT\0")])
const COMMIT_DONE = Buffer.concat([Buffer.from("C"), Buffer.from([0, 0, 0, 11]), Buffer.from("COMMIT\0")])

interface Proxy {
  readonly port: number
  /** Cuts the next connection that carries a `COMMIT`: `"after"` the server answered it, `"before"` it reached it. */
  arm(when: "after" | "before"): void
  readonly cuts: () => number
  readonly commitsSeen: () => number
}

/** A TCP proxy to the test server, closed with the scope. */
const proxy = Effect.acquireRelease(
  Effect.async<net.Server & { state: { armed: "after" | "before" | undefined; cuts: number; commits: number } }>(
    (resume) => {
      const target = new URL(PostgresBackend.testing.url())
      const state = { armed: undefined as "after" | "before" | undefined, cuts: 0, commits: 0 }
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname)
        sockets.add(client).add(upstream)
        const cut = () => {
          state.armed = undefined
          state.cuts++
          client.destroy()
          upstream.destroy()
        }
        client.on("data", (chunk: Buffer) => {
          if (chunk.includes(COMMIT_QUERY)) {
            state.commits++
            if (state.armed === "before") return cut()
          }
          upstream.write(chunk)
        })
        upstream.on("data", (chunk: Buffer) => {
          if (state.armed === "after" && chunk.includes(COMMIT_DONE)) return cut()
          client.write(chunk)
        })
        for (const s of [client, upstream]) {
          s.on("error", () => undefined)
          s.on("close", () => {
            client.destroy()
            upstream.destroy()
            sockets.delete(s)
          })
        }
      })
      server.on("close", () => {
        for (const s of sockets) s.destroy()
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(Object.assign(server, { state }))))
    }
  ),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)).unref())
).pipe(
  Effect.map((server): Proxy => ({
    port: (server.address() as net.AddressInfo).port,
    arm: (when) => void (server.state.armed = when),
    cuts: () => server.state.cuts,
    commitsSeen: () => server.state.commits
  }))
)

/** A session store on a new schema, its connections through `via`. */
const storeVia = (via: Proxy) =>
  Effect.gen(function*() {
    const schema = yield* PostgresBackend.testing.schema()
    const target = new URL(PostgresBackend.testing.url())
    target.hostname = "127.0.0.1"
    target.port = String(via.port)
    return Context.get(
      yield* Layer.build(PostgresBackend.layer({ url: target.toString(), schema, poolSize: 2 })),
      SessionStore
    )
  })

const revision = (store: SessionStore["Type"]) =>
  Effect.map(store.loadHead("s1" as SessionId), (head) => Option.getOrThrow(head).headRevision)

describe("a connection lost during COMMIT", () => {
  it.scopedLive("after the server committed: the commit's answer stands, and it does not run again", () =>
    Effect.gen(function*() {
      const via = yield* proxy
      const store = yield* storeVia(via)
      yield* store.create(rootSession("s1"))
      const before = via.commitsSeen()
      via.arm("after")
      const result = yield* store.commit(appendCommit("s1", 0, [{ id: "a" }]))
      expect(via.cuts(), "the connection was cut after the COMMIT").toBe(1)
      expect(result.headRevision).toBe(1)
      expect(via.commitsSeen() - before, "committed once, never re-run").toBe(1)
      expect(yield* revision(store)).toBe(1)
    }))

  it.scopedLive("before the server saw it: the transaction was aborted, the unit runs again and commits once", () =>
    Effect.gen(function*() {
      const via = yield* proxy
      const store = yield* storeVia(via)
      yield* store.create(rootSession("s1"))
      const before = via.commitsSeen()
      via.arm("before")
      const result = yield* store.commit(appendCommit("s1", 0, [{ id: "a" }]))
      expect(via.cuts()).toBe(1)
      expect(result.headRevision, "the re-run committed").toBe(1)
      expect(via.commitsSeen() - before, "the lost COMMIT and the re-run's").toBe(2)
      expect(yield* revision(store), "nothing half-committed, nothing twice").toBe(1)
      const nodes = yield* store.loadPath("s1" as SessionId, { limit: 10 })
      expect(nodes.nodes.map((n) => n.nodeId)).toEqual(["a"])
    }))
})

describe("resolving a COMMIT in doubt", () => {
  const lost = new StoreUnavailable({ port: "SessionStore", cause: { code: "57P01", message: "terminated" } })
  const doubt = new CommitOutcome.CommitInDoubt("1234", "the answer", lost)
  const answers = (...statuses: ReadonlyArray<CommitOutcome.XactStatus | "fail">) => {
    let i = 0
    return () =>
      Effect.suspend(() => {
        const status = statuses[Math.min(i++, statuses.length - 1)]!
        return status === "fail"
          ? Effect.fail(new StoreUnavailable({ port: "SessionStore", cause: "connection refused" }))
          : Effect.succeed(status)
      })
  }

  it.live("committed: the unit's answer", () =>
    Effect.gen(function*() {
      expect(yield* CommitOutcome.resolve(doubt, answers("committed"))).toBe("the answer")
    }))

  it.live("aborted: the unit may run again", () =>
    Effect.gen(function*() {
      expect(yield* CommitOutcome.resolve(doubt, answers("aborted"))).toBe("aborted")
    }))

  it.live("in progress, or no answer (a restarting server), is asked again", () =>
    Effect.gen(function*() {
      expect(yield* CommitOutcome.resolve(doubt, answers("in progress", "fail", "committed"))).toBe("the answer")
    }))

  it.live(
    "never settled: StoreUnavailable saying the outcome is unknown, with the loss's SQLSTATE",
    () =>
      Effect.gen(function*() {
        const outcome = yield* Effect.either(CommitOutcome.resolve(doubt, answers("in progress")))
        expect(Either.isLeft(outcome)).toBe(true)
        const error = Either.getLeft(outcome).pipe(Option.getOrThrow)
        expect(error.cause).toMatchObject({ _tag: "PostgresFailure", code: "57P01" })
        expect(String(error.message)).toMatch(
          /lost during COMMIT \(terminated\) and the outcome is unknown: .*in progress/
        )
      }),
    30_000
  )
})
