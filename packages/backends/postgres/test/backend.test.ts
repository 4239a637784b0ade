/**
 * The Postgres backend's own behaviour: opening (concurrent first opens migrate once under the advisory lock; foreign
 * and newer schemas are refused; bad options: options.test.ts), units under faults (a row lock held elsewhere past
 * `lock_timeout` is retried inside the unit and never surfaces; a connection terminated by the server before `COMMIT`
 * re-runs the unit on a new connection; `statement_timeout`, or a connection lost on every attempt, fails the unit with
 * `StoreUnavailable` carrying the SQLSTATE, writes nothing, and the next unit works), and the durability report.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlDialect } from "@lash/backend-sql"
import { type SessionId, SessionStore, StorageInfo } from "@lash/core"
import { Cause, Context, Effect, Exit, Fiber, Layer, Option } from "effect"
import * as Pg from "pg"
import { appendCommit, rootSession } from "../../sqlite/test/helpers.js"
import { PostgresBackend, PostgresBackendInternals, type PostgresBackendOptions } from "../src/index.js"

const url = PostgresBackend.testing.url()

/** A plain client outside lash, closed with the scope. */
const outsider = Effect.acquireRelease(
  Effect.promise(async () => {
    const client = new Pg.Client({ connectionString: url, application_name: "lash-test-outsider" })
    client.on("error", () => undefined)
    await client.connect()
    return client
  }),
  (client) => Effect.promise(() => client.end().catch(() => undefined))
)

const sql = (client: Pg.Client, text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.promise(() => client.query(text, params as Array<unknown>).then((r) => r.rows))

const open = (schema: string, options: Omit<PostgresBackendOptions, "url" | "schema"> = {}) =>
  Layer.build(PostgresBackend.layerWithInternals({ url, schema, poolSize: 2, ...options }))

const codeOf = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (typeof failure !== "object" || failure === null || !("_tag" in failure) || failure._tag !== "StoreUnavailable") {
    return `not StoreUnavailable: ${String(exit.cause)}`
  }
  return SqlDialect.errorCode((failure as { readonly cause?: unknown }).cause) ?? "no code"
}

const revision = (store: SessionStore["Type"]) =>
  Effect.map(store.loadHead("s1" as SessionId), (head) => Option.getOrThrow(head).headRevision)

describe("opening", () => {
  it.scopedLive("six handles opening a new schema at once migrate it once", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const handles = yield* Effect.all(Array.from({ length: 6 }, () => open(schema)), { concurrency: "unbounded" })
      const internals = Context.get(handles[0]!, PostgresBackendInternals)
      const applied = yield* internals.query("SELECT migration_id FROM lash_migrations")
      expect(applied.map((r) => Number(r.migration_id))).toEqual([1, 2])
    }))

  it.scopedLive("a schema with foreign tables, or from a newer version, is refused", () =>
    Effect.gen(function*() {
      const client = yield* outsider
      const foreign = yield* PostgresBackend.testing.schema()
      yield* sql(client, `CREATE SCHEMA ${foreign}`)
      yield* sql(client, `CREATE TABLE ${foreign}.orders (id int)`)
      const refused = yield* Effect.exit(Effect.scoped(open(foreign)))
      expect(String(refused)).toContain("not a lash schema")
      const newer = yield* PostgresBackend.testing.schema()
      yield* Effect.scoped(open(newer))
      yield* sql(client, `INSERT INTO ${newer}.lash_migrations (migration_id, name) VALUES (99, 'future')`)
      const tooNew = yield* Effect.exit(Effect.scoped(open(newer)))
      expect(String(tooNew)).toContain("newer @lash/backend-postgres (migration 99)")
    }))
})

describe("units under faults", () => {
  /** A session created through lash, then its row locked by an outside transaction until `release`. */
  const lockedSession = (schema: string, sessionId: string) =>
    Effect.gen(function*() {
      const client = yield* outsider
      yield* sql(client, "BEGIN")
      yield* sql(client, `SELECT 1 FROM ${schema}.lash_sessions WHERE session_id = $1 FOR UPDATE`, [sessionId])
      return { release: sql(client, "COMMIT") }
    })

  it.scopedLive("a lock held past lock_timeout is retried inside the unit: the commit succeeds", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const store = Context.get(yield* open(schema, { lockTimeoutMs: 100 }), SessionStore)
      yield* store.create(rootSession("s1"))
      const lock = yield* lockedSession(schema, "s1")
      const commit = yield* Effect.fork(store.commit(appendCommit("s1", 0, [{ id: "a" }])))
      yield* Effect.sleep("400 millis")
      yield* lock.release
      const result = yield* Fiber.join(commit)
      expect(result.headRevision).toBe(1)
    }))

  it.scopedLive("statement_timeout fails the unit with StoreUnavailable (57014); nothing is written", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const store = Context.get(yield* open(schema, { statementTimeoutMs: 300, lockTimeoutMs: 20_000 }), SessionStore)
      yield* store.create(rootSession("s1"))
      const lock = yield* lockedSession(schema, "s1")
      const exit = yield* Effect.exit(store.commit(appendCommit("s1", 0, [{ id: "a" }])))
      expect(codeOf(exit)).toBe("57014")
      yield* lock.release
      expect(yield* revision(store), "the failed commit wrote nothing").toBe(0)
      expect((yield* store.commit(appendCommit("s1", 0, [{ id: "a" }]))).headRevision).toBe(1)
    }))

  /** Terminates the lash connection waiting on a lock (once one is), `times` times or until `done`. */
  const terminateWaiting = (client: Pg.Client, times: number, done: () => boolean) =>
    Effect.gen(function*() {
      let killed = 0
      while (killed < times && !done()) {
        yield* Effect.sleep("50 millis")
        const waiting = (yield* sql(
          client,
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'lash' AND wait_event_type = 'Lock'"
        )) as Array<{ pid: number }>
        if (waiting[0] !== undefined) {
          yield* sql(client, "SELECT pg_terminate_backend($1)", [waiting[0].pid])
          killed++
        }
      }
      return killed
    })

  it.scopedLive("a connection terminated before COMMIT: the unit runs again on a new connection and succeeds", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const store = Context.get(yield* open(schema, { lockTimeoutMs: 20_000 }), SessionStore)
      yield* store.create(rootSession("s1"))
      const lock = yield* lockedSession(schema, "s1")
      const commit = yield* Effect.fork(store.commit(appendCommit("s1", 0, [{ id: "a" }])))
      expect(yield* terminateWaiting(yield* outsider, 1, () => false)).toBe(1)
      yield* Effect.sleep("200 millis")
      yield* lock.release
      expect((yield* Fiber.join(commit)).headRevision, "committed once, on the new connection").toBe(1)
    }))

  it.scopedLive("a connection lost on every attempt: StoreUnavailable with the SQLSTATE, nothing half-committed", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const store = Context.get(yield* open(schema, { lockTimeoutMs: 20_000 }), SessionStore)
      yield* store.create(rootSession("s1"))
      const lock = yield* lockedSession(schema, "s1")
      let finished = false
      const commit = yield* Effect.fork(
        Effect.exit(store.commit(appendCommit("s1", 0, [{ id: "a" }]))).pipe(
          Effect.ensuring(Effect.sync(() => (finished = true)))
        )
      )
      const killed = yield* terminateWaiting(yield* outsider, 5, () => finished)
      const exit = yield* Fiber.join(commit)
      expect(codeOf(exit)).toBe("57P01")
      // A log shows the cause: the SQLSTATE and the server's message (a driver Error was logged as `{}`).
      const logged = JSON.parse(JSON.stringify(Exit.isFailure(exit) ? Cause.squash(exit.cause) : null))
      expect(logged).toMatchObject({ _tag: "StoreUnavailable" })
      expect(JSON.stringify(logged)).toMatch(/"code":"57P01","message":"terminating connection/)
      expect(killed, "the first attempt and two re-runs").toBe(3)
      yield* lock.release
      expect(yield* revision(store), "nothing half-committed").toBe(0)
      expect((yield* store.commit(appendCommit("s1", 0, [{ id: "a" }]))).headRevision, "the pool reconnected").toBe(1)
    }))
})

describe("durability report", () => {
  it.scopedLive("names the mechanism and the server's settings", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const info = Context.get(yield* open(schema), StorageInfo)
      const report = yield* info.durabilityReport
      expect(report.mechanism).toBe("postgres")
      expect(report.crashSafety).toBe("power-loss")
      expect(report.details).toMatchObject({ fsync: "on", schema })
    }))
})
