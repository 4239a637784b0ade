/**
 * The schema of the Postgres backend, as `@effect/sql` Migrator migrations bundled in code. The tables, columns and
 * indexes are SQLite's (docs/storage-drivers.md, "The SQL schema") with Postgres types: every text column is
 * `COLLATE "C"` (code-point order, like SQLite's `BINARY` and the memory backend), integers are `bigint` (read back
 * with `Number`), flags stay 0/1 integers. JSON is `text`, never `jsonb`, so the canonical bytes are kept.
 *
 * `lash_now_ms()` is the database clock every lease and claim of the driver reads (`clock_timestamp()`: read after
 * the unit's locks were taken), so workers on hosts with skewed clocks agree on lease expiry.
 *
 * The migrations run inside one transaction holding a transaction-scoped advisory lock of the schema (`Open.ts`), so
 * many processes booting at once migrate once.
 *
 * @since 0.1.0
 */
import { Migrator, SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The value of `lash_meta.format` of a lash schema.
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

/**
 * The migrations table in exactly the shape `Migrator` creates on Postgres, made first inside the locked unit: the
 * Migrator's own probe-then-`CREATE` is not safe when several processes boot at once.
 *
 * @since 0.1.0
 */
export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  migration_id integer primary key,
  created_at timestamp with time zone not null default now(),
  name text not null)`

const init: ReadonlyArray<string> = [
  `CREATE OR REPLACE FUNCTION lash_now_ms() RETURNS bigint LANGUAGE sql VOLATILE
    AS $$ SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint $$`,
  `CREATE TABLE IF NOT EXISTS lash_meta (key text COLLATE "C" PRIMARY KEY, value text COLLATE "C" NOT NULL)`,
  `INSERT INTO lash_meta (key, value) VALUES ('format', '${FORMAT}'), ('format_version', '1') ON CONFLICT (key) DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS lash_counters (name text COLLATE "C" PRIMARY KEY, value bigint NOT NULL CHECK (value >= 0))`,
  `INSERT INTO lash_counters (name, value) VALUES ('trigger_handle', 0), ('reservation_seq', 0) ON CONFLICT (name) DO NOTHING`,

  `CREATE TABLE IF NOT EXISTS lash_sessions (
    session_id text COLLATE "C" PRIMARY KEY,
    head_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    head_revision bigint NOT NULL CHECK (head_revision >= 0),
    node_count bigint NOT NULL CHECK (node_count >= 0),
    next_enqueue_seq bigint NOT NULL CHECK (next_enqueue_seq >= 1),
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS lash_graph_nodes (
    session_id text COLLATE "C" NOT NULL REFERENCES lash_sessions(session_id),
    seq bigint NOT NULL CHECK (seq >= 0),
    node_id text COLLATE "C" NOT NULL,
    parent_node_id text COLLATE "C",
    node_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, seq),
    UNIQUE (session_id, node_id))`,
  `CREATE TABLE IF NOT EXISTS lash_turn_stamps (
    session_id text COLLATE "C" NOT NULL REFERENCES lash_sessions(session_id),
    turn_id text COLLATE "C" NOT NULL,
    hash text COLLATE "C" NOT NULL,
    result_json text COLLATE "C" NOT NULL,
    committed_at_ms bigint NOT NULL,
    PRIMARY KEY (session_id, turn_id))`,
  `CREATE TABLE IF NOT EXISTS lash_queued_batches (
    batch_id text COLLATE "C" PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES lash_sessions(session_id),
    enqueue_seq bigint NOT NULL CHECK (enqueue_seq >= 1),
    source_key text COLLATE "C",
    available_at_ms bigint NOT NULL,
    batch_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    completed bigint NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    completed_at_ms bigint,
    claim_id text COLLATE "C",
    claim_token text COLLATE "C",
    claim_expires_at_ms bigint NOT NULL DEFAULT 0,
    claim_fencing bigint NOT NULL DEFAULT 0 CHECK (claim_fencing >= 0),
    UNIQUE (session_id, enqueue_seq),
    CHECK ((claim_id IS NULL) = (claim_token IS NULL)))`,
  `CREATE UNIQUE INDEX IF NOT EXISTS lash_queued_source_key ON lash_queued_batches (session_id, source_key) WHERE source_key IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS lash_queued_open ON lash_queued_batches (session_id, enqueue_seq) WHERE completed = 0`,

  `CREATE TABLE IF NOT EXISTS lash_processes (
    process_id text COLLATE "C" PRIMARY KEY,
    registration_hash text COLLATE "C" NOT NULL,
    record_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    terminal bigint NOT NULL CHECK (terminal IN (0, 1)),
    external bigint NOT NULL CHECK (external IN (0, 1)),
    last_event_seq bigint NOT NULL DEFAULT 0 CHECK (last_event_seq >= 0),
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    lease_owner_id text COLLATE "C",
    lease_token text COLLATE "C",
    lease_fencing bigint NOT NULL DEFAULT 0 CHECK (lease_fencing >= 0),
    lease_claimed_at_ms bigint,
    lease_expires_at_ms bigint,
    CHECK ((lease_owner_id IS NULL) = (lease_token IS NULL)))`,
  `CREATE INDEX IF NOT EXISTS lash_processes_running ON lash_processes (process_id) WHERE terminal = 0`,
  `CREATE TABLE IF NOT EXISTS lash_process_events (
    process_id text COLLATE "C" NOT NULL REFERENCES lash_processes(process_id),
    sequence bigint NOT NULL CHECK (sequence >= 1),
    event_type text COLLATE "C" NOT NULL,
    replay_key text COLLATE "C",
    event_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (process_id, sequence))`,
  `CREATE UNIQUE INDEX IF NOT EXISTS lash_process_events_replay ON lash_process_events (process_id, replay_key) WHERE replay_key IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS lash_process_grants (
    scope_id text COLLATE "C" NOT NULL,
    process_id text COLLATE "C" NOT NULL,
    descriptor_json text COLLATE "C" NOT NULL,
    granted_at_ms bigint NOT NULL,
    PRIMARY KEY (scope_id, process_id))`,
  `CREATE TABLE IF NOT EXISTS lash_process_envs (env_ref text COLLATE "C" PRIMARY KEY, spec_json text COLLATE "C" NOT NULL, record_version bigint NOT NULL DEFAULT 1, created_at_ms bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS lash_artifacts (module_ref text COLLATE "C" PRIMARY KEY, artifact_json text COLLATE "C" NOT NULL, record_version bigint NOT NULL DEFAULT 1, created_at_ms bigint NOT NULL)`,

  `CREATE TABLE IF NOT EXISTS lash_trigger_subscriptions (
    subscription_id text COLLATE "C" PRIMARY KEY,
    handle text COLLATE "C" NOT NULL UNIQUE,
    handle_no bigint NOT NULL UNIQUE,
    registrant_scope_id text COLLATE "C" NOT NULL,
    registrant_session_id text COLLATE "C",
    registration_key text COLLATE "C" NOT NULL,
    draft_hash text COLLATE "C" NOT NULL,
    name text COLLATE "C",
    source_type text COLLATE "C" NOT NULL,
    source_key text COLLATE "C" NOT NULL,
    enabled bigint NOT NULL CHECK (enabled IN (0, 1)),
    record_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    created_at_ms bigint NOT NULL,
    UNIQUE (registrant_scope_id, registration_key))`,
  `CREATE INDEX IF NOT EXISTS lash_trigger_subs_match ON lash_trigger_subscriptions (source_type, source_key, handle_no)`,
  `CREATE TABLE IF NOT EXISTS lash_trigger_occurrences (
    occurrence_id text COLLATE "C" PRIMARY KEY,
    content_hash text COLLATE "C" NOT NULL,
    record_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1)`,
  `CREATE TABLE IF NOT EXISTS lash_trigger_deliveries (
    occurrence_id text COLLATE "C" NOT NULL REFERENCES lash_trigger_occurrences(occurrence_id),
    subscription_id text COLLATE "C" NOT NULL REFERENCES lash_trigger_subscriptions(subscription_id),
    process_id text COLLATE "C" NOT NULL,
    handle_no bigint NOT NULL,
    reserved_at_ms bigint NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (occurrence_id, subscription_id))`,
  `CREATE INDEX IF NOT EXISTS lash_trigger_deliveries_process ON lash_trigger_deliveries (process_id)`,

  `CREATE TABLE IF NOT EXISTS lash_effect_journal (
    scope_id text COLLATE "C" NOT NULL,
    replay_key text COLLATE "C" NOT NULL,
    entry_json text COLLATE "C" NOT NULL,
    record_version bigint NOT NULL DEFAULT 1,
    recorded_at_ms bigint NOT NULL,
    PRIMARY KEY (scope_id, replay_key))`
]

/**
 * Sessions by last activity: `SessionStore.listSessions` pages newest first (`updated_at_ms DESC, session_id`) and
 * continues after a cursor; the index serves both without a sort. Built inside the migration transaction (not
 * `CONCURRENTLY`), so writes to `lash_sessions` wait for the build (docs/operations.md, "Migrations").
 */
const sessionsByActivity: ReadonlyArray<string> = [
  `CREATE INDEX IF NOT EXISTS lash_sessions_activity ON lash_sessions (updated_at_ms DESC, session_id)`
]

/** A migration's DDL, sent as one multi-statement text (one round trip; creating a schema is on every test's path). */
const statements = (ddl: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(ddl.join(";\n")).unprepared)

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
 * The highest migration id this package knows; a schema whose applied migrations go beyond it was written by a newer
 * `@lash/backend-postgres` and is refused.
 *
 * @since 0.1.0
 */
export const LATEST_MIGRATION_ID = 2

/**
 * Runs the pending migrations. The caller runs it inside the locked migration unit.
 *
 * @since 0.1.0
 */
export const runMigrations = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS_TABLE })
