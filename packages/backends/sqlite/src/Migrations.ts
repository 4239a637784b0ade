/**
 * The schema of the SQLite backend, as `@effect/sql` Migrator migrations bundled in code (packages/backends/sqlite/README.md).
 *
 * Every domain value is stored as the canonical JSON text `StorageLogic.encodeRecord` produces (exactly the strings the
 * memory backend keeps), next to a few projected key columns used for lookups, claims and ordering. All tables are
 * `STRICT`; text keys use the default `BINARY` collation (code-point order for UTF-8).
 *
 * The migrator always runs inside the backend's `BEGIN IMMEDIATE` write unit, so two processes booting at once
 * serialise on the write lock: one applies the migrations, the other then sees them applied.
 *
 * @since 0.1.0
 */
import { Migrator, SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The value of `lash_meta.format` of a lash database.
 *
 * @since 0.1.0
 */
export const FORMAT = "lash-storage"

/**
 * The table the migrator records applied migrations in.
 *
 * @since 0.1.0
 */
export const MIGRATIONS_TABLE = "lash_migrations"

const init: ReadonlyArray<string> = [
  `CREATE TABLE IF NOT EXISTS lash_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`,
  `INSERT INTO lash_meta (key, value) VALUES ('format', '${FORMAT}'), ('format_version', '1') ON CONFLICT (key) DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS lash_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0)) STRICT`,
  `INSERT INTO lash_counters (name, value) VALUES ('trigger_handle', 0), ('reservation_seq', 0) ON CONFLICT (name) DO NOTHING`,

  `CREATE TABLE IF NOT EXISTS lash_sessions (
    session_id TEXT PRIMARY KEY,
    head_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    head_revision INTEGER NOT NULL CHECK (head_revision >= 0),
    node_count INTEGER NOT NULL CHECK (node_count >= 0),
    next_enqueue_seq INTEGER NOT NULL CHECK (next_enqueue_seq >= 1),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_graph_nodes (
    session_id TEXT NOT NULL REFERENCES lash_sessions(session_id),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    node_id TEXT NOT NULL,
    parent_node_id TEXT,
    node_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, seq),
    UNIQUE (session_id, node_id)) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_turn_stamps (
    session_id TEXT NOT NULL REFERENCES lash_sessions(session_id),
    turn_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    result_json TEXT NOT NULL,
    committed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, turn_id)) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_queued_batches (
    batch_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES lash_sessions(session_id),
    enqueue_seq INTEGER NOT NULL CHECK (enqueue_seq >= 1),
    source_key TEXT,
    available_at_ms INTEGER NOT NULL,
    batch_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    completed_at_ms INTEGER,
    claim_id TEXT,
    claim_token TEXT,
    claim_expires_at_ms INTEGER NOT NULL DEFAULT 0,
    claim_fencing INTEGER NOT NULL DEFAULT 0 CHECK (claim_fencing >= 0),
    UNIQUE (session_id, enqueue_seq),
    CHECK ((claim_id IS NULL) = (claim_token IS NULL))) STRICT`,
  `CREATE UNIQUE INDEX IF NOT EXISTS lash_queued_source_key ON lash_queued_batches (session_id, source_key) WHERE source_key IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS lash_queued_open ON lash_queued_batches (session_id, enqueue_seq) WHERE completed = 0`,

  `CREATE TABLE IF NOT EXISTS lash_processes (
    process_id TEXT PRIMARY KEY,
    registration_hash TEXT NOT NULL,
    record_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    terminal INTEGER NOT NULL CHECK (terminal IN (0, 1)),
    external INTEGER NOT NULL CHECK (external IN (0, 1)),
    last_event_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_event_seq >= 0),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    lease_owner_id TEXT,
    lease_token TEXT,
    lease_fencing INTEGER NOT NULL DEFAULT 0 CHECK (lease_fencing >= 0),
    lease_claimed_at_ms INTEGER,
    lease_expires_at_ms INTEGER,
    CHECK ((lease_owner_id IS NULL) = (lease_token IS NULL))) STRICT`,
  `CREATE INDEX IF NOT EXISTS lash_processes_running ON lash_processes (process_id) WHERE terminal = 0`,
  `CREATE TABLE IF NOT EXISTS lash_process_events (
    process_id TEXT NOT NULL REFERENCES lash_processes(process_id),
    sequence INTEGER NOT NULL CHECK (sequence >= 1),
    event_type TEXT NOT NULL,
    replay_key TEXT,
    event_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (process_id, sequence)) STRICT`,
  `CREATE UNIQUE INDEX IF NOT EXISTS lash_process_events_replay ON lash_process_events (process_id, replay_key) WHERE replay_key IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS lash_process_grants (
    scope_id TEXT NOT NULL,
    process_id TEXT NOT NULL,
    descriptor_json TEXT NOT NULL,
    granted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (scope_id, process_id)) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_process_envs (env_ref TEXT PRIMARY KEY, spec_json TEXT NOT NULL, record_version INTEGER NOT NULL DEFAULT 1, created_at_ms INTEGER NOT NULL) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_artifacts (module_ref TEXT PRIMARY KEY, artifact_json TEXT NOT NULL, record_version INTEGER NOT NULL DEFAULT 1, created_at_ms INTEGER NOT NULL) STRICT`,

  `CREATE TABLE IF NOT EXISTS lash_trigger_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    handle_no INTEGER NOT NULL UNIQUE,
    registrant_scope_id TEXT NOT NULL,
    registrant_session_id TEXT,
    registration_key TEXT NOT NULL,
    draft_hash TEXT NOT NULL,
    name TEXT,
    source_type TEXT NOT NULL,
    source_key TEXT NOT NULL,
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    record_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (registrant_scope_id, registration_key)) STRICT`,
  `CREATE INDEX IF NOT EXISTS lash_trigger_subs_match ON lash_trigger_subscriptions (source_type, source_key, handle_no)`,
  `CREATE TABLE IF NOT EXISTS lash_trigger_occurrences (
    occurrence_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    record_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1) STRICT`,
  `CREATE TABLE IF NOT EXISTS lash_trigger_deliveries (
    occurrence_id TEXT NOT NULL REFERENCES lash_trigger_occurrences(occurrence_id),
    subscription_id TEXT NOT NULL REFERENCES lash_trigger_subscriptions(subscription_id),
    process_id TEXT NOT NULL,
    handle_no INTEGER NOT NULL,
    reserved_at_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (occurrence_id, subscription_id)) STRICT`,
  `CREATE INDEX IF NOT EXISTS lash_trigger_deliveries_process ON lash_trigger_deliveries (process_id)`,

  `CREATE TABLE IF NOT EXISTS lash_effect_journal (
    scope_id TEXT NOT NULL,
    replay_key TEXT NOT NULL,
    entry_json TEXT NOT NULL,
    record_version INTEGER NOT NULL DEFAULT 1,
    recorded_at_ms INTEGER NOT NULL,
    PRIMARY KEY (scope_id, replay_key)) STRICT`
]

/**
 * Sessions by last activity: `lash sessions list` (`SessionStore.listSessions`) pages newest first, ordered by
 * `updated_at_ms DESC, session_id`, and continues after a cursor; the index serves both without a sort.
 */
const sessionsByActivity: ReadonlyArray<string> = [
  `CREATE INDEX IF NOT EXISTS lash_sessions_activity ON lash_sessions (updated_at_ms DESC, session_id)`
]

const statements = (ddl: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.forEach(ddl, (stmt) => sql.unsafe(stmt), { discard: true }))

/**
 * The migrations this package knows, by id.
 *
 * @since 0.1.0
 */
export const migrations = {
  "0001_init": statements(init),
  "0002_sessions_activity": statements(sessionsByActivity)
}

/**
 * The highest migration id this package knows; a file whose applied migrations go beyond it was written by a newer
 * `@lash/backend-sqlite` and is refused.
 *
 * @since 0.1.0
 */
export const LATEST_MIGRATION_ID = 2

/**
 * Runs the pending migrations. The caller runs it inside a `BEGIN IMMEDIATE` write unit.
 *
 * @since 0.1.0
 */
export const runMigrations = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS_TABLE })
