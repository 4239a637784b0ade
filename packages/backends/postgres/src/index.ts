/**
 * @lash/backend-postgres: the PostgreSQL storage backend of lash (durable tier; many workers on many machines share
 * one schema).
 *
 * @since 0.1.0
 */
export * from "./PostgresBackend.js"
