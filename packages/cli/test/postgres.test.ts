/**
 * The built `lash` executable against Postgres stores (`--store postgres://…?schema=NAME`): every read command on a
 * schema the tests fill through lash, with the schema's rows unchanged afterwards; `store check` naming corrupt rows;
 * `store migrate` creating a schema and bringing an old one up to date; and every schema a read refuses with one line
 * (missing: not created; foreign; empty; newer; behind), plus an unreachable server. Each test file has its own
 * schemas on LASH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end.
 */
import { PostgresBackend } from "@lash/backend-postgres"
import { randomBytes } from "node:crypto"
import * as Pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fillCorruptStore, fillStore, postgresStore } from "./fill.js"
import { build, json, lash } from "./lash.js"

const url = PostgresBackend.testing.url()
const prefix = `lash_cli_${Math.floor(Date.now() / 1000)}_${process.pid}_${randomBytes(3).toString("hex")}`
const schemaNamed = (name: string) => `${prefix}_${name}`
const storeOf = (schema: string) => {
  const location = new URL(url)
  location.searchParams.set("schema", schema)
  return location.href
}
const filled = schemaNamed("filled")
const corrupt = schemaNamed("corrupt")
const at = (...args: ReadonlyArray<string>) => lash([...args, "--store", storeOf(filled)])
const slow = { timeout: 300_000 }

const client = new Pg.Client({ connectionString: url, application_name: "lash-cli-test" })
const sql = (text: string, params: ReadonlyArray<unknown> = []) =>
  client.query(text, params as Array<unknown>).then((result) => result.rows as Array<Record<string, unknown>>)

/** Every row of every table of `schema`, as text: equal before and after means nothing was written. */
const snapshot = async (schema: string) => {
  const tables = await sql(
    "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
    [schema]
  )
  const rows: Record<string, unknown> = {}
  for (const { tablename } of tables) {
    const [digest] = await sql(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
       FROM "${schema}"."${String(tablename)}" AS t`
    )
    rows[String(tablename)] = digest
  }
  return rows
}

const schemaExists = async (schema: string) =>
  (await sql("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).length > 0

beforeAll(async () => {
  await client.connect()
  await build()
  await fillStore(postgresStore(url, filled))
  await fillCorruptStore(postgresStore(url, corrupt))
}, 600_000)

afterAll(async () => {
  const schemas = await sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${prefix}%`])
  for (const { nspname } of schemas) await sql(`DROP SCHEMA IF EXISTS "${String(nspname)}" CASCADE`)
  await client.end()
}, 60_000)

describe("every read command on a Postgres store", slow, () => {
  it("reads the filled schema and changes nothing", async () => {
    const before = await snapshot(filled)
    const list = json(await at("sessions", "list", "--json"))
    expect(list.sessions.map((s: { sessionId: string; headRevision: number; turns: number }) => [
      s.sessionId,
      s.headRevision,
      s.turns
    ])).toEqual([["gamma", 0, 0], ["beta", 1, 1], ["alpha", 2, 2]])
    const page = json(await at("sessions", "list", "--limit", "2", "--json"))
    expect(
      json(await at("sessions", "list", "--limit", "2", "--after", page.next, "--json")).sessions.map((
        s: { sessionId: string }
      ) => s.sessionId)
    ).toEqual(["alpha"])
    const show = await at("sessions", "show", "alpha", "--turn", "2")
    expect(show.code).toBe(0)
    expect(show.stdout).toContain("user: second alpha\nassistant: reply to second alpha")
    expect(await at("sessions", "show", "nobody")).toMatchObject({ code: 4, stderr: "lash: no session nobody\n" })
    const processes = json(await at("processes", "list", "--status", "running", "--json"))
    expect(processes.processes.map((p: { id: string }) => p.id)).toEqual(["proc-leased", "proc-waiting"])
    const leased = await at("processes", "show", "proc-leased")
    expect(leased.stdout).toMatch(/lease owner\s+worker-7/)
    expect(leased.stdout).toMatch(/fencing token\s+1/)
    const events = json(await at("processes", "events", "proc-waiting", "--json"))
    expect(events.events.map((e: { payload: unknown }) => e.payload)).toEqual([{ line: "step 1" }, { line: "step 2" }])
    const triggers = json(await at("triggers", "list", "--json"))
    expect(triggers.triggers.map((t: { name: string; enabled: boolean }) => [t.name, t.enabled])).toEqual([
      ["alpha button", true],
      ["beta button", false]
    ])
    const queue = json(await at("queue", "beta", "--json"))
    expect(queue.batches.map((b: { claimState: string }) => b.claimState)).toEqual(["claimed", "unclaimed"])
    expect(await at("store", "check")).toMatchObject({
      code: 0,
      stdout:
        "checked 3 sessions (9 nodes, 2 open batches), 4 processes (4 events), 2 trigger subscriptions: no problems\n"
    })
    const stats = json(await at("store", "stats", "--json"))
    expect(stats).toMatchObject({
      backend: "postgres",
      tier: "durable",
      durability: { mechanism: "postgres", details: { schema: filled } },
      counts: { sessions: 3, processesRunning: 2, processesTerminal: 2, triggerSubscriptions: 2 }
    })
    expect(await at("store", "migrate")).toMatchObject({
      code: 0,
      stdout: `schema "${filled}" of ${url} is at schema migration 2; nothing to do\n`
    })
    expect(await snapshot(filled)).toEqual(before)
  })

  it("store check names corrupt rows by key (exit 1)", async () => {
    const check = await lash(["store", "check", "--json", "--store", storeOf(corrupt)])
    expect(check.code).toBe(1)
    expect(json(check).problems.map((p: { key: string }) => p.key).sort()).toEqual([
      "process:proc-corrupt",
      expect.stringMatching(/^session:aside\/batch:qwb:/),
      "session:broken-head",
      "session:broken/node:1",
      expect.stringMatching(/^session:fine\/batch:qwb:/),
      "subscription:subscription:1"
    ])
    const show = await lash(["sessions", "show", "broken", "--store", storeOf(corrupt)])
    expect(show.code).toBe(5)
    expect(show.stderr).toMatch(/^lash: corrupt row session:broken\/node:1: /)
    const queue = json(await lash(["queue", "fine", "--json", "--store", storeOf(corrupt)]))
    expect(queue.unreadable).toMatchObject([{ sourceKey: "source-bad", key: expect.stringMatching(/^session:fine\//) }])
    const aside = json(await lash(["queue", "aside", "--json", "--store", storeOf(corrupt)]))
    expect(aside.unreadable).toMatchObject([{ sourceKey: "source-aside", setAside: true }])
  })
})

describe("store migrate on Postgres", slow, () => {
  it("creates a schema, and brings one at migration 1 up to date (reads refuse it until then)", async () => {
    const fresh = schemaNamed("fresh")
    const name = `schema "${fresh}" of ${url}`
    expect(await lash(["store", "migrate", "--store", storeOf(fresh)])).toMatchObject({
      code: 0,
      stdout: `created ${name} at schema migration 2\n`
    })
    await sql(`DROP INDEX "${fresh}".lash_sessions_activity`)
    await sql(`DELETE FROM "${fresh}".lash_migrations WHERE migration_id = 2`)
    expect(await lash(["sessions", "list", "--store", storeOf(fresh)])).toMatchObject({
      code: 3,
      stderr: `lash: ${name} is at schema migration 1, this CLI reads 2: run lash store migrate first\n`
    })
    expect(json(await lash(["store", "migrate", "--json", "--store", storeOf(fresh)]))).toEqual({
      store: name,
      created: false,
      from: 1,
      to: 2
    })
    expect(await lash(["sessions", "list", "--store", storeOf(fresh)])).toMatchObject({
      code: 0,
      stdout: "no sessions\n"
    })
  })
})

describe("Postgres stores a read refuses: one line, exit 3, nothing created", slow, () => {
  it("a schema that does not exist is not created", async () => {
    const missing = schemaNamed("missing")
    for (const command of [["sessions", "list"], ["store", "check"], ["processes", "list"]]) {
      expect(await lash([...command, "--store", storeOf(missing)])).toMatchObject({
        code: 3,
        stderr: `lash: no schema "${missing}" of ${url} (read commands never create one; lash store migrate does)\n`
      })
    }
    expect(await schemaExists(missing)).toBe(false)
  })

  it("a schema with other tables, an empty one, a foreign lash_meta, a newer one", async () => {
    const foreign = schemaNamed("foreign")
    await sql(`CREATE SCHEMA "${foreign}"`)
    await sql(`CREATE TABLE "${foreign}".orders (id int)`)
    const empty = schemaNamed("empty")
    await sql(`CREATE SCHEMA "${empty}"`)
    const other = schemaNamed("other")
    await sql(`CREATE SCHEMA "${other}"`)
    await sql(`CREATE TABLE "${other}".lash_meta (key text PRIMARY KEY, value text NOT NULL)`)
    await sql(`INSERT INTO "${other}".lash_meta VALUES ('format', 'something-else')`)
    const newer = schemaNamed("newer")
    expect((await lash(["store", "migrate", "--store", storeOf(newer)])).code).toBe(0)
    await sql(`INSERT INTO "${newer}".lash_migrations (migration_id, name) VALUES (99, 'from_the_future')`)
    const cases: ReadonlyArray<readonly [string, string]> = [
      [foreign, `lash: schema "${foreign}" of ${url} is not a lash database (no lash_meta table)\n`],
      [empty, `lash: schema "${empty}" of ${url} is not a lash database (an empty schema)\n`],
      [other, `lash: schema "${other}" of ${url} is not a lash database (lash_meta.format is not lash-storage)\n`],
      [
        newer,
        `lash: schema "${newer}" of ${url} was written by a newer lash (schema migration 99; this CLI knows up to 2): ` +
        `upgrade @lash/cli\n`
      ]
    ]
    for (const [schema, stderr] of cases) {
      const before = await snapshot(schema)
      expect(await lash(["sessions", "list", "--store", storeOf(schema)])).toMatchObject({
        code: 3,
        stdout: "",
        stderr
      })
      expect(await snapshot(schema)).toEqual(before)
    }
    // migrate refuses a foreign or newer schema too, and leaves the foreign tables alone.
    expect((await lash(["store", "migrate", "--store", storeOf(foreign)])).code).toBe(3)
    expect((await lash(["store", "migrate", "--store", storeOf(newer)])).code).toBe(3)
    expect(Object.keys(await snapshot(foreign))).toEqual(["orders"])
  })

  it("an unreachable server, a bad schema name and a password kept out of messages", async () => {
    const unreachable = await lash(["sessions", "list", "--store", "postgres://lash:s3cret@127.0.0.1:1/test"])
    expect(unreachable.code).toBe(3)
    expect(unreachable.stderr).toMatch(/^lash: cannot reach postgres:\/\/lash:\*\*\*@127\.0\.0\.1:1\/test: .+\n$/)
    expect(unreachable.stderr).not.toContain("s3cret")
    const badName = await lash(["sessions", "list", "--store", `${url}?schema=Robert'); DROP`])
    expect(badName.code).toBe(2)
    expect(badName.stderr).toContain("is not a lash schema name")
  })
})
