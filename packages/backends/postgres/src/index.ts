/**
 * @lash/backend-postgres: the PostgreSQL storage backend of lash (durable tier; many workers on many machines share
 * one schema).
 *
 * @since 0.1.0
 */
export { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE } from "./Migrations.js"
export * from "./PostgresBackend.js"
