/**
 * @lash/backend-sql: the SQL storage driver of lash over any `@effect/sql` client. A SQL backend is this driver,
 * a dialect, a unit runner for its connections, its migrations and `StorageEngine.layer`: `@lash/backend-sqlite` is
 * one, `@lash/backend-postgres` the next.
 *
 * @since 0.1.0
 */
/** What differs between the SQL dialects. @since 0.1.0 */
export * as SqlDialect from "./Dialect.js"
/** The SQL driver. @since 0.1.0 */
export * as SqlDriver from "./SqlDriver.js"
export { isSyncConnection, type Runner, type SqlParam, type SqlRow, type SyncConnection } from "./Statements.js"
/** The payload of a cross-process change notification. @since 0.1.0 */
export { SessionListing } from "./SessionStatements.js"
export * as SignalPayload from "./SignalPayload.js"
/** Where a row lives in the SQL schema (test internals). @since 0.1.0 */
export * as Tampering from "./Tampering.js"
