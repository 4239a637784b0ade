/**
 * Opening with a role that may read and write lash's tables but create nothing (`Open.ts`): a schema that exists and
 * is migrated opens, and turns and processes run on it; a schema that does not exist, or exists without lash's
 * tables, is refused with `PostgresOpenRefused` naming the role and the step it may not take (`insufficientPrivilege`).
 * The role is created by the test with `USAGE` on the schema and `SELECT, INSERT, UPDATE, DELETE` on its tables only
 * (or `SELECT` only: it opens and reads, as the `lash` CLI does), and dropped at the end.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  defineTool,
  InlineEffectController,
  LashCore,
  ProcessRegistration,
  StoreInspector,
  StoreUnavailable,
  TurnInput
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Cause, Effect, Exit, Layer, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"
import * as Pg from "pg"
import { PostgresBackend, PostgresOpenRefused } from "../src/index.js"

const url = PostgresBackend.testing.url()

/** Runs statements as the test's (privileged) user, on a short-lived connection; the last one's rows. */
const admin = (...statements: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const client = new Pg.Client({ connectionString: url, application_name: "lash-test-admin" })
    client.on("error", () => undefined)
    await client.connect()
    try {
      let rows: Array<Record<string, unknown>> = []
      for (const statement of statements) rows = (await client.query(statement)).rows
      return rows
    } finally {
      await client.end().catch(() => undefined)
    }
  })

/** A login role with no privilege beyond connecting, dropped (with its grants) when the scope closes. */
const restrictedRole = Effect.acquireRelease(
  Effect.gen(function*() {
    const role = `lash_rw_${randomBytes(4).toString("hex")}`
    const database = new URL(url).pathname.slice(1)
    yield* admin(`CREATE ROLE ${role} LOGIN`, `GRANT CONNECT ON DATABASE "${database}" TO ${role}`)
    const roleUrl = new URL(url)
    roleUrl.username = role
    roleUrl.password = ""
    return { role, url: roleUrl.toString() }
  }),
  ({ role }) => admin(`DROP OWNED BY ${role}`, `DROP ROLE ${role}`)
)

const grantReadWrite = (role: string, schema: string) =>
  admin(
    `GRANT USAGE ON SCHEMA "${schema}" TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`
  )

const nap = defineTool({
  name: "nap",
  description: "Waits a little, then answers",
  input: Schema.Struct({ label: Schema.String }),
  output: Schema.Struct({ label: Schema.String }),
  execute: ({ label }) => Effect.as(Effect.sleep("10 millis"), { label })
})

const model = { id: "restricted", limits: { contextWindowTokens: 8192 } }

const core = (storage: ReturnType<typeof PostgresBackend.layer>) =>
  LashCore.layer({ mode: "standard", model, tools: [nap], worker: { enabled: true, sweepEvery: "100 millis" } }).pipe(
    Layer.provide(Layer.mergeAll(
      storage,
      InlineEffectController.layer,
      TestProvider.builder().reply("Stored by a restricted role.").build().layer
    ))
  )

/** The `PostgresOpenRefused` an open failed with. */
const refusalOf = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit)
    ? Option.flatMap(Cause.failureOption(exit.cause), (error) =>
      error instanceof StoreUnavailable && error.cause instanceof PostgresOpenRefused
        ? Option.some(error.cause)
        : Option.none())
    : Option.none()

describe("a role that may read and write the tables but create nothing", () => {
  it.scopedLive("opens a migrated schema; a turn commits and a process runs on it", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      yield* Effect.scoped(Layer.build(PostgresBackend.layer({ url, schema, poolSize: 2 })))
      const { role, url: roleUrl } = yield* restrictedRole
      yield* grantReadWrite(role, schema)
      const storage = PostgresBackend.layer({ url: roleUrl, schema, poolSize: 2 })
      const program = Effect.gen(function*() {
        const lash = yield* LashCore
        const session = yield* lash.openSession("restricted")
        const out = yield* session.turn(TurnInput.text("keep this")).run
        expect(Option.getOrNull(out.assistantMessage)).toBe("Stored by a restricted role.")
        const envRef = yield* lash.processEnv.persist({
          pluginOptions: { plugins: {} },
          policy: { model, providerId: "" }
        })
        const record = yield* lash.processes().start(
          ProcessRegistration.toolCall({ id: "restricted-nap", toolName: "nap", args: { label: "ran" }, envRef })
        )
        return yield* lash.processes().await(record.id).pipe(Effect.timeout("20 seconds"))
      })
      const output = yield* Effect.scoped(Effect.provide(program, core(storage)))
      expect(output).toEqual({ type: "success", value: { label: "ran" } })
    }))

  it.scopedLive("a role with SELECT only opens a migrated schema and reads it (what the lash CLI needs)", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const seeded = PostgresBackend.layer({ url, schema, poolSize: 2 })
      yield* Effect.scoped(Effect.provide(
        Effect.flatMap(
          LashCore,
          (lash) => Effect.flatMap(lash.openSession("seen"), (session) => session.turn(TurnInput.text("hello")).run)
        ),
        core(seeded)
      ))
      const { role, url: roleUrl } = yield* restrictedRole
      yield* admin(
        `GRANT USAGE ON SCHEMA "${schema}" TO ${role}`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`
      )
      const statsAs = (owner: string) =>
        Effect.serviceOption(StoreInspector).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.dieMessage("the Postgres backend provides no StoreInspector"),
            onSome: (inspector) => inspector.stats
          })),
          Effect.provide(PostgresBackend.layer({ url: owner, schema, poolSize: 2, notify: false }))
        )
      const stats = yield* statsAs(roleUrl)
      expect(stats).toMatchObject({ sessions: 1 })
      expect(stats).toEqual(yield* statsAs(url))
    }))

  it.scopedLive("a schema it would have to create or migrate is refused, naming the role and the step", () =>
    Effect.gen(function*() {
      const { role, url: roleUrl } = yield* restrictedRole
      const absent = yield* PostgresBackend.testing.schema()
      const create = yield* Effect.exit(
        Effect.scoped(Layer.build(PostgresBackend.layer({ url: roleUrl, schema: absent })))
      )
      const createRefusal = refusalOf(create)
      expect(Option.map(createRefusal, (r) => r.insufficientPrivilege)).toEqual(
        Option.some({ role, step: "create_schema" })
      )
      expect(Option.map(createRefusal, (r) => r.message)).toEqual(
        Option.some(expect.stringContaining(`cannot open schema ${absent}: the schema does not exist and role ${role}`))
      )
      const empty = yield* PostgresBackend.testing.schema()
      yield* admin(`CREATE SCHEMA "${empty}"`)
      yield* grantReadWrite(role, empty)
      const migrate = yield* Effect.exit(
        Effect.scoped(Layer.build(PostgresBackend.layer({ url: roleUrl, schema: empty })))
      )
      expect(Option.map(refusalOf(migrate), (r) => r.insufficientPrivilege)).toEqual(
        Option.some({ role, step: "migrate" })
      )
      // Nothing was created by the refused opens.
      const left = yield* admin(
        `SELECT nspname AS name FROM pg_namespace WHERE nspname = '${absent}'
         UNION ALL SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${empty}'`
      )
      expect(left).toEqual([])
    }))
})
