/**
 * Test access to a built Postgres backend: overwrite one row's JSON or record version (to test corrupt rows), run a
 * statement in the handle's schema, and the handle's pool (to terminate its connections from the server side).
 *
 * @since 0.1.0
 */
import { Tampering } from "@lash/backend-sql"
import type { RowTampering } from "@lash/core"
import { Context, Effect } from "effect"
import type * as Pg from "pg"
import { unavailable } from "./Open.js"

/**
 * Access to a built Postgres backend's rows, for tests.
 *
 * @since 0.1.0
 */
export class PostgresBackendInternals extends Context.Tag("@lash/backend-postgres/PostgresBackendInternals")<
  PostgresBackendInternals,
  RowTampering & {
    /** The schema of the handle. */
    readonly schema: string
    /** Runs one statement (`$1` placeholders) on a pooled connection of the handle, in its schema. */
    readonly query: (
      text: string,
      params?: ReadonlyArray<unknown>
    ) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, ReturnType<typeof unavailable>>
    /** The server process ids of the handle's pooled connections (`pg_stat_activity.pid`). */
    readonly backendPids: Effect.Effect<ReadonlyArray<number>>
  }
>() {}

/**
 * The internals of one backend handle.
 *
 * @since 0.1.0
 */
export const make = (pool: Pg.Pool, schema: string): PostgresBackendInternals["Type"] => {
  const pids = new Set<number>()
  pool.on("connect", (client) => {
    const pid = (client as unknown as { readonly processID?: number }).processID
    if (pid !== undefined) pids.add(pid)
  })
  pool.on("remove", (client) => {
    const pid = (client as unknown as { readonly processID?: number }).processID
    if (pid !== undefined) pids.delete(pid)
  })
  const query = (text: string, params: ReadonlyArray<unknown> = []) =>
    Effect.tryPromise({
      try: () =>
        pool.query(text, params as Array<unknown>).then((r) => r.rows as ReadonlyArray<Record<string, unknown>>),
      catch: unavailable
    })
  const write = (table: Parameters<RowTampering["corrupt"]>[0], key: string, json: boolean, value: string | number) =>
    Effect.gen(function*() {
      const target = Tampering.targetOf(table, key)
      const where = target.where.map(([c], i) => `${c} = $${i + 2}`).join(" AND ")
      const rows = yield* query(
        `UPDATE ${target.table} SET ${json ? target.column : "record_version"} = $1 WHERE ${where} RETURNING 1 AS one`,
        [value, ...target.where.map(([, v]) => v)]
      )
      if (rows.length !== 1) return yield* Effect.dieMessage(`no ${table} row ${key}`)
    }).pipe(Effect.orDie)
  return {
    corrupt: (table, key, rawJson) => write(table, key, true, rawJson),
    setRecordVersion: (table, key, version) => write(table, key, false, version),
    schema,
    query,
    backendPids: Effect.sync(() => [...pids])
  }
}
