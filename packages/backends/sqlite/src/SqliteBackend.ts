/**
 * The SQLite backend (durable tier): every storage port over one SQLite file in WAL mode, with the same semantics as
 * the memory backend. All decisions come from `StorageLogic`; this module only stores, serialises and orders. Rows
 * hold the same canonical JSON text the memory backend keeps, plus projected key columns for lookups, claims and
 * ordering; every read decodes with the domain Schemas, so returned values are fresh and a corrupt row surfaces as
 * `CorruptRecord` naming the row (with the memory backend's key format).
 *
 * Atomicity: every read-then-write port call is one `BEGIN IMMEDIATE` transaction (see `Transaction.ts`). It reads
 * the clock once, after the write lock is taken, decides with `StorageLogic`, and writes; any typed failure rolls the
 * whole unit back. Signals are published only after the unit committed.
 *
 * Signals: in-process, one `PubSub` (like memory). Across OS processes (or two handles on one file), a poller reads
 * `PRAGMA data_version` (10 ms backing off to 200 ms) and publishes `{ kind: "poll" }` when another connection
 * committed, and at least once a second; the blocking waits (`waitEventAfter`, `awaitProcess`) re-check on every
 * signal that concerns their process and on every `poll`.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { SqlError } from "@effect/sql/SqlError"
import type { PersistedSession } from "@lash/core"
import {
  ArtifactStore,
  EffectJournal,
  type EnvRef,
  Ids,
  JournalEntry,
  type LashStorage,
  LeaseHeld,
  LeaseLost,
  ProcessEnvStore,
  ProcessEvent,
  ProcessExecutionEnvSpec,
  type ProcessId,
  ProcessNotFound,
  ProcessRecord,
  ProcessRegistrationConflict,
  ProcessRegistry,
  QueuedWorkBatch,
  type QueuedWorkClaim,
  QueuedWorkClaimExpired,
  RuntimeCommitResult,
  SessionHead,
  type SessionId,
  SessionNode,
  SessionNotFound,
  type SessionScope,
  sessionScopeId,
  SessionStore,
  StorageInfo,
  StorageLogic,
  type StorageSignal,
  StorageSignals,
  StoreUnavailable,
  type TriggerDeliveryReservation,
  type TriggerHandle,
  TriggerIdempotencyConflict,
  TriggerOccurrenceRecord,
  TriggerRegistrationConflict,
  TriggerStore,
  TriggerSubscriptionRecord
} from "@lash/core"
import { ModuleArtifact } from "@lash/lashlang"
import type { Scope } from "effect"
import { Clock, Context, Data, Duration, Effect, Either, Layer, Option, PubSub, Schedule, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { FORMAT, LATEST_MIGRATION_ID, MIGRATIONS_TABLE, runMigrations } from "./Migrations.js"
import { explainOpenFailure } from "./NativeModule.js"
import { acquireFileLock, isBusyError, makeTransactions, sql, type UnitConnection } from "./Transaction.js"

// ---------------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------------

/**
 * Options of {@link SqliteBackend.layer}.
 *
 * @since 0.1.0
 */
export interface SqliteBackendOptions {
  /** The database file; its directory is created. `":memory:"` and `""` are refused (use the memory backend). */
  readonly filename: string
  /** `"full"` (default) survives power loss; `"normal"` survives a process crash. Read back on every open. */
  readonly synchronous?: "full" | "normal"
  /** `PRAGMA busy_timeout` in ms (default 10 000). Keep it below the worker's `leaseTtl - renewEvery`. */
  readonly busyTimeoutMs?: number
}

/**
 * The `cause` of the `StoreUnavailable` an open fails with when a pragma does not read back as required (the file
 * system or build cannot give the asked-for durability).
 *
 * @since 0.1.0
 */
export class SqlitePragmaMismatch extends Data.TaggedError("SqlitePragmaMismatch")<{
  readonly pragma: string
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `PRAGMA ${this.pragma} reads ${this.actual}, expected ${this.expected}: refusing to open`
  }
}

/**
 * The `cause` of the `StoreUnavailable` an open fails with when the file is not a lash database, or was written by a
 * newer `@lash/backend-sqlite`, or the filename is not a file.
 *
 * @since 0.1.0
 */
export class SqliteOpenRefused
  extends Data.TaggedError("SqliteOpenRefused")<{ readonly filename: string; readonly reason: string }>
{
  override get message() {
    return `cannot open ${this.filename}: ${this.reason}`
  }
}

/** The tables `SqliteBackendInternals.corrupt` can overwrite a row of (the memory backend's names). @since 0.1.0 */
export type SqliteTable =
  | "sessions"
  | "nodes"
  | "batches"
  | "processes"
  | "events"
  | "envs"
  | "artifacts"
  | "journal"
  | "subscriptions"
  | "occurrences"

/**
 * Access to a built SQLite backend's rows, for tests that need to inject a corrupt row.
 *
 * @since 0.1.0
 */
export class SqliteBackendInternals extends Context.Tag("@lash/backend-sqlite/SqliteBackendInternals")<
  SqliteBackendInternals,
  {
    /**
     * Replaces the stored JSON text of one row. Keys as in the memory backend: the row id; for `nodes` and `events`
     * `<id>#<index>` (node index from 0, event sequence from 1); for `journal` `<scopeId>#<replayKey>`.
     * Dies if the row does not exist.
     */
    corrupt(table: SqliteTable, key: string, rawJson: string): Effect.Effect<void>
    /** Sets the `record_version` of one row (same keys as `corrupt`), to test the version check. */
    setRecordVersion(table: SqliteTable, key: string, version: number): Effect.Effect<void>
    /** The underlying client, for tests that inspect rows. */
    readonly sql: SqlClient.SqlClient
  }
>() {}

/**
 * Test seams of the open sequence.
 *
 * @since 0.1.0
 */
export interface SqliteOpenHooks {
  /** Runs after the pragmas are set and before they are read back (e.g. to force `synchronous = OFF`). */
  readonly afterPragmas?: (sql: SqlClient.SqlClient) => Effect.Effect<void, SqlError>
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const enc = StorageLogic.encodeRecord
const decode = StorageLogic.decodeRecordEffect

const ProcessGrantDescriptor = StorageLogic.HandleDescriptorRecord

const SQLITE = "sqlite"

interface BatchRowSql {
  readonly batch_id: string
  readonly session_id: string
  readonly source_key: string | null
  readonly batch_json: string
  readonly record_version: number
  readonly completed: number
  readonly claim_id: string | null
  readonly claim_token: string | null
  readonly claim_expires_at_ms: number
  readonly claim_fencing: number
}

interface ProcessRowSql {
  readonly process_id: string
  readonly record_json: string
  readonly record_version: number
  readonly last_event_seq: number
  readonly terminal: number
  readonly external: number
  readonly lease_owner_id: string | null
  readonly lease_token: string | null
  readonly lease_fencing: number
  readonly lease_expires_at_ms: number | null
}

interface SubscriptionRowSql {
  readonly subscription_id: string
  readonly handle: string
  readonly handle_no: number
  readonly registrant_scope_id: string
  readonly registrant_session_id: string | null
  readonly draft_hash: string
  readonly name: string | null
  readonly source_type: string
  readonly source_key: string
  readonly enabled: number
  readonly record_json: string
  readonly record_version: number
}

const storedLease = (row: ProcessRowSql): StorageLogic.StoredLease => ({
  fencingToken: row.lease_fencing,
  ...(row.lease_owner_id === null ? {} : { ownerId: row.lease_owner_id }),
  ...(row.lease_token === null ? {} : { leaseToken: row.lease_token }),
  ...(row.lease_expires_at_ms === null ? {} : { expiresAtMs: row.lease_expires_at_ms })
})

/** Internal: a queue claim whose guarded row update found a row taken; the unit rolls back and answers `None`. */
class ClaimAborted extends Data.TaggedError("ClaimAborted")<{}> {}

/** Rows beyond `limit + 1` that loadPath's newest-rows window reads, so a few off-path rows (a short abandoned branch) do not force the indexed walk. */
const PATH_WINDOW_SLACK = 32

const firstValue = (rows: ReadonlyArray<object>): unknown => {
  const row = rows[0]
  return row === undefined ? undefined : Object.values(row)[0]
}

// ---------------------------------------------------------------------------------------------------------------
// Open
// ---------------------------------------------------------------------------------------------------------------

const unavailable = (cause: unknown) => new StoreUnavailable({ port: SQLITE, cause })

const openClient = (filename: string): Effect.Effect<SqliteClient.SqliteClient, StoreUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const attempt = Effect.suspend(() => SqliteClient.make({ filename })).pipe(
      Effect.provide(Reactivity.layer),
      Effect.catchAllDefect((defect) => Effect.fail(defect))
    )
    // SQLite does not use the busy handler for the WAL switch of a first open: retry that race with a short backoff.
    return yield* attempt.pipe(
      Effect.retry({
        schedule: Schedule.jittered(Schedule.exponential(Duration.millis(20))).pipe(
          Schedule.intersect(Schedule.recurs(5))
        ),
        while: isBusyError
      }),
      Effect.catchAll((cause) => Effect.flatMap(explainOpenFailure(cause), (why) => Effect.fail(unavailable(why))))
    )
  })

const openSequence = (options: SqliteBackendOptions, hooks: SqliteOpenHooks) =>
  Effect.gen(function*() {
    if (options.filename === "" || options.filename === ":memory:" || options.filename.startsWith("file::memory:")) {
      return yield* Effect.fail(
        unavailable(
          new SqliteOpenRefused({
            filename: options.filename,
            reason: "in-memory databases are not durable; use MemoryBackend"
          })
        )
      )
    }
    const resolved = path.resolve(options.filename)
    yield* Effect.try({ try: () => fs.mkdirSync(path.dirname(resolved), { recursive: true }), catch: unavailable })
    const client: SqlClient.SqlClient = yield* openClient(resolved)
    const synchronous = options.synchronous ?? "full"
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000
    const pragma = (stmt: string) => client.unsafe<Record<string, unknown>>(stmt)
    const checkPragma = (name: string, expected: string) =>
      Effect.flatMap(pragma(`PRAGMA ${name}`), (rows) => {
        const actual = String(firstValue(rows)).toLowerCase()
        return actual === expected
          ? Effect.void
          : Effect.fail(new SqlitePragmaMismatch({ pragma: name, expected, actual }))
      })
    yield* Effect.gen(function*() {
      yield* pragma(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
      yield* pragma(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`)
      yield* pragma(`PRAGMA foreign_keys = ON`)
      yield* pragma(`PRAGMA journal_size_limit = 67108864`)
      if (process.platform === "darwin" && synchronous === "full") {
        yield* pragma(`PRAGMA fullfsync = ON`)
        yield* pragma(`PRAGMA checkpoint_fullfsync = ON`)
      }
      if (hooks.afterPragmas !== undefined) yield* hooks.afterPragmas(client)
      yield* checkPragma("journal_mode", "wal")
      yield* checkPragma("synchronous", synchronous === "full" ? "2" : "1")
      yield* checkPragma("foreign_keys", "1")
      yield* checkPragma("busy_timeout", String(Math.max(0, Math.floor(busyTimeoutMs))))
    }).pipe(Effect.mapError(unavailable))
    return { client, resolved, synchronous }
  })

// ---------------------------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------------------------

const make = (options: SqliteBackendOptions, hooks: SqliteOpenHooks = {}) =>
  Effect.gen(function*() {
    const { client, resolved } = yield* openSequence(options, hooks)
    const fileLock = yield* acquireFileLock(resolved)
    const tx = makeTransactions(client, fileLock)

    // Schema: refuse a foreign database, migrate under BEGIN IMMEDIATE, refuse a newer format.
    yield* tx
      .write(
        SQLITE,
        "migrate",
        Effect.gen(function*() {
          const tables = yield* sql<
            { readonly name: string }
          >`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
          const names = new Set(tables.map((t) => t.name))
          if (names.size > 0 && !names.has("lash_meta")) {
            return yield* Effect.fail(
              unavailable(
                new SqliteOpenRefused({
                  filename: resolved,
                  reason: "not a lash database (tables present, no lash_meta)"
                })
              )
            )
          }
          if (names.has(MIGRATIONS_TABLE)) {
            const latest = yield* sql<
              { readonly id: number | null }
            >`SELECT MAX(migration_id) AS id FROM lash_migrations`
            const id = latest[0]?.id ?? 0
            if (id > LATEST_MIGRATION_ID) {
              return yield* Effect.fail(
                unavailable(
                  new SqliteOpenRefused({
                    filename: resolved,
                    reason: `written by a newer @lash/backend-sqlite (migration ${id})`
                  })
                )
              )
            }
          }
          yield* Effect.provideService(runMigrations, SqlClient.SqlClient, client).pipe(
            Effect.mapError((e): SqlError | StoreUnavailable => (e._tag === "MigrationError" ? unavailable(e) : e))
          )
          const format = yield* sql<{ readonly value: string }>`SELECT value FROM lash_meta WHERE key = 'format'`
          if (format[0]?.value !== FORMAT) {
            return yield* Effect.fail(
              unavailable(new SqliteOpenRefused({ filename: resolved, reason: `lash_meta.format is not ${FORMAT}` }))
            )
          }
        }).pipe(
          Effect.catchAllDefect((
            d
          ) => (typeof d === "object" && d !== null && "_tag" in d && d._tag === "MigrationError"
            ? Effect.fail(unavailable(d))
            : Effect.die(d))
          )
        )
      )
      .pipe(Effect.catchTag("StoreConflict", (e) => Effect.fail(unavailable(e))))

    const signals = yield* Effect.acquireRelease(PubSub.unbounded<StorageSignal>(), PubSub.shutdown)
    const publish = (signal: StorageSignal) => Effect.asVoid(PubSub.publish(signals, signal))
    const now = Clock.currentTimeMillis
    /** A write unit: the clock is read once, inside the transaction (after the write lock is taken). */
    const unit = <A, E>(
      port: string,
      op: string,
      f: (nowMs: number) => Effect.Effect<A, E | SqlError, UnitConnection>
    ) => tx.write(port, op, Effect.flatMap(now, f))
    const read = <A, E>(port: string, op: string, body: Effect.Effect<A, E | SqlError, UnitConnection>) =>
      tx.read(port, op, body)

    // ---- sessions -------------------------------------------------------------------------------------------
    const SS = "SessionStore"
    const headRow = (sessionId: string) =>
      Effect.map(
        sql<
          {
            readonly head_json: string
            readonly record_version: number
            readonly head_revision: number
            readonly next_enqueue_seq: number
          }
        >`SELECT head_json, record_version, head_revision, next_enqueue_seq FROM lash_sessions WHERE session_id = ${sessionId}`,
        (rows) => Option.fromNullable(rows[0])
      )
    const headOf = (sessionId: string, row: { readonly head_json: string; readonly record_version: number }) =>
      decode(SessionHead, SS, sessionId, row.head_json, row.record_version)
    const batchOf = (row: BatchRowSql) => decode(QueuedWorkBatch, SS, row.batch_id, row.batch_json, row.record_version)
    const nodeAt = (sessionId: string, nodeId: string) =>
      Effect.flatMap(
        sql<
          { readonly seq: number; readonly node_json: string; readonly record_version: number }
        >`SELECT seq, node_json, record_version FROM lash_graph_nodes WHERE session_id = ${sessionId} AND node_id = ${nodeId}`,
        (rows) => {
          const row = rows[0]
          return row === undefined
            ? Effect.succeed(undefined)
            : decode(SessionNode, SS, `${sessionId}#${row.seq}`, row.node_json, row.record_version)
        }
      )

    /** The enqueue body shared by `enqueue` and the atomic wake enqueue; `None` when the session does not exist. */
    const enqueueIn = (draft: Parameters<SessionStore["Type"]["enqueue"]>[0], nowMs: number) =>
      Effect.gen(function*() {
        const session = yield* headRow(draft.sessionId)
        if (Option.isNone(session)) return Option.none<{ readonly batch: QueuedWorkBatch; readonly created: boolean }>()
        if (draft.sourceKey !== undefined) {
          const existing = yield* sql<
            BatchRowSql
          >`SELECT * FROM lash_queued_batches WHERE session_id = ${draft.sessionId} AND source_key = ${draft.sourceKey}`
          if (existing[0] !== undefined) return Option.some({ batch: yield* batchOf(existing[0]), created: false })
        }
        const seq = session.value.next_enqueue_seq
        const batch = StorageLogic.newBatch(draft, seq, nowMs)
        yield* sql`UPDATE lash_sessions SET next_enqueue_seq = ${seq + 1} WHERE session_id = ${draft.sessionId}`
        yield* sql`INSERT INTO lash_queued_batches (batch_id, session_id, enqueue_seq, source_key, available_at_ms, batch_json)
          VALUES (${batch.batchId}, ${draft.sessionId}, ${seq}, ${draft.sourceKey ?? null}, ${draft.availableAtMs}, ${
          enc(QueuedWorkBatch, batch)
        })`
        return Option.some({ batch, created: true })
      })

    const openBatches = (sessionId: string, onlyPendingAt: number | undefined) =>
      onlyPendingAt === undefined
        ? sql<
          BatchRowSql
        >`SELECT * FROM lash_queued_batches WHERE session_id = ${sessionId} AND completed = 0 ORDER BY enqueue_seq`
        : sql<BatchRowSql>`SELECT * FROM lash_queued_batches WHERE session_id = ${sessionId} AND completed = 0
            AND NOT (claim_token IS NOT NULL AND ${onlyPendingAt} < claim_expires_at_ms) ORDER BY enqueue_seq`

    const sessionStore: SessionStore["Type"] = {
      tier: "durable",
      create: (req) =>
        unit(SS, "create", (nowMs) => {
          const head: SessionHead = {
            sessionId: req.sessionId,
            headRevision: 0,
            relation: req.relation,
            config: { providerId: req.policy.providerId, model: req.policy.model },
            frames: [],
            checkpoint: { turnIndex: 0, usage: { input: 0, output: 0 } },
            nodeCount: 0
          }
          return Effect.asVoid(
            sql`INSERT INTO lash_sessions (session_id, head_json, head_revision, node_count, next_enqueue_seq, created_at_ms, updated_at_ms)
              VALUES (${req.sessionId}, ${
              enc(SessionHead, head)
            }, 0, 0, 1, ${nowMs}, ${nowMs}) ON CONFLICT (session_id) DO NOTHING`
          )
        }),
      exists: (sessionId) =>
        read(
          SS,
          "exists",
          Effect.map(sql`SELECT 1 AS one FROM lash_sessions WHERE session_id = ${sessionId}`, (rows) => rows.length > 0)
        ),
      load: (sessionId) =>
        read(
          SS,
          "load",
          Effect.gen(function*() {
            const row = yield* headRow(sessionId)
            if (Option.isNone(row)) return Option.none()
            const decodedHead = yield* headOf(sessionId, row.value)
            const nodeRows = yield* sql<
              { readonly seq: number; readonly node_json: string; readonly record_version: number }
            >`
              SELECT seq, node_json, record_version FROM lash_graph_nodes WHERE session_id = ${sessionId} AND seq < ${decodedHead.nodeCount} ORDER BY seq`
            const decodedNodes = yield* Effect.forEach(
              nodeRows,
              (n) => decode(SessionNode, SS, `${sessionId}#${n.seq}`, n.node_json, n.record_version)
            )
            const { leafNodeId, nodeCount: _n, ...rest } = decodedHead
            const persisted: PersistedSession = {
              ...rest,
              graph: leafNodeId === undefined ? { nodes: decodedNodes } : { nodes: decodedNodes, leafNodeId }
            }
            return Option.some(persisted)
          })
        ),
      loadHead: (sessionId) =>
        read(
          SS,
          "loadHead",
          Effect.flatMap(headRow(sessionId), (row) => (Option.isNone(row)
            ? Effect.succeed(Option.none())
            : Effect.map(headOf(sessionId, row.value), Option.some)))
        ),
      loadPath: (sessionId, req) =>
        read(
          SS,
          "loadPath",
          Effect.gen(function*() {
            const row = yield* headRow(sessionId)
            if (Option.isNone(row)) return yield* Effect.fail(new SessionNotFound({ sessionId }))
            const head = yield* headOf(sessionId, row.value)
            let cursor: string | undefined = req.leafNodeId ?? head.leafNodeId
            if (req.beforeNodeId !== undefined) cursor = (yield* nodeAt(sessionId, req.beforeNodeId))?.parentNodeId
            if (cursor === undefined) return { nodes: [], hasMore: false }
            const limit = Math.max(0, req.limit)
            type PathRow = {
              readonly seq: number
              readonly node_id: string
              readonly parent_node_id: string | null
              readonly node_json: string
              readonly record_version: number
            }
            // Fast path: the active path is nearly always the tail of the append log (a parent is appended before
            // its children, so ancestors have smaller seqs). Read the newest rows in seq order, contiguous pages of
            // the primary key, and follow the parent chain through them; only where the chain leaves that window (a
            // branch, or paging deep into history) does the indexed walk take over. Measured by B4: the walk alone
            // touched index pages all over a large file, so a cold reopen grew with history.
            const window = yield* sql<
              PathRow
            >`SELECT seq, node_id, parent_node_id, node_json, record_version FROM lash_graph_nodes
              WHERE session_id = ${sessionId} AND seq < ${head.nodeCount} ORDER BY seq DESC LIMIT ${
              limit + 1 + PATH_WINDOW_SLACK
            }`
            const chain: Array<{ readonly seq: number; readonly node_json: string; readonly record_version: number }> =
              []
            let expected: string | undefined = cursor
            for (const r of window) {
              if (expected === undefined || chain.length > limit) break
              if (r.node_id !== expected) continue
              chain.push(r)
              expected = r.parent_node_id ?? undefined
            }
            if (expected !== undefined && chain.length <= limit) {
              // The ancestry walk from where the window ended, bounded: the rest plus one more row for `hasMore`.
              const rest = limit - chain.length
              chain.push(
                ...(yield* sql<{ readonly seq: number; readonly node_json: string; readonly record_version: number }>`
                WITH RECURSIVE path(node_id, parent_node_id, seq, node_json, record_version, n) AS (
                  SELECT node_id, parent_node_id, seq, node_json, record_version, 1 FROM lash_graph_nodes WHERE session_id = ${sessionId} AND node_id = ${expected}
                  UNION ALL
                  SELECT g.node_id, g.parent_node_id, g.seq, g.node_json, g.record_version, p.n + 1
                    FROM path p JOIN lash_graph_nodes g ON g.session_id = ${sessionId} AND g.node_id = p.parent_node_id
                    WHERE p.n <= ${rest})
                SELECT seq, node_json, record_version FROM path ORDER BY n LIMIT ${rest + 1}`)
              )
            }
            const out: Array<SessionNode> = []
            for (const n of chain.slice(0, limit)) {
              out.push(yield* decode(SessionNode, SS, `${sessionId}#${n.seq}`, n.node_json, n.record_version))
            }
            return { nodes: out.reverse(), hasMore: chain.length > limit }
          })
        ),
      commit: (c) =>
        Effect.gen(function*() {
          const { result, completed } = yield* unit(SS, "commit", (nowMs) =>
            Effect.gen(function*() {
              const row = yield* headRow(c.sessionId)
              const decision = yield* StorageLogic.checkCommit(c, {
                // The indexed column, written with head_json in the same statement: the checks need no decode.
                headRevision: Effect.succeed(Option.map(row, (r) => r.head_revision)),
                stamp: (turnId) =>
                  Effect.flatMap(
                    sql<
                      { readonly hash: string; readonly result_json: string }
                    >`SELECT hash, result_json FROM lash_turn_stamps WHERE session_id = ${c.sessionId} AND turn_id = ${turnId}`,
                    (rows) => {
                      const s = rows[0]
                      return s === undefined
                        ? Effect.succeed(Option.none())
                        : Effect.map(
                          decode(RuntimeCommitResult, SS, `${c.sessionId}#stamp:${turnId}`, s.result_json),
                          (result) => Option.some({ hash: s.hash, result })
                        )
                    }
                  ),
                claimOwnsAll: (completion) =>
                  Effect.gen(function*() {
                    for (const id of completion.batchIds) {
                      const rows = yield* sql<
                        { readonly n: number }
                      >`SELECT COUNT(*) AS n FROM lash_queued_batches WHERE batch_id = ${id}
                        AND session_id = ${c.sessionId} AND completed = 0 AND claim_id = ${completion.claimId} AND claim_token = ${completion.leaseToken}`
                      if ((rows[0]?.n ?? 0) !== 1) return false
                    }
                    return true
                  })
              })
              if (decision.type === "replay") return { result: decision.result, completed: false }
              const head = yield* headOf(c.sessionId, Option.getOrThrow(row))
              const appended = c.graph.type === "append" ? c.graph.nodes : []
              const seen = new Set<string>()
              for (const node of appended) {
                const dup =
                  yield* sql`SELECT 1 AS one FROM lash_graph_nodes WHERE session_id = ${c.sessionId} AND node_id = ${node.nodeId}`
                if (dup.length > 0 || seen.has(node.nodeId)) {
                  return yield* Effect.die(new Error(`duplicate node id ${node.nodeId} in session ${c.sessionId}`))
                }
                seen.add(node.nodeId)
              }
              const leaf = c.graph.leafNodeId ?? head.leafNodeId
              const nextHead: SessionHead = {
                sessionId: c.sessionId,
                headRevision: decision.newRevision,
                relation: head.relation,
                config: c.config,
                frames: c.frames,
                currentFrameId: c.currentFrameId,
                checkpoint: c.checkpoint,
                nodeCount: head.nodeCount + appended.length,
                ...(leaf === undefined ? {} : { leafNodeId: leaf })
              }
              const result: RuntimeCommitResult = { headRevision: decision.newRevision }
              for (const [i, node] of appended.entries()) {
                yield* sql`INSERT INTO lash_graph_nodes (session_id, seq, node_id, parent_node_id, node_json)
                  VALUES (${c.sessionId}, ${head.nodeCount + i}, ${node.nodeId}, ${node.parentNodeId ?? null}, ${
                  enc(SessionNode, node)
                })`
              }
              const updated = yield* sql`UPDATE lash_sessions SET head_json = ${
                enc(SessionHead, nextHead)
              }, head_revision = ${decision.newRevision},
                  node_count = ${nextHead.nodeCount}, record_version = ${StorageLogic.RECORD_VERSION}, updated_at_ms = ${nowMs}
                WHERE session_id = ${c.sessionId} AND head_revision = ${c.expectedHeadRevision} RETURNING session_id`
              if (updated.length !== 1) {
                return yield* Effect.die(
                  new Error(`session ${c.sessionId}: guarded head update matched ${updated.length} rows`)
                )
              }
              let completed = false
              for (const completion of c.completedClaims) {
                for (const id of completion.batchIds) {
                  completed = true
                  yield* sql`DELETE FROM lash_queued_batches WHERE batch_id = ${id} AND source_key IS NULL
                    AND claim_id = ${completion.claimId} AND claim_token = ${completion.leaseToken}`
                  yield* sql`UPDATE lash_queued_batches SET completed = 1, completed_at_ms = ${nowMs}, claim_id = NULL, claim_token = NULL
                    WHERE batch_id = ${id} AND claim_id = ${completion.claimId} AND claim_token = ${completion.leaseToken}`
                }
              }
              if (c.turnStamp !== undefined) {
                yield* sql`INSERT INTO lash_turn_stamps (session_id, turn_id, hash, result_json, committed_at_ms)
                  VALUES (${c.sessionId}, ${c.turnStamp.turnId}, ${c.turnStamp.hash}, ${
                  enc(RuntimeCommitResult, result)
                }, ${nowMs})`
              }
              return { result, completed }
            }))
          if (completed) yield* publish({ kind: "queue_changed", sessionId: c.sessionId })
          return result
        }),
      enqueue: (draft) =>
        Effect.gen(function*() {
          const out = yield* unit(SS, "enqueue", (nowMs) => enqueueIn(draft, nowMs))
          if (Option.isNone(out)) return yield* Effect.fail(new SessionNotFound({ sessionId: draft.sessionId }))
          if (out.value.created) yield* publish({ kind: "queue_changed", sessionId: draft.sessionId })
          return out.value.batch
        }),
      claimReady: (req) =>
        unit(SS, "claimReady", (nowMs) =>
          Effect.gen(function*() {
            const candidateRows = yield* sql<BatchRowSql>`SELECT * FROM lash_queued_batches
              WHERE session_id = ${req.sessionId} AND completed = 0 AND available_at_ms <= ${nowMs}
                AND NOT (claim_token IS NOT NULL AND ${nowMs} < claim_expires_at_ms)
              ORDER BY enqueue_seq LIMIT ${Math.max(0, req.maxBatches + 32)}`
            const candidates = yield* Effect.forEach(candidateRows, batchOf)
            const chosen = StorageLogic.selectClaimPrefix(candidates, req.boundary, req.maxBatches)
            if (chosen.length === 0) return Option.none<QueuedWorkClaim>()
            const head = candidateRows.find((r) => r.batch_id === chosen[0]!.batchId)!
            const claim = StorageLogic.deriveClaim({
              sessionId: req.sessionId,
              ownerId: req.ownerId,
              batches: chosen,
              headStoredFencing: head.claim_fencing,
              nowMs,
              ttlMs: req.ttlMs
            })
            for (const b of chosen) {
              const stamped = yield* sql`UPDATE lash_queued_batches
                SET claim_id = ${claim.claimId}, claim_token = ${claim.leaseToken}, claim_expires_at_ms = ${claim.expiresAtMs}, claim_fencing = claim_fencing + 1
                WHERE batch_id = ${b.batchId} AND session_id = ${req.sessionId} AND completed = 0
                  AND NOT (claim_token IS NOT NULL AND ${nowMs} < claim_expires_at_ms) RETURNING batch_id`
              if (stamped.length !== 1) return yield* Effect.fail(new ClaimAborted())
            }
            return Option.some(claim)
          })).pipe(Effect.catchTag("ClaimAborted", () => Effect.succeed(Option.none<QueuedWorkClaim>()))),
      renewClaim: (claim, ttlMs) =>
        unit(SS, "renewClaim", (nowMs) =>
          Effect.gen(function*() {
            for (const b of claim.batches) {
              const rows = yield* sql<BatchRowSql>`SELECT * FROM lash_queued_batches WHERE batch_id = ${b.batchId}`
              const r = rows[0]
              const owned = r !== undefined && r.completed === 0 && r.claim_id === claim.claimId &&
                r.claim_token === claim.leaseToken && StorageLogic.isLive(r.claim_expires_at_ms, nowMs)
              if (!owned) {
                return yield* Effect.fail(
                  new QueuedWorkClaimExpired({ sessionId: claim.sessionId, claimId: claim.claimId })
                )
              }
            }
            for (const b of claim.batches) {
              yield* sql`UPDATE lash_queued_batches SET claim_expires_at_ms = ${
                nowMs + ttlMs
              } WHERE batch_id = ${b.batchId}`
            }
            return { ...claim, expiresAtMs: nowMs + ttlMs }
          })),
      abandonClaim: (claim) =>
        Effect.gen(function*() {
          const changed = yield* unit(SS, "abandonClaim", () =>
            Effect.gen(function*() {
              let changed = false
              for (const b of claim.batches) {
                const rows = yield* sql`UPDATE lash_queued_batches SET claim_id = NULL, claim_token = NULL
                  WHERE batch_id = ${b.batchId} AND claim_id = ${claim.claimId} AND claim_token = ${claim.leaseToken} RETURNING batch_id`
                if (rows.length > 0) changed = true
              }
              return changed
            }))
          if (changed) yield* publish({ kind: "queue_changed", sessionId: claim.sessionId })
        }),
      listQueued: (sessionId) =>
        read(
          SS,
          "listQueued",
          Effect.flatMap(openBatches(sessionId, undefined), (rows) => Effect.forEach(rows, batchOf))
        ),
      listPending: (sessionId) =>
        Effect.flatMap(now, (nowMs) =>
          read(
            SS,
            "listPending",
            Effect.flatMap(openBatches(sessionId, nowMs), (rows) => Effect.forEach(rows, batchOf))
          )),
      listSessionsWithPendingWork: () =>
        Effect.flatMap(now, (nowMs) =>
          read(
            SS,
            "listSessionsWithPendingWork",
            Effect.map(
              sql<{ readonly session_id: string }>`SELECT DISTINCT session_id FROM lash_queued_batches
                WHERE completed = 0 AND available_at_ms <= ${nowMs} AND NOT (claim_token IS NOT NULL AND ${nowMs} < claim_expires_at_ms)
                ORDER BY session_id`,
              (rows) => rows.map((r) => r.session_id as SessionId)
            )
          ))
    }

    // ---- processes ------------------------------------------------------------------------------------------
    const PR = "ProcessRegistry"
    const rowOf = (id: ProcessId) =>
      Effect.flatMap(
        sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE process_id = ${id}`,
        (rows) => rows[0] === undefined ? Effect.fail(new ProcessNotFound({ processId: id })) : Effect.succeed(rows[0])
      )
    const recordOf = (row: ProcessRowSql) =>
      decode(ProcessRecord, PR, row.process_id, row.record_json, row.record_version)
    const eventOf = (
      id: string,
      row: { readonly sequence: number; readonly event_json: string; readonly record_version: number }
    ) => decode(ProcessEvent, PR, `${id}#${row.sequence}`, row.event_json, row.record_version)

    /** The append unit's body, shared by appendEvent and the terminal writes; runs inside the caller's write unit. */
    const appendIn = (
      id: ProcessId,
      row: ProcessRowSql,
      req: Parameters<ProcessRegistry["Type"]["appendEvent"]>[1],
      nowMs: number
    ) =>
      Effect.gen(function*() {
        const record = yield* recordOf(row)
        let existing = Option.none<ProcessEvent>()
        if (req.replayKey !== undefined) {
          const rows = yield* sql<
            { readonly sequence: number; readonly event_json: string; readonly record_version: number }
          >`
            SELECT sequence, event_json, record_version FROM lash_process_events WHERE process_id = ${id} AND replay_key = ${req.replayKey}`
          if (rows[0] !== undefined) existing = Option.some(yield* eventOf(id, rows[0]))
        }
        const decision = yield* Either.match(
          StorageLogic.prepareProcessEventAppend({ record, lastSequence: row.last_event_seq, existing, req, nowMs }),
          {
            onLeft: Effect.fail,
            onRight: Effect.succeed
          }
        )
        if (decision.type === "replay") return { decision, record }
        const recordJson = enc(ProcessRecord, decision.record)
        yield* sql`INSERT INTO lash_process_events (process_id, sequence, event_type, replay_key, event_json)
          VALUES (${id}, ${decision.event.sequence}, ${decision.event.eventType}, ${req.replayKey ?? null}, ${
          enc(ProcessEvent, decision.event)
        })`
        yield* sql`UPDATE lash_processes SET record_json = ${recordJson}, record_version = ${StorageLogic.RECORD_VERSION}, last_event_seq = ${decision.event.sequence},
            terminal = ${StorageLogic.isTerminal(decision.record.status) ? 1 : 0}, updated_at_ms = ${nowMs}
          WHERE process_id = ${id}`
        if (Option.isSome(decision.wakeDelivery)) {
          yield* enqueueIn(StorageLogic.processWakeBatchDraft(decision.wakeDelivery.value), nowMs)
        }
        // The record just built from a decoded row: fresh, and exactly what was encoded (no second decode).
        return { decision, record: decision.record }
      })

    const publishAppend = (decision: StorageLogic.AppendDecision) =>
      decision.type === "new"
        ? Effect.gen(function*() {
          yield* publish({
            kind: "process_event",
            processId: decision.event.processId,
            sequence: decision.event.sequence
          })
          if (StorageLogic.isTerminal(decision.record.status)) {
            yield* publish({ kind: "process_terminal", processId: decision.event.processId })
          }
          if (Option.isSome(decision.wakeDelivery)) {
            yield* publish({ kind: "queue_changed", sessionId: decision.wakeDelivery.value.targetSessionId })
          }
        })
        : Effect.void

    const terminalWrite = (
      id: ProcessId,
      row: ProcessRowSql,
      output: Parameters<ProcessRegistry["Type"]["completeAsHost"]>[1],
      nowMs: number
    ) => appendIn(id, row, StorageLogic.terminalAppend(id, output), nowMs)

    const releaseIn = (
      lease: { readonly processId: ProcessId; readonly leaseToken: string; readonly fencingToken: number }
    ) =>
      sql`UPDATE lash_processes SET lease_owner_id = NULL, lease_token = NULL, lease_claimed_at_ms = NULL, lease_expires_at_ms = NULL
        WHERE process_id = ${lease.processId} AND lease_token = ${lease.leaseToken} AND lease_fencing = ${lease.fencingToken}`

    const leaseIn = (row: ProcessRowSql, ownerId: string, ttlMs: number, nowMs: number) =>
      Effect.gen(function*() {
        const lease = StorageLogic.newLease({
          processId: row.process_id as ProcessId,
          ownerId,
          storedFencing: row.lease_fencing,
          nowMs,
          ttlMs
        })
        const updated =
          yield* sql`UPDATE lash_processes SET lease_owner_id = ${ownerId}, lease_token = ${lease.leaseToken}, lease_fencing = ${lease.fencingToken},
            lease_claimed_at_ms = ${nowMs}, lease_expires_at_ms = ${lease.expiresAtMs}
          WHERE process_id = ${row.process_id} AND lease_fencing = ${row.lease_fencing} RETURNING process_id`
        if (updated.length !== 1) {
          return yield* Effect.die(
            new Error(`process ${row.process_id}: guarded lease update matched ${updated.length} rows`)
          )
        }
        return lease
      })

    const registry: ProcessRegistry["Type"] = {
      tier: "durable",
      atomicWakeEnqueue: true,
      register: (reg) =>
        Effect.gen(function*() {
          const out = yield* unit(PR, "register", (nowMs) =>
            Effect.gen(function*() {
              yield* Either.match(StorageLogic.validateRegistration(reg), {
                onLeft: Effect.fail,
                onRight: () => Effect.void
              })
              const existing = yield* sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE process_id = ${reg.id}`
              if (existing[0] !== undefined) {
                const record = yield* recordOf(existing[0])
                if (record.registrationHash !== Ids.registrationHash(reg)) {
                  return yield* Effect.fail(new ProcessRegistrationConflict({ processId: reg.id }))
                }
                return { record, created: false }
              }
              const record = StorageLogic.newProcessRecord(reg, nowMs)
              const inserted =
                yield* sql`INSERT INTO lash_processes (process_id, registration_hash, record_json, terminal, external, created_at_ms, updated_at_ms)
                VALUES (${reg.id}, ${record.registrationHash}, ${enc(ProcessRecord, record)}, 0, ${
                  reg.input.type === "external" ? 1 : 0
                }, ${nowMs}, ${nowMs})
                ON CONFLICT (process_id) DO NOTHING RETURNING process_id`
              if (inserted.length !== 1) {
                return yield* Effect.die(new Error(`process ${reg.id}: insert raced inside a write unit`))
              }
              return { record, created: true }
            }))
          if (out.created && reg.input.type !== "external") yield* publish({ kind: "runnable", processId: reg.id })
          return out
        }),
      get: (id) => read(PR, "get", Effect.flatMap(rowOf(id), recordOf)),
      list: (filter) =>
        read(
          PR,
          "list",
          Effect.gen(function*() {
            const rows = filter.status === "running"
              ? yield* sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE terminal = 0 ORDER BY process_id`
              : filter.status === "terminal"
              ? yield* sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE terminal = 1 ORDER BY process_id`
              : yield* sql<ProcessRowSql>`SELECT * FROM lash_processes ORDER BY process_id`
            const out: Array<ProcessRecord> = []
            for (const row of rows) {
              const record = yield* recordOf(row)
              if (filter.kind !== undefined && record.identity.kind !== filter.kind) continue
              if (
                filter.originatorSessionId !== undefined &&
                !(record.provenance.originator.type === "session" &&
                  record.provenance.originator.scope.sessionId === filter.originatorSessionId)
              ) continue
              out.push(record)
            }
            return out
          })
        ),
      listNonTerminalIds: () =>
        read(
          PR,
          "listNonTerminalIds",
          Effect.map(
            sql<
              { readonly process_id: string }
            >`SELECT process_id FROM lash_processes WHERE terminal = 0 ORDER BY process_id`,
            (rows) => rows.map((r) => r.process_id as ProcessId)
          )
        ),
      listNonTerminal: () =>
        read(
          PR,
          "listNonTerminal",
          Effect.flatMap(
            sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE terminal = 0 ORDER BY process_id`,
            (rows) => Effect.forEach(rows, recordOf)
          )
        ),
      appendEvent: (id, req) =>
        Effect.gen(function*() {
          const { decision } = yield* unit(
            PR,
            "appendEvent",
            (nowMs) => Effect.flatMap(rowOf(id), (row) => appendIn(id, row, req, nowMs))
          )
          yield* publishAppend(decision)
          return { event: decision.event, wakeDelivery: decision.wakeDelivery }
        }),
      eventsAfter: (id, sequence) =>
        read(
          PR,
          "eventsAfter",
          Effect.gen(function*() {
            yield* rowOf(id)
            const rows = yield* sql<
              { readonly sequence: number; readonly event_json: string; readonly record_version: number }
            >`
              SELECT sequence, event_json, record_version FROM lash_process_events WHERE process_id = ${id} AND sequence > ${sequence} ORDER BY sequence`
            return yield* Effect.forEach(rows, (r) => eventOf(id, r))
          })
        ),
      waitEventAfter: (id, eventType, sequence) =>
        StorageLogic.waitForSignal(
          signals,
          StorageLogic.concernsProcessEvents(id),
          read(
            PR,
            "waitEventAfter",
            Effect.gen(function*() {
              yield* rowOf(id)
              const rows = yield* sql<
                { readonly sequence: number; readonly event_json: string; readonly record_version: number }
              >`
                SELECT sequence, event_json, record_version FROM lash_process_events
                WHERE process_id = ${id} AND sequence > ${sequence} AND event_type = ${eventType} ORDER BY sequence LIMIT 1`
              return rows[0] === undefined ? Option.none<ProcessEvent>() : Option.some(yield* eventOf(id, rows[0]))
            })
          )
        ),
      awaitProcess: (id) =>
        StorageLogic.waitForSignal(
          signals,
          StorageLogic.concernsProcessEnd(id),
          read(
            PR,
            "awaitProcess",
            Effect.gen(function*() {
              const row = yield* rowOf(id)
              if (row.terminal === 0) return Option.none()
              const record = yield* recordOf(row)
              return record.status.state === "running" ? Option.none() : Option.some(record.status.awaitOutput)
            })
          )
        ),
      claimLease: (id, ownerId, ttlMs) =>
        unit(PR, "claimLease", (nowMs) =>
          Effect.gen(function*() {
            const row = yield* rowOf(id)
            if (StorageLogic.leaseIsLive(storedLease(row), nowMs)) {
              return yield* Effect.fail(new LeaseHeld({ processId: id }))
            }
            return yield* leaseIn(row, ownerId, ttlMs, nowMs)
          })),
      claimRunnable: (req) =>
        unit(PR, "claimRunnable", (nowMs) =>
          Effect.gen(function*() {
            const rows = yield* sql<ProcessRowSql>`SELECT * FROM lash_processes
              WHERE terminal = 0 AND external = 0
                AND (lease_owner_id IS NULL OR lease_expires_at_ms IS NULL OR lease_expires_at_ms <= ${nowMs})
              ORDER BY process_id LIMIT ${Math.max(0, req.limit)}`
            return yield* Effect.forEach(
              rows.filter((r) => !StorageLogic.leaseIsLive(storedLease(r), nowMs)),
              (row) => leaseIn(row, req.ownerId, req.ttlMs, nowMs)
            )
          })),
      renewLease: (lease, ttlMs) =>
        unit(PR, "renewLease", (nowMs) =>
          Effect.gen(function*() {
            const rows = yield* sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE process_id = ${lease.processId}`
            const row = rows[0]
            if (row === undefined || !StorageLogic.leaseMatches(storedLease(row), lease, nowMs)) {
              return yield* Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
            }
            yield* sql`UPDATE lash_processes SET lease_expires_at_ms = ${
              nowMs + ttlMs
            } WHERE process_id = ${lease.processId}`
            return { ...lease, expiresAtMs: nowMs + ttlMs }
          })),
      releaseLease: (lease) => unit(PR, "releaseLease", () => Effect.asVoid(releaseIn(lease))),
      completeWithLease: (lease, output) =>
        Effect.gen(function*() {
          const { decision, record } = yield* unit(PR, "completeWithLease", (nowMs) =>
            Effect.gen(function*() {
              const rows = yield* sql<ProcessRowSql>`SELECT * FROM lash_processes WHERE process_id = ${lease.processId}`
              const row = rows[0]
              if (row === undefined || !StorageLogic.leaseMatches(storedLease(row), lease, nowMs)) {
                return yield* Effect.fail(
                  new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken })
                )
              }
              const written = yield* terminalWrite(lease.processId, row, output, nowMs)
              yield* releaseIn(lease)
              return written
            }))
          yield* publishAppend(decision)
          return record
        }),
      completeAsHost: (id, output) =>
        Effect.gen(function*() {
          const { decision, record } = yield* unit(
            PR,
            "completeAsHost",
            (nowMs) => Effect.flatMap(rowOf(id), (row) => terminalWrite(id, row, output, nowMs))
          )
          yield* publishAppend(decision)
          return record
        }),
      grantHandle: (scope, id, descriptor) =>
        unit(PR, "grantHandle", (nowMs) =>
          Effect.asVoid(
            sql`INSERT INTO lash_process_grants (scope_id, process_id, descriptor_json, granted_at_ms)
              VALUES (${sessionScopeId(scope)}, ${id}, ${enc(ProcessGrantDescriptor, descriptor)}, ${nowMs})
              ON CONFLICT (scope_id, process_id) DO UPDATE SET descriptor_json = excluded.descriptor_json`
          )),
      hasHandleGrant: (scope, id) =>
        read(
          PR,
          "hasHandleGrant",
          Effect.map(
            sql`SELECT 1 AS one FROM lash_process_grants WHERE scope_id = ${
              sessionScopeId(scope)
            } AND process_id = ${id}`,
            (rows) => rows.length > 0
          )
        ),
      listHandleGrants: (scope: SessionScope) =>
        read(
          PR,
          "listHandleGrants",
          Effect.flatMap(
            sql<
              { readonly process_id: string; readonly descriptor_json: string }
            >`SELECT process_id, descriptor_json FROM lash_process_grants
              WHERE scope_id = ${sessionScopeId(scope)} ORDER BY process_id`,
            (rows) =>
              Effect.forEach(rows, (r) =>
                Effect.map(
                  decode(ProcessGrantDescriptor, PR, `grant:${r.process_id}`, r.descriptor_json),
                  (descriptor) => ({
                    processId: r.process_id as ProcessId,
                    descriptor
                  })
                ))
          )
        )
    }

    // ---- triggers -------------------------------------------------------------------------------------------
    const TS = "TriggerStore"
    const subscriptionOf = (row: SubscriptionRowSql) =>
      decode(TriggerSubscriptionRecord, TS, row.handle, row.record_json, row.record_version)
    const counter = (name: string) =>
      Effect.map(
        sql<{ readonly value: number }>`SELECT value FROM lash_counters WHERE name = ${name}`,
        (rows) => rows[0]?.value ?? 0
      )
    const occurrenceOf = (id: string, row: { readonly record_json: string; readonly record_version: number }) =>
      decode(TriggerOccurrenceRecord, TS, id, row.record_json, row.record_version)

    const reservationsOf = (occurrenceId: string, isNew: ReadonlySet<string>) =>
      Effect.flatMap(
        sql<SubscriptionRowSql & { readonly process_id: string; readonly reserved_subscription_id: string }>`
          SELECT s.*, d.process_id AS process_id, d.subscription_id AS reserved_subscription_id
          FROM lash_trigger_deliveries d JOIN lash_trigger_subscriptions s ON s.subscription_id = d.subscription_id
          WHERE d.occurrence_id = ${occurrenceId} ORDER BY d.handle_no`,
        (rows) =>
          Effect.forEach(rows, (r) =>
            Effect.map(
              subscriptionOf(r),
              (subscription): TriggerDeliveryReservation => ({
                occurrenceId: occurrenceId as TriggerDeliveryReservation["occurrenceId"],
                subscription,
                processId: r.process_id as ProcessId,
                isNew: isNew.has(r.reserved_subscription_id)
              })
            ))
      )

    const triggerStore: TriggerStore["Type"] = {
      tier: "durable",
      register: (draft) =>
        unit(TS, "register", (nowMs) =>
          Effect.gen(function*() {
            const registrantScopeId = draft.registrant.type === "host" ? "host" : sessionScopeId(draft.registrant.scope)
            const draftHash = Ids.draftHash(draft)
            const existing = yield* sql<SubscriptionRowSql>`SELECT * FROM lash_trigger_subscriptions
              WHERE registrant_scope_id = ${registrantScopeId} AND registration_key = ${draft.registrationKey}`
            if (existing[0] !== undefined) {
              if (existing[0].draft_hash !== draftHash) {
                return yield* Effect.fail(
                  new TriggerRegistrationConflict({ registrantScopeId, registrationKey: draft.registrationKey })
                )
              }
              return yield* subscriptionOf(existing[0])
            }
            const n = (yield* counter("trigger_handle")) + 1
            const record: TriggerSubscriptionRecord = {
              ...draft,
              subscriptionId: Ids.subscriptionId(n),
              handle: Ids.triggerHandle(n),
              handleNo: n,
              draftHash,
              enabled: true,
              createdAtMs: nowMs
            }
            yield* sql`UPDATE lash_counters SET value = ${n} WHERE name = 'trigger_handle'`
            yield* sql`INSERT INTO lash_trigger_subscriptions (subscription_id, handle, handle_no, registrant_scope_id, registrant_session_id,
                registration_key, draft_hash, name, source_type, source_key, enabled, record_json, created_at_ms)
              VALUES (${record.subscriptionId}, ${record.handle}, ${n}, ${registrantScopeId},
                ${
              draft.registrant.type === "session" ? draft.registrant.scope.sessionId : null
            }, ${draft.registrationKey}, ${draftHash},
                ${draft.name ?? null}, ${draft.sourceType}, ${draft.sourceKey}, 1, ${
              enc(TriggerSubscriptionRecord, record)
            }, ${nowMs})`
            return record
          })),
      list: (filter) =>
        read(
          TS,
          "list",
          Effect.gen(function*() {
            const rows = yield* sql<
              SubscriptionRowSql
            >`SELECT * FROM lash_trigger_subscriptions ORDER BY registrant_scope_id, handle_no`
            const out: Array<TriggerSubscriptionRecord> = []
            for (const row of rows) {
              if (filter.sessionId !== undefined && row.registrant_session_id !== filter.sessionId) {
                continue
              }
              if (filter.sourceType !== undefined && row.source_type !== filter.sourceType) {
                continue
              }
              if (filter.sourceKey !== undefined && row.source_key !== filter.sourceKey) {
                continue
              }
              if (filter.name !== undefined && row.name !== filter.name) continue
              if (filter.handle !== undefined && row.handle !== filter.handle) continue
              if (filter.enabled !== undefined && (row.enabled === 1) !== filter.enabled) continue
              // A corrupt subscription is skipped (and logged) so one bad row never hides the others.
              const decoded = yield* Effect.either(subscriptionOf(row))
              if (decoded._tag === "Left") {
                yield* Effect.logWarning("skipping corrupt trigger subscription", decoded.left)
                continue
              }
              out.push({ ...decoded.right, enabled: row.enabled === 1 })
            }
            return out
          })
        ),
      cancel: (sessionId, handle: TriggerHandle) =>
        unit(TS, "cancel", () =>
          Effect.map(
            sql`UPDATE lash_trigger_subscriptions SET enabled = 0
              WHERE handle = ${handle} AND registrant_session_id = ${sessionId} AND enabled = 1 RETURNING subscription_id`,
            (rows) => rows.length > 0
          )),
      recordOccurrence: (req) =>
        unit(TS, "recordOccurrence", (nowMs) =>
          Effect.gen(function*() {
            const occurrenceId = Ids.occurrenceId(req.sourceType, req.sourceKey, req.idempotencyKey)
            const contentHash = Ids.occurrenceContentHash(req.sourceType, req.sourceKey, req.payload, req.source)
            const existing = yield* sql<
              { readonly content_hash: string; readonly record_json: string; readonly record_version: number }
            >`
              SELECT content_hash, record_json, record_version FROM lash_trigger_occurrences WHERE occurrence_id = ${occurrenceId}`
            if (existing[0] !== undefined) {
              if (existing[0].content_hash !== contentHash) {
                return yield* Effect.fail(
                  new TriggerIdempotencyConflict({ idempotencyKey: req.idempotencyKey, occurrenceId })
                )
              }
              return yield* occurrenceOf(occurrenceId, existing[0])
            }
            const record: TriggerOccurrenceRecord = {
              ...req,
              occurrenceId,
              contentHash,
              occurredAtMs: nowMs,
              subscriptionHighWater: yield* counter("trigger_handle")
            }
            yield* sql`INSERT INTO lash_trigger_occurrences (occurrence_id, content_hash, record_json)
              VALUES (${occurrenceId}, ${contentHash}, ${enc(TriggerOccurrenceRecord, record)})`
            return record
          })),
      reserveDeliveries: (occurrenceId) =>
        unit(TS, "reserveDeliveries", (nowMs) =>
          Effect.gen(function*() {
            const occ = yield* sql<{ readonly record_json: string; readonly record_version: number }>`
              SELECT record_json, record_version FROM lash_trigger_occurrences WHERE occurrence_id = ${occurrenceId}`
            if (occ[0] === undefined) return []
            const occurrence = yield* occurrenceOf(occurrenceId, occ[0])
            const subs = yield* sql<{ readonly handle_no: number }>`SELECT handle_no FROM lash_trigger_subscriptions
              WHERE enabled = 1 AND source_type = ${occurrence.sourceType} AND source_key = ${occurrence.sourceKey}
                AND handle_no <= ${occurrence.subscriptionHighWater} ORDER BY handle_no`
            const inserted = new Set<string>()
            let seq = yield* counter("reservation_seq")
            for (const sub of subs) {
              const subscriptionId = Ids.subscriptionId(sub.handle_no)
              const processId = Ids.deliveryProcessId(occurrence.occurrenceId, subscriptionId)
              const rows =
                yield* sql`INSERT INTO lash_trigger_deliveries (occurrence_id, subscription_id, process_id, handle_no, reserved_at_ms, seq)
                VALUES (${occurrenceId}, ${subscriptionId}, ${processId}, ${sub.handle_no}, ${nowMs}, ${seq + 1})
                ON CONFLICT (occurrence_id, subscription_id) DO NOTHING RETURNING subscription_id`
              if (rows.length > 0) {
                seq++
                inserted.add(subscriptionId)
              }
            }
            if (inserted.size > 0) yield* sql`UPDATE lash_counters SET value = ${seq} WHERE name = 'reservation_seq'`
            return yield* reservationsOf(occurrenceId, inserted)
          })),
      listUnstartedDeliveries: (limit) =>
        read(
          TS,
          "listUnstartedDeliveries",
          Effect.gen(function*() {
            const rows = yield* sql<
              SubscriptionRowSql & {
                readonly d_occurrence_id: string
                readonly d_process_id: string
                readonly o_record_json: string
                readonly o_record_version: number
              }
            >`SELECT s.*, d.occurrence_id AS d_occurrence_id, d.process_id AS d_process_id,
                o.record_json AS o_record_json, o.record_version AS o_record_version
              FROM lash_trigger_deliveries d
              JOIN lash_trigger_subscriptions s ON s.subscription_id = d.subscription_id
              JOIN lash_trigger_occurrences o ON o.occurrence_id = d.occurrence_id
              WHERE NOT EXISTS (SELECT 1 FROM lash_processes p WHERE p.process_id = d.process_id)
              ORDER BY d.reserved_at_ms, d.occurrence_id, d.handle_no LIMIT ${Math.max(0, limit)}`
            return yield* Effect.forEach(rows, (r) =>
              Effect.gen(function*() {
                const occurrence = yield* occurrenceOf(r.d_occurrence_id, {
                  record_json: r.o_record_json,
                  record_version: r.o_record_version
                })
                const subscription = yield* subscriptionOf(r)
                return {
                  reservation: {
                    occurrenceId: occurrence.occurrenceId,
                    subscription,
                    processId: r.d_process_id as ProcessId,
                    isNew: false
                  },
                  occurrence
                }
              }))
          })
        )
    }

    // ---- envs, artifacts, journal ---------------------------------------------------------------------------
    const envStore: ProcessEnvStore["Type"] = {
      tier: "durable",
      put: (ref: EnvRef, spec) =>
        unit("ProcessEnvStore", "put", (nowMs) =>
          Effect.asVoid(
            sql`INSERT INTO lash_process_envs (env_ref, spec_json, created_at_ms) VALUES (${ref}, ${
              enc(ProcessExecutionEnvSpec, spec)
            }, ${nowMs})
              ON CONFLICT (env_ref) DO NOTHING`
          )),
      get: (ref) =>
        read(
          "ProcessEnvStore",
          "get",
          Effect.flatMap(
            sql<
              { readonly spec_json: string; readonly record_version: number }
            >`SELECT spec_json, record_version FROM lash_process_envs WHERE env_ref = ${ref}`,
            (rows) =>
              rows[0] === undefined
                ? Effect.succeed(Option.none())
                : Effect.map(
                  decode(ProcessExecutionEnvSpec, "ProcessEnvStore", ref, rows[0].spec_json, rows[0].record_version),
                  Option.some
                )
          )
        )
    }
    const artifactStore: ArtifactStore["Type"] = {
      tier: "durable",
      put: (artifact) =>
        unit("ArtifactStore", "put", (nowMs) =>
          Effect.asVoid(
            sql`INSERT INTO lash_artifacts (module_ref, artifact_json, created_at_ms) VALUES (${artifact.moduleRef}, ${
              enc(ModuleArtifact, artifact)
            }, ${nowMs})
              ON CONFLICT (module_ref) DO NOTHING`
          )),
      get: (ref) =>
        read(
          "ArtifactStore",
          "get",
          Effect.flatMap(
            sql<
              { readonly artifact_json: string; readonly record_version: number }
            >`SELECT artifact_json, record_version FROM lash_artifacts WHERE module_ref = ${ref}`,
            (rows) =>
              rows[0] === undefined
                ? Effect.succeed(Option.none())
                : Effect.map(
                  decode(ModuleArtifact, "ArtifactStore", ref, rows[0].artifact_json, rows[0].record_version),
                  Option.some
                )
          )
        )
    }
    const EJ = "EffectJournal"
    const journalRow = (scopeId: string, replayKey: string) =>
      Effect.flatMap(
        sql<
          { readonly entry_json: string; readonly record_version: number }
        >`SELECT entry_json, record_version FROM lash_effect_journal
          WHERE scope_id = ${scopeId} AND replay_key = ${replayKey}`,
        (rows) =>
          rows[0] === undefined
            ? Effect.succeed(Option.none<JournalEntry>())
            : Effect.map(
              decode(JournalEntry, EJ, `${scopeId}#${replayKey}`, rows[0].entry_json, rows[0].record_version),
              Option.some
            )
      )
    const journal: EffectJournal["Type"] = {
      tier: "durable",
      lookup: (scopeId, replayKey) => read(EJ, "lookup", journalRow(scopeId, replayKey)),
      record: (entry) =>
        unit(EJ, "record", (nowMs) =>
          Effect.gen(function*() {
            const inserted =
              yield* sql`INSERT INTO lash_effect_journal (scope_id, replay_key, entry_json, recorded_at_ms)
              VALUES (${entry.scopeId}, ${entry.replayKey}, ${enc(JournalEntry, entry)}, ${nowMs})
              ON CONFLICT (scope_id, replay_key) DO NOTHING RETURNING scope_id`
            if (inserted.length > 0) return entry
            return Option.getOrThrow(yield* journalRow(entry.scopeId, entry.replayKey))
          }))
    }

    // ---- internals, info, signals ---------------------------------------------------------------------------
    const splitIndexed = (key: string): readonly [string, number] => {
      const at = key.lastIndexOf("#")
      return [key.slice(0, at), Number(key.slice(at + 1))]
    }
    const splitJournal = (key: string): readonly [string, string] => {
      const sep = key.includes("\u0000") ? "\u0000" : "#"
      const at = key.indexOf(sep)
      return [key.slice(0, at), key.slice(at + 1)]
    }
    const targetOf = (
      table: SqliteTable,
      key: string
    ): {
      readonly table: string
      readonly column: string
      readonly where: ReadonlyArray<readonly [string, string | number]>
    } => {
      switch (table) {
        case "sessions":
          return { table: "lash_sessions", column: "head_json", where: [["session_id", key]] }
        case "nodes": {
          const [id, seq] = splitIndexed(key)
          return { table: "lash_graph_nodes", column: "node_json", where: [["session_id", id], ["seq", seq]] }
        }
        case "batches":
          return { table: "lash_queued_batches", column: "batch_json", where: [["batch_id", key]] }
        case "processes":
          return { table: "lash_processes", column: "record_json", where: [["process_id", key]] }
        case "events": {
          const [id, seq] = splitIndexed(key)
          return { table: "lash_process_events", column: "event_json", where: [["process_id", id], ["sequence", seq]] }
        }
        case "envs":
          return { table: "lash_process_envs", column: "spec_json", where: [["env_ref", key]] }
        case "artifacts":
          return { table: "lash_artifacts", column: "artifact_json", where: [["module_ref", key]] }
        case "journal": {
          const [scopeId, replayKey] = splitJournal(key)
          return {
            table: "lash_effect_journal",
            column: "entry_json",
            where: [["scope_id", scopeId], ["replay_key", replayKey]]
          }
        }
        case "subscriptions":
          return { table: "lash_trigger_subscriptions", column: "record_json", where: [["subscription_id", key]] }
        case "occurrences":
          return { table: "lash_trigger_occurrences", column: "record_json", where: [["occurrence_id", key]] }
      }
    }
    const overwrite = (table: SqliteTable, key: string, column: "json" | "record_version", value: string | number) =>
      Effect.gen(function*() {
        const t = targetOf(table, key)
        const rows = yield* tx.write(
          SQLITE,
          "testing.overwrite",
          client.unsafe(
            `UPDATE ${t.table} SET ${column === "json" ? t.column : "record_version"} = ? WHERE ${
              t.where.map(([c]) => `${c} = ?`).join(" AND ")
            } RETURNING 1 AS one`,
            [value, ...t.where.map(([, v]) => v)]
          )
        )
        if (rows.length !== 1) return yield* Effect.dieMessage(`no ${table} row ${key}`)
      }).pipe(Effect.orDie)
    const internals: SqliteBackendInternals["Type"] = {
      corrupt: (table, key, rawJson) => overwrite(table, key, "json", rawJson),
      setRecordVersion: (table, key, version) => overwrite(table, key, "record_version", version),
      sql: client
    }

    const info: StorageInfo["Type"] = {
      name: "sqlite",
      tier: "durable",
      durabilityReport: Effect.gen(function*() {
        const value = (stmt: string) =>
          Effect.map(client.unsafe<Record<string, unknown>>(stmt), (rows) => String(firstValue(rows)))
        const [journalMode, sync, busy, fullfsync, version] = yield* read(
          SQLITE,
          "durabilityReport",
          Effect.all([
            value("PRAGMA journal_mode"),
            value("PRAGMA synchronous"),
            value("PRAGMA busy_timeout"),
            value("PRAGMA fullfsync"),
            value("SELECT sqlite_version() AS v")
          ])
        ).pipe(Effect.catchTag("StoreConflict", (e) => Effect.fail(unavailable(e))))
        const syncName = sync === "2"
          ? "FULL"
          : sync === "1"
          ? "NORMAL"
          : sync === "3"
          ? "EXTRA"
          : sync === "0"
          ? "OFF"
          : sync
        return {
          mechanism: "sqlite-wal",
          crashSafety: sync === "2" || sync === "3" ? "power-loss" : sync === "1" ? "process-crash" : "none",
          details: {
            journal_mode: journalMode,
            synchronous: syncName,
            busy_timeout: busy,
            fullfsync,
            sqlite_version: version,
            filename: resolved
          }
        } as const
      })
    }

    // The cross-process poller: `data_version` changes when another connection committed.
    const dataVersion = read(
      SQLITE,
      "poll",
      Effect.map(client.unsafe<Record<string, unknown>>("PRAGMA data_version"), (rows) => Number(firstValue(rows)))
    )
    // It also publishes `poll` at least once a second: the blocking waits have no timers of their own and rely on it
    // to re-check what no signal announced (StorageLogic.waitForSignal).
    yield* Effect.gen(function*() {
      let last = yield* dataVersion
      let delayMs = 10
      let sincePollMs = 0
      while (true) {
        yield* Effect.sleep(Duration.millis(delayMs))
        sincePollMs += delayMs
        const current = yield* dataVersion.pipe(Effect.orElseSucceed(() => last))
        if (current !== last || sincePollMs >= 1000) {
          if (current !== last) delayMs = 10
          else delayMs = Math.min(200, delayMs * 2)
          last = current
          sincePollMs = 0
          yield* publish({ kind: "poll" })
        } else delayMs = Math.min(200, delayMs * 2)
      }
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("sqlite signal poller stopped", cause)),
      Effect.forkScoped
    )

    return Context.empty().pipe(
      Context.add(SessionStore, sessionStore),
      Context.add(ProcessRegistry, registry),
      Context.add(TriggerStore, triggerStore),
      Context.add(ProcessEnvStore, envStore),
      Context.add(ArtifactStore, artifactStore),
      Context.add(EffectJournal, journal),
      Context.add(StorageInfo, info),
      Context.add(StorageSignals, { subscribe: Stream.fromPubSub(signals) }),
      Context.add(SqliteBackendInternals, internals)
    )
  })

/** A fresh temp directory for `testing.make`, removed with the scope. */
const tempDatabase = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-sqlite-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const storageOnly = (
  ctx: Context.Context<LashStorage | StorageSignals | SqliteBackendInternals>
): Context.Context<LashStorage | StorageSignals> => Context.omit(SqliteBackendInternals)(ctx)

/**
 * The SQLite backend.
 *
 * @since 0.1.0
 */
export const SqliteBackend = {
  /**
   * Every storage port plus `StorageSignals`, over one SQLite file (WAL, `synchronous` FULL by default, read back).
   * An open that cannot give the asked-for durability, or meets a foreign / newer file, fails with `StoreUnavailable`.
   */
  layer: (options: SqliteBackendOptions): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable> =>
    Layer.scopedContext(Effect.map(make(options), storageOnly)),
  /** Like `layer`, plus `SqliteBackendInternals` for tests that inject corrupt rows. */
  layerWithInternals: (
    options: SqliteBackendOptions,
    hooks: SqliteOpenHooks = {}
  ): Layer.Layer<LashStorage | StorageSignals | SqliteBackendInternals, StoreUnavailable> =>
    Layer.scopedContext(make(options, hooks)),
  /** Factories for tests: a fresh file per build, and handles that reopen one file. */
  testing: {
    /** A backend over a new file in a new temp directory, deleted when the layer is released. */
    make: (): Layer.Layer<LashStorage | StorageSignals, StoreUnavailable> =>
      Layer.scopedContext(
        Effect.flatMap(tempDatabase, (dir) =>
          Effect.map(make({ filename: path.join(dir, "lash.db"), busyTimeoutMs: 500 }), storageOnly))
      ),
    /**
     * A temp file (deleted with the scope) and a layer factory over it: every `open()` build is a new handle on the
     * same file, so closing one and opening the next simulates a restart.
     */
    reopenable: (): Effect.Effect<
      {
        readonly filename: string
        readonly open: () => Layer.Layer<LashStorage | StorageSignals | SqliteBackendInternals, StoreUnavailable>
      },
      never,
      Scope.Scope
    > =>
      Effect.map(tempDatabase, (dir) => {
        const filename = path.join(dir, "lash.db")
        return { filename, open: () => Layer.scopedContext(make({ filename, busyTimeoutMs: 500 })) }
      })
  }
}
