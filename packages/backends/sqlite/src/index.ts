/**
 * @lash/backend-sqlite: the embedded SQLite storage backend of lash (durable tier, safe across OS processes on one
 * host).
 *
 * @since 0.1.0
 */
export { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE } from "./Migrations.js"
export { NATIVE_PACKAGE, SqliteNativeModuleUnavailable } from "./NativeModule.js"
export * from "./SqliteBackend.js"
