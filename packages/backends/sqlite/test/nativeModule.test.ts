/**
 * The native-module guidance (src/NativeModule.ts): an open that fails because better-sqlite3's addon does not load
 * names the package and how to get it built; every other open failure keeps its own cause. The real case (an
 * install whose build script did not run) is exercised by the consumer check (scripts/consumer-check.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { StoreUnavailable } from "@lash/core"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SqliteBackend, SqliteNativeModuleUnavailable } from "../src/index.js"
import { explainOpenFailure, probeBetterSqlite3 } from "../src/NativeModule.js"

const bindingsError = new Error("Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node")

describe("SQLite native module guidance", () => {
  it.effect("a failing probe turns the open failure into SqliteNativeModuleUnavailable naming the package and the fix", () =>
    Effect.gen(function*() {
      const explained = yield* explainOpenFailure(new Error("opaque open failure"), () => {
        throw bindingsError
      })
      expect(explained).toBeInstanceOf(SqliteNativeModuleUnavailable)
      const error = explained as SqliteNativeModuleUnavailable
      expect(error.packageName).toBe("better-sqlite3")
      expect(error.cause).toBe(bindingsError)
      expect(error.message).toContain("better-sqlite3")
      expect(error.message).toContain("Could not locate the bindings file")
      expect(error.message).toContain("pnpm approve-builds")
      expect(error.message).toContain(`"onlyBuiltDependencies": ["better-sqlite3"]`)
      expect(error.message).toContain("npm rebuild better-sqlite3")
      // wrapped by the backend, the store error's own message carries the guidance
      expect(new StoreUnavailable({ port: "sqlite", cause: error }).message).toContain("pnpm approve-builds")
    }))

  it.effect("when the addon loads, the original cause is kept", () =>
    Effect.gen(function*() {
      const cause = new Error("SQLITE_CANTOPEN")
      expect(yield* explainOpenFailure(cause, () => ({ version: "12.0.0" }))).toBe(cause)
    }))

  it("the default probe loads the workspace's addon and reads its version", () => {
    expect(probeBetterSqlite3().version).toMatch(/^12\./)
  })

  it.scoped("a real open failure with a working addon is not blamed on the addon", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-native-test-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      // a directory where the database file should be: SQLite cannot open it
      const filename = path.join(dir, "db")
      fs.mkdirSync(filename)
      const exit = yield* Effect.exit(Layer.build(SqliteBackend.layer({ filename })))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(failure).toBeInstanceOf(StoreUnavailable)
        expect((failure as StoreUnavailable).cause).not.toBeInstanceOf(SqliteNativeModuleUnavailable)
      }
    }))
})
