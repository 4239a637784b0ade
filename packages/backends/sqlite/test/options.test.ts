/**
 * The SQLite layer decodes its options (docs/configuration.md): a bad one fails the build with `LashConfigError`
 * naming it, never a defect or a silently changed setting; `quickCheck` refuses a file with damaged pages at open.
 */
import { describe, expect, it } from "@effect/vitest"
import { type SessionId, SessionStore, StoreUnavailable } from "@lash/core"
import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import * as fs from "node:fs"
import { SqliteBackend, type SqliteBackendOptions } from "../src/index.js"
import { rootSession, tempDbFile } from "./helpers.js"

const buildFailure = (options: unknown) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(Layer.build(SqliteBackend.layer(options as SqliteBackendOptions))))
    if (Exit.isSuccess(exit)) return "built"
    return Option.getOrElse(Cause.failureOption(exit.cause), () => `a defect: ${Cause.pretty(exit.cause)}`)
  })

describe("SQLite options", () => {
  const cases: ReadonlyArray<readonly [string, (filename: string) => unknown, string, string]> = [
    ["filename: undefined (was a defect)", () => ({ filename: undefined }), "filename", "undefined"],
    ["filename: 42", () => ({ filename: 42 }), "filename", "42"],
    // "off" is refused rather than honoured: it can lose committed turns, and the durable tier promises it cannot.
    [
      "synchronous: \"off\" (was silently NORMAL)",
      (filename) => ({ filename, synchronous: "off" }),
      "synchronous",
      "\"off\""
    ],
    ["synchronous: \"FULL\"", (filename) => ({ filename, synchronous: "FULL" }), "synchronous", "\"FULL\""],
    ["busyTimeoutMs: NaN", (filename) => ({ filename, busyTimeoutMs: Number.NaN }), "busyTimeoutMs", "NaN"],
    ["busyTimeoutMs: -1", (filename) => ({ filename, busyTimeoutMs: -1 }), "busyTimeoutMs", "-1"],
    ["busyTimeoutMs: Infinity", (filename) => ({ filename, busyTimeoutMs: Infinity }), "busyTimeoutMs", "Infinity"],
    ["quickCheck: \"yes\"", (filename) => ({ filename, quickCheck: "yes" }), "quickCheck", "\"yes\""],
    ["no options at all", () => undefined, "options", "undefined"]
  ]
  for (const [name, options, field, value] of cases) {
    it.scopedLive(`${name} is a LashConfigError naming the option; no file is created`, () =>
      Effect.gen(function*() {
        const filename = yield* tempDbFile
        const error = yield* buildFailure(options(filename))
        expect(error).toMatchObject({ _tag: "LashConfigError", reason: "invalid_option", field, value })
        expect(fs.existsSync(filename)).toBe(false)
      }))
  }
})

describe("quickCheck at open", () => {
  it.scopedLive("a file with a damaged page opens without it but is refused with quickCheck: true", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      yield* Effect.scoped(
        Effect.gen(function*() {
          const ctx = yield* Layer.build(SqliteBackend.layer({ filename }))
          const store = Context.get(ctx, SessionStore)
          for (let i = 0; i < 300; i++) yield* store.create(rootSession(`session-${i}-${"x".repeat(200)}`))
        })
      )
      // A healthy file passes the check.
      yield* Effect.scoped(Layer.build(SqliteBackend.layer({ filename, quickCheck: true })))
      // Overwrite the header of a b-tree page near the end of the file (the WAL was checkpointed at close).
      const size = fs.statSync(filename).size
      const pageSize = 4096
      const fd = fs.openSync(filename, "r+")
      fs.writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (Math.floor(size / pageSize) - 2) * pageSize)
      fs.closeSync(fd)
      const refused = yield* buildFailure({ filename, quickCheck: true })
      expect(refused).toBeInstanceOf(StoreUnavailable)
      expect((refused as StoreUnavailable).cause).toMatchObject({ _tag: "SqliteOpenRefused" })
      expect(String((refused as StoreUnavailable).cause)).toMatch(/PRAGMA quick_check failed: ./)
      // Without the option the same file opens (the check is opt-in) and a row is still readable.
      yield* Effect.scoped(
        Effect.gen(function*() {
          const ctx = yield* Layer.build(SqliteBackend.layer({ filename }))
          const store = Context.get(ctx, SessionStore)
          yield* Effect.exit(store.loadHead("session-0" as SessionId))
        })
      )
    }))
})
