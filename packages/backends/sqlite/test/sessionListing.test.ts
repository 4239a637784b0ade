/**
 * `SessionStore.listSessions` pages newest first by last activity (`SessionListing`,
 * packages/backends/sql/src/SessionStatements.ts); migration 0002 adds `lash_sessions_activity` so both pages read the
 * index in order instead of sorting the whole table. EXPLAIN QUERY PLAN of the driver's own statements shows it, and
 * shows the sort coming back without the index.
 */
import { describe, expect, it } from "@effect/vitest"
import { SessionListing } from "@lash/backend-sql"
import { Context, Effect, Layer } from "effect"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { tempDbFile } from "./helpers.js"

describe("sessions listing", () => {
  it.scopedLive("both pages of the listing read lash_sessions_activity, with no sort", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const handle = yield* Layer.build(SqliteBackend.layerWithInternals({ filename }))
      const { sql } = Context.get(handle, SqliteBackendInternals)
      const applied = yield* sql.unsafe<{ readonly migration_id: number }>(
        "SELECT migration_id FROM lash_migrations ORDER BY migration_id"
      )
      expect(applied.map((row) => row.migration_id)).toEqual([1, 2])
      yield* sql.unsafe(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO lash_sessions (session_id, head_json, record_version, head_revision, node_count,
           next_enqueue_seq, created_at_ms, updated_at_ms)
         SELECT printf('s-%04d', i), '{}', 1, 0, 0, 1, i, i FROM n`
      )
      yield* sql.unsafe("ANALYZE")
      const plan = (query: string, params: ReadonlyArray<string | number>) =>
        Effect.map(
          sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN ${query}`, params),
          (rows) => rows.map((row) => row.detail).join("; ")
        )
      const pages = [[SessionListing.first, [20]], [SessionListing.next, [500, 500, "s-0500", 20]]] as const
      for (const [query, params] of pages) {
        const detail = yield* plan(query, params)
        expect(detail).toMatch(/USING (COVERING )?INDEX lash_sessions_activity/)
        expect(detail).not.toContain("TEMP B-TREE")
      }
      // Without the index the same statements sort the table: the assertions above can fail.
      yield* sql.unsafe("DROP INDEX lash_sessions_activity")
      // (A new statement text: the client caches prepared statements, and the cached plan predates the DROP.)
      expect(yield* plan(`${SessionListing.first} `, [20])).toContain("USE TEMP B-TREE FOR ORDER BY")
    }))
})
