/**
 * The Postgres server of the Postgres figures (B0pg, B1 and B2 on Postgres, B6): `LASH_PG_URL`, else the local test
 * server (`postgres://postgres@127.0.0.1:5432/test`, the default of `PostgresBackend.testing`), asked once with a short
 * connect timeout; when it does not answer, those figures print one line saying why. Every figure runs in a schema of
 * its own, dropped at its end.
 *
 * B0pg, the Postgres floor: raw node-postgres (`pg`, the driver `@lash/backend-postgres` runs on) `BEGIN; INSERT 512 B;
 * COMMIT` on one connection, a prepared statement, the server's own `synchronous_commit` (B0a's shape on Postgres).
 */
import { PostgresBackend } from "@lash/backend-postgres"
import { Effect, Layer } from "effect"
import * as Pg from "pg"
import { type Result, summarize, timeAsync } from "./Stats.js"

/** The server the Postgres figures use (the same one `PostgresBackend.testing` resolves). */
export const pgUrl = (): string => PostgresBackend.testing.url()

/** What the server said when asked: its settings, or why it could not be asked. */
export type PgServer =
  | { readonly available: true; readonly version: string; readonly synchronousCommit: string; readonly fsync: string }
  | { readonly available: false; readonly reason: string }

/** A client connected to the server (2 s connect timeout). */
export const connectPg = async (applicationName: string): Promise<Pg.Client> => {
  const client = new Pg.Client({
    connectionString: pgUrl(),
    connectionTimeoutMillis: 2000,
    application_name: applicationName
  })
  client.on("error", () => undefined)
  await client.connect()
  return client
}

/** A connected client, ended after `f`. */
export const withClient = async <A>(applicationName: string, f: (client: Pg.Client) => Promise<A>): Promise<A> => {
  const client = await connectPg(applicationName)
  try {
    return await f(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Asks the server for its version and durability settings. */
export const probePg = async (): Promise<PgServer> => {
  const source = process.env.LASH_PG_URL === undefined ? "no LASH_PG_URL and the local test server" : "LASH_PG_URL"
  try {
    const row = await withClient("lash-bench", async (client) =>
      (await client.query(
        "SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS s, current_setting('fsync') AS f"
      )).rows[0] as { v: string; s: string; f: string })
    return { available: true, version: row.v, synchronousCommit: row.s, fsync: row.f }
  } catch (e) {
    return {
      available: false,
      reason: `${source} (${pgUrl().replace(/:[^:@/]*@/, ":***@")}) did not answer: ${String(e)}`
    }
  }
}

/** A fresh schema name (`lash_t_…`), dropped when the scope closes: close every handle on it first. */
export const pgSchema = PostgresBackend.testing.schema

/** `PostgresBackend.layer` over a fresh schema, dropped when the layer is released. */
export const pgStorage = (options: { readonly notify?: boolean; readonly poolSize?: number } = {}) =>
  Layer.scopedContext(
    Effect.flatMap(
      pgSchema(),
      (schema) =>
        Layer.build(PostgresBackend.layer({ url: pgUrl(), schema, applicationName: "lash-bench", ...options }))
    )
  )

/** B0pg: `n` timed single-row commits after a warm-up, in a schema of its own. */
export const b0pg = (n: number): Promise<Result> =>
  withClient("lash-bench-b0", async (client) => {
    const schema = `lash_b0_${process.pid}_${Date.now()}`
    await client.query(`CREATE SCHEMA "${schema}"`)
    try {
      await client.query(`CREATE TABLE "${schema}".rows (id bigserial PRIMARY KEY, body text NOT NULL)`)
      const insert = {
        name: "b0pg-insert",
        text: `INSERT INTO "${schema}".rows (body) VALUES ($1)`,
        values: ["x".repeat(512)]
      }
      const samples = await timeAsync(n, Math.min(200, n), async () => {
        await client.query("BEGIN")
        await client.query(insert)
        await client.query("COMMIT")
      })
      return { id: "B0pg", variant: "postgres/commit", unit: "ms", summary: summarize(samples) }
    } finally {
      await client.query(`DROP SCHEMA "${schema}" CASCADE`)
    }
  })
