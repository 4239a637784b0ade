/**
 * What to do when SQLite's native module cannot load. The backend talks to SQLite through `better-sqlite3` (a
 * dependency of `@effect/sql-sqlite-node`), which ships a compiled addon built by its install script. pnpm 10 blocks
 * install scripts unless the package is approved, a Node upgrade leaves an addon built for another ABI, and a
 * platform without a prebuilt binary needs a compiler: each surfaces as an opaque error from the first open.
 *
 * When opening the database fails, `explainOpenFailure` probes the addon itself (an in-memory database, which can
 * only fail to open when the addon does not load) and, if the probe fails, replaces the cause with
 * `SqliteNativeModuleUnavailable`, whose message names the package and the commands that fix it. Any other failure
 * (a busy file, a bad path) is passed through unchanged. Nothing runs on the success path.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { createRequire } from "node:module"

/** The npm package that holds SQLite's native addon. @since 0.1.0 */
export const NATIVE_PACKAGE = "better-sqlite3"

/**
 * SQLite's native module (`better-sqlite3`) could not be loaded, so no database can be opened. The message says how
 * to get the addon built; `cause` is the loader's own error.
 *
 * @since 0.1.0
 */
export class SqliteNativeModuleUnavailable extends Data.TaggedError("SqliteNativeModuleUnavailable")<{
  readonly packageName: string
  /** The installed version, when its `package.json` could be read. */
  readonly version: string | undefined
  readonly cause: unknown
}> {
  override get message() {
    const installed = this.version === undefined ? this.packageName : `${this.packageName}@${this.version}`
    return [
      `the native module of ${installed} (SQLite for @lash/backend-sqlite) could not be loaded: ${
        describe(this.cause)
      }.`,
      `Its install script builds or downloads the addon; it has not run, or ran for another Node.js version.`,
      `- pnpm 10 blocks install scripts: run \`pnpm approve-builds\` and select ${this.packageName}, or add`,
      `  "pnpm": { "onlyBuiltDependencies": ["${this.packageName}"] } to your package.json, then run`,
      `  \`pnpm rebuild ${this.packageName}\`.`,
      `- npm or yarn: run \`npm rebuild ${this.packageName}\` (not with --ignore-scripts).`,
      `- After a Node.js upgrade: rebuild it the same way.`,
      `Without a prebuilt binary for this platform the build needs python3, make and a C++ compiler.`
    ].join("\n")
  }
}

/** The loader's message, first line only (`bindings` goes on to list every path it tried). */
const describe = (cause: unknown): string =>
  cause instanceof Error
    ? (cause.message.split("\n")[0] ?? cause.name).replace(/[.:]?\s*Tried:?\s*$/, "").replace(/\.$/, "")
    : String(cause)

/** Loads the addon the way `@effect/sql-sqlite-node` does, by opening an in-memory database. */
export type NativeProbe = () => { readonly version: string | undefined }

/**
 * The default probe: resolves `better-sqlite3` from `@effect/sql-sqlite-node` (the copy the client uses) and opens
 * and closes an in-memory database. Throws what the loader throws.
 */
export const probeBetterSqlite3: NativeProbe = () => {
  const fromBackend = createRequire(import.meta.url)
  const fromClient = createRequire(fromBackend.resolve("@effect/sql-sqlite-node"))
  const Database = fromClient(NATIVE_PACKAGE) as new(filename: string) => { close(): void }
  let version: string | undefined
  try {
    version = (fromClient(`${NATIVE_PACKAGE}/package.json`) as { readonly version?: string }).version
  } catch {
    version = undefined
  }
  try {
    new Database(":memory:").close()
  } catch (error) {
    throw new ProbeFailed({ version, error })
  }
  return { version }
}

class ProbeFailed extends Data.Error<{ readonly version: string | undefined; readonly error: unknown }> {}

/**
 * Given why opening a database failed, returns a `SqliteNativeModuleUnavailable` when the native module does not
 * load, and the original cause otherwise.
 *
 * @since 0.1.0
 */
export const explainOpenFailure = (
  cause: unknown,
  probe: NativeProbe = probeBetterSqlite3
): Effect.Effect<unknown> =>
  Effect.sync(() => {
    try {
      probe()
      return cause
    } catch (failure) {
      return failure instanceof ProbeFailed
        ? new SqliteNativeModuleUnavailable({
          packageName: NATIVE_PACKAGE,
          version: failure.version,
          cause: failure.error
        })
        : new SqliteNativeModuleUnavailable({ packageName: NATIVE_PACKAGE, version: undefined, cause: failure })
    }
  })
