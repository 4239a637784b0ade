/**
 * `SessionStore.listSessions` pages newest first by last activity (`SessionListing`,
 * packages/backends/sql/src/SessionStatements.ts); migration 0002 adds `lash_sessions_activity`. On a schema with 5,000
 * sessions and fresh statistics, EXPLAIN of the driver's own statements shows both pages as an index scan (the next
 * page seeking to the cursor), and a sort without the index. A schema at migration 1 gets the index when it opens.
 */
import { describe, expect, it } from "@effect/vitest"
import { SessionListing, SqlDialect } from "@lash/backend-sql"
import { Context, Effect, Layer } from "effect"
import { PostgresBackend, PostgresBackendInternals } from "../src/index.js"

const open = (schema: string) =>
  Effect.map(
    Layer.build(PostgresBackend.layerWithInternals({ url: PostgresBackend.testing.url(), schema, poolSize: 2 })),
    (handle) => Context.get(handle, PostgresBackendInternals)
  )

describe("sessions listing", () => {
  it.scopedLive("both pages of the listing scan lash_sessions_activity; without it they sort", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const internals = yield* open(schema)
      const applied = yield* internals.query("SELECT migration_id FROM lash_migrations ORDER BY migration_id")
      expect(applied.map((row) => Number(row.migration_id))).toEqual([1, 2])
      yield* internals.query(
        `INSERT INTO lash_sessions (session_id, head_json, record_version, head_revision, node_count,
           next_enqueue_seq, created_at_ms, updated_at_ms)
         SELECT 's-' || lpad(i::text, 4, '0'), '{}', 1, 0, 0, 1, i, i FROM generate_series(1, 5000) AS i`
      )
      yield* internals.query("ANALYZE lash_sessions")
      const compile = SqlDialect.postgres().compile
      const plan = (query: string, params: ReadonlyArray<string | number>) =>
        Effect.map(
          internals.query(`EXPLAIN ${compile(query)}`, params),
          (rows) => rows.map((row) => String(row["QUERY PLAN"]))
        )
      const first = yield* plan(SessionListing.first, [20])
      expect(first.join("\n")).toMatch(/Index (Only )?Scan using lash_sessions_activity/)
      expect(first.join("\n")).not.toContain("Sort")
      const next = yield* plan(SessionListing.next, [500, 500, "s-0500", 20])
      expect(next.join("\n")).toMatch(/Index (Only )?Scan using lash_sessions_activity/)
      expect(next.join("\n")).toMatch(/Index Cond: \(updated_at_ms <= (\$1|'500'::bigint|500)\)/)
      expect(next.join("\n")).not.toContain("Sort")
      yield* internals.query("DROP INDEX lash_sessions_activity")
      expect((yield* plan(SessionListing.first, [20])).join("\n")).toContain("Sort")
    }))

  it.scopedLive("a schema at migration 1 gets the index when it is opened", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      yield* Effect.scoped(
        Effect.flatMap(open(schema), (internals) =>
          Effect.zipRight(
            internals.query("DROP INDEX lash_sessions_activity"),
            internals.query("DELETE FROM lash_migrations WHERE migration_id = 2")
          ))
      )
      const internals = yield* open(schema)
      const indexes = yield* internals.query(
        "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'lash_sessions' ORDER BY indexname",
        [schema]
      )
      expect(indexes.map((row) => row.indexname)).toEqual(["lash_sessions_activity", "lash_sessions_pkey"])
      const applied = yield* internals.query("SELECT migration_id FROM lash_migrations ORDER BY migration_id")
      expect(applied.map((row) => Number(row.migration_id))).toEqual([1, 2])
    }))
})
