/**
 * @lash/cli: the `lash` command line. Run it as `lash` (the package's `bin`); this entry point exposes the command
 * for embedding (`run(argv)` answers the exit code) and the pieces it is made of. docs/operations.md has the guide.
 *
 * @since 0.1.0
 */
export { command, run } from "./Cli.js"
export { CliError, ExitCode } from "./CliError.js"
export {
  checkVersion,
  inspectSqlite,
  inspectStore,
  type OpenMode,
  type SqliteSchema,
  storageLayer,
  type StoreSchema
} from "./OpenStore.js"
export * as StoreLocation from "./StoreLocation.js"
export * as Transcript from "./Transcript.js"
