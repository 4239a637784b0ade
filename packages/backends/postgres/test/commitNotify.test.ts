/**
 * A unit's announcement (`SqlDialect.POSTGRES_NOTIFY`) goes with its `COMMIT`, in one round trip (src/Units.ts): the
 * listener hears exactly the channel and payload the body gave (quotes and backslashes included), in order, and only
 * when the unit commits; a unit that fails after announcing sends nothing; a `pg_notify` the server refuses (a payload
 * over its limit) fails the unit, which writes nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlDialect } from "@lash/backend-sql"
import { Effect, Exit } from "effect"
import * as Pg from "pg"
import { PostgresBackend } from "../src/index.js"
import * as Open from "../src/Open.js"
import * as Options from "../src/Options.js"
import * as Units from "../src/Units.js"

const unit = { port: "test", operation: "commitNotify" }

const setup = Effect.gen(function*() {
  const schema = yield* PostgresBackend.testing.schema()
  const resolved = yield* Options.resolve({ url: PostgresBackend.testing.url(), schema, poolSize: 1 })
  const pool = yield* Open.makePool(resolved.pool)
  yield* Open.migrate(pool, schema)
  const units = Units.make({ pool, poolSize: 1, connectTimeoutMs: 10_000 }, SqlDialect.postgres())
  const channel = `lash_cn_${schema.slice(-8)}`
  const heard: Array<{ readonly channel: string; readonly payload: string | undefined }> = []
  const listener = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Pg.Client({ connectionString: PostgresBackend.testing.url() })
      client.on("error", () => undefined)
      await client.connect()
      client.on("notification", (n) => heard.push({ channel: n.channel, payload: n.payload }))
      await client.query(`LISTEN ${channel}`)
      return client
    }),
    (client) => Effect.promise(() => client.end().catch(() => undefined))
  )
  /** A notification sent by the listener's own connection after everything before it was delivered. */
  const settle = Effect.promise(async () => {
    await listener.query(`NOTIFY ${channel}, 'end'`)
    while (heard.at(-1)?.payload !== "end") await new Promise((resolve) => setTimeout(resolve, 10))
    heard.pop()
  })
  return { units, channel, heard, settle, schema }
})

describe("announcements sent with COMMIT", () => {
  it.scopedLive("the listener hears each payload as given, in order, when the unit commits", () =>
    Effect.gen(function*() {
      const { channel, heard, settle, units } = yield* setup
      const payloads = [`{"h":"x","s":[["q","it's"]]}`, `back\\slash \\' and ''quotes''`, "plain"]
      const answer = yield* units.write(unit, (connection) =>
        Effect.gen(function*() {
          for (const payload of payloads) {
            yield* connection.execute(SqlDialect.POSTGRES_NOTIFY, [channel, payload], undefined)
          }
          return (yield* connection.execute("SELECT 41 + 1 AS n", [], undefined))[0]?.n
        }))
      expect(answer).toBe(42)
      yield* settle
      expect(heard).toEqual(payloads.map((payload) => ({ channel, payload })))
    }))

  it.scopedLive("a unit that fails after announcing sends nothing", () =>
    Effect.gen(function*() {
      const { channel, heard, settle, units } = yield* setup
      const exit = yield* Effect.exit(units.write(unit, (connection) =>
        Effect.zipRight(
          connection.execute(SqlDialect.POSTGRES_NOTIFY, [channel, "never"], undefined),
          Effect.fail("body failed" as const)
        )))
      expect(exit).toEqual(Exit.fail("body failed"))
      yield* settle
      expect(heard).toEqual([])
    }))

  it.scopedLive("a payload the server refuses fails the unit, which writes nothing", () =>
    Effect.gen(function*() {
      const { channel, heard, schema, settle, units } = yield* setup
      const table = `"${schema}".lash_meta`
      const exit = yield* Effect.exit(units.write(unit, (connection) =>
        Effect.zipRight(
          connection.execute(`INSERT INTO ${table} (key, value) VALUES ('commitNotify', 'x')`, [], undefined),
          connection.execute(SqlDialect.POSTGRES_NOTIFY, [channel, "x".repeat(9_000)], undefined)
        )))
      expect(Exit.isFailure(exit)).toBe(true)
      const rows = yield* units.read(unit, (connection) =>
        connection.execute(`SELECT value FROM ${table} WHERE key = 'commitNotify'`, [], undefined))
      expect(rows).toEqual([])
      yield* settle
      expect(heard).toEqual([])
    }))
})
