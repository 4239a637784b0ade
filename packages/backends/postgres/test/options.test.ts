/**
 * The Postgres layer decodes its options (docs/configuration.md, "Backends"): a bad one fails the build with
 * `LashConfigError` naming it and its value, before any connection is made, and no secret reaches the message; good
 * options given as `connection` fields instead of a URL open a schema.
 */
import { describe, expect, it } from "@effect/vitest"
import { type SessionId, SessionStore } from "@lash/core"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted } from "effect"
import { rootSession } from "../../sqlite/test/helpers.js"
import { PostgresBackend, type PostgresBackendOptions } from "../src/index.js"

const url = "postgres://postgres@127.0.0.1:5432/test"

const buildFailure = (options: unknown) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(
      Effect.scoped(Layer.build(PostgresBackend.layer(options as PostgresBackendOptions)))
    )
    if (Exit.isSuccess(exit)) return "built"
    return Option.getOrElse(Cause.failureOption(exit.cause), () => `a defect: ${Cause.pretty(exit.cause)}`)
  })

describe("Postgres options", () => {
  // [what, options, the field named, the value shown]
  const cases: ReadonlyArray<readonly [string, unknown, string, string]> = [
    ["no options at all", undefined, "options", "undefined"],
    ["neither url nor connection", { schema: "lash" }, "url", "undefined"],
    ["url: 42", { url: 42 }, "url", "42"],
    ["url: not a URL", { url: "localhost" }, "url", "\"localhost\""],
    ["url: another database's URL", { url: "mysql://app@db:3306/app" }, "url", "\"mysql://app@db:3306/app\""],
    ["schema: an injection", { url, schema: "Robert'); DROP" }, "schema", "\"Robert'); DROP\""],
    ["schema: upper case", { url, schema: "Lash" }, "schema", "\"Lash\""],
    ["schema: empty", { url, schema: "" }, "schema", "\"\""],
    ["schema: 64 characters", { url, schema: "s".repeat(64) }, "schema", JSON.stringify("s".repeat(64))],
    ["poolSize: 0", { url, poolSize: 0 }, "poolSize", "0"],
    ["poolSize: 2.5", { url, poolSize: 2.5 }, "poolSize", "2.5"],
    ["poolSize: NaN", { url, poolSize: Number.NaN }, "poolSize", "NaN"],
    ["poolSize: 1001", { url, poolSize: 1001 }, "poolSize", "1001"],
    ["poolSize: \"10\"", { url, poolSize: "10" }, "poolSize", "\"10\""],
    ["notify: \"yes\"", { url, notify: "yes" }, "notify", "\"yes\""],
    ["pollIntervalMs: 5", { url, pollIntervalMs: 5 }, "pollIntervalMs", "5"],
    ["statementTimeoutMs: 0", { url, statementTimeoutMs: 0 }, "statementTimeoutMs", "0"],
    ["statementTimeoutMs: Infinity", { url, statementTimeoutMs: Infinity }, "statementTimeoutMs", "Infinity"],
    ["lockTimeoutMs: -1", { url, lockTimeoutMs: -1 }, "lockTimeoutMs", "-1"],
    ["connectTimeoutMs: NaN", { url, connectTimeoutMs: Number.NaN }, "connectTimeoutMs", "NaN"],
    ["applicationName: empty", { url, applicationName: "" }, "applicationName", "\"\""],
    ["applicationName: not ASCII", { url, applicationName: "lash-é" }, "applicationName", "\"lash-é\""],
    ["connection: a string", { connection: "db:5432" }, "connection", "\"db:5432\""],
    ["connection.port: 0", { connection: { port: 0 } }, "connection.port", "0"],
    ["connection.port: 70000", { connection: { port: 70_000 } }, "connection.port", "70000"],
    ["connection.host: empty", { connection: { host: "" } }, "connection.host", "\"\""],
    ["connection.user: 7", { connection: { user: 7 } }, "connection.user", "7"],
    ["connection.password: 5", { connection: { password: 5 } }, "connection.password", "5"],
    ["connection.ssl: \"yes\"", { connection: { ssl: "yes" } }, "connection.ssl", "\"yes\""]
  ]
  for (const [name, options, field, value] of cases) {
    it.effect(`${name} is a LashConfigError naming ${field}`, () =>
      Effect.gen(function*() {
        const error = yield* buildFailure(options)
        expect(error).toMatchObject({ _tag: "LashConfigError", reason: "invalid_option", field, value })
      }))
  }

  it.effect("a bad URL is shown with its password masked, given as a string or Redacted", () =>
    Effect.gen(function*() {
      for (const bad of ["mysql://app:hunter2@db/app", Redacted.make("mysql://app:hunter2@db/app")]) {
        const error = yield* buildFailure({ url: bad })
        expect(error).toMatchObject({ _tag: "LashConfigError", field: "url", value: "\"mysql://app:***@db/app\"" })
        expect(JSON.stringify(error)).not.toContain("hunter2")
        expect(String(error)).not.toContain("hunter2")
      }
    }))

  it.scopedLive("connection fields instead of a URL open a schema", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const parsed = new URL(PostgresBackend.testing.url())
      const storage = yield* Layer.build(PostgresBackend.layer({
        connection: {
          host: parsed.hostname,
          port: Number(parsed.port || 5432),
          database: parsed.pathname.slice(1),
          user: decodeURIComponent(parsed.username),
          ...(parsed.password === "" ? {} : { password: Redacted.make(decodeURIComponent(parsed.password)) })
        },
        schema,
        poolSize: 2
      }))
      const store = Context.get(storage, SessionStore)
      yield* store.create(rootSession("s1"))
      expect(Option.isSome(yield* store.loadHead("s1" as SessionId))).toBe(true)
    }))
})
