/**
 * The `SessionStore` port over a driver: sessions, their graph, the turn commit (in `CommitOrder`'s order) and, from
 * `QueuedWorkEngine`, queued work.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { CorruptRecord, SessionNotFound } from "../Errors.js"
import type { SessionId } from "../Identifiers.js"
import type { DurabilityTier } from "../Model.js"
import { initialCheckpoint, type PersistedSession, RuntimeCommitResult, SessionHead, SessionNode } from "../Session.js"
import type { SessionStoreService, SessionSummary } from "../SessionStore.js"
import * as CommitBase from "./CommitBase.js"
import * as CommitOrder from "./CommitOrder.js"
import type { ReadTransaction, WriteTransaction } from "./Driver.js"
import type { BatchRow, NodeRow, SessionRow } from "./DriverRows.js"
import * as QueueClaim from "./QueueClaim.js"
import * as QueuedWorkEngine from "./QueuedWorkEngine.js"
import * as RecordCodec from "./RecordCodec.js"
import * as Steps from "./Steps.js"
import type { Units } from "./Unit.js"

const PORT = "SessionStore"
const { RecordKeys } = RecordCodec

const headOf = (row: SessionRow) =>
  RecordCodec.decode(SessionHead, PORT, RecordKeys.session(row.sessionId), row.headJson, row.recordVersion)

const nodeOf = (row: NodeRow) =>
  RecordCodec.decode(SessionNode, PORT, RecordKeys.node(row.sessionId, row.seq), row.nodeJson, row.recordVersion)

/** The ancestry of `start` (itself first), at most `limit` rows: the driver's fast path, or a walk with `byId`. */
const ancestry = (tx: ReadTransaction, sessionId: string, start: string, limit: number, belowSeq: number) => {
  const fastPath = tx.nodes.ancestry
  if (fastPath !== undefined) return fastPath(sessionId, start, limit, belowSeq)
  return Effect.gen(function*() {
    const rows: Array<NodeRow> = []
    let cursor: string | null = start
    while (cursor !== null && rows.length < limit) {
      const row: NodeRow | undefined = yield* tx.nodes.byId(sessionId, cursor)
      // A parent is always older than its child: a corrupt parent column cannot make the walk loop.
      const previous = rows[rows.length - 1]
      if (row === undefined || row.seq >= belowSeq || (previous !== undefined && row.seq >= previous.seq)) break
      rows.push(row)
      cursor = row.parentNodeId
    }
    return rows
  })
}

/** How many of `rows` were inserted: the driver's one-statement fast path, or `insert` per row up to a refusal. */
const insertNodes = (tx: WriteTransaction, rows: ReadonlyArray<NodeRow>) => {
  const fastPath = tx.nodes.insertAll
  if (fastPath !== undefined) return fastPath(rows)
  return Effect.gen(function*() {
    let inserted = 0
    for (const row of rows) {
      if (!(yield* tx.nodes.insert(row))) break
      inserted++
    }
    return inserted
  })
}

/**
 * Checks a walked ancestry (docs/storage-contract.md, "Session store"): each row's decoded node agrees with its
 * columns, and, unless the walk stopped at its limit, the chain ends at a root. A chain that stops at a missing or
 * newer parent is a history cut by corruption: the read fails with `CorruptRecord` naming the row whose parent is
 * gone, so no turn is ever committed on top of a cut history.
 */
const checkChain = (
  sessionId: string,
  rows: ReadonlyArray<NodeRow>,
  nodes: ReadonlyArray<SessionNode>,
  complete: boolean
): Effect.Effect<void, CorruptRecord> => {
  const corrupt = (row: NodeRow, issue: string) =>
    Effect.fail(new CorruptRecord({ port: PORT, key: RecordKeys.node(sessionId, row.seq), issue }))
  for (const [i, node] of nodes.entries()) {
    const row = rows[i]!
    if (node.nodeId !== row.nodeId || (node.parentNodeId ?? null) !== row.parentNodeId) {
      return corrupt(
        row,
        `the node's record (id ${node.nodeId}, parent ${
          node.parentNodeId ?? "none"
        }) disagrees with its row (id ${row.nodeId}, parent ${row.parentNodeId ?? "none"})`
      )
    }
  }
  const last = rows[rows.length - 1]
  if (complete && last !== undefined && last.parentNodeId !== null) {
    return corrupt(
      last,
      `its parent node ${last.parentNodeId} is missing (or not older than it): the session's history does not reach its root`
    )
  }
  return Effect.void
}

/**
 * Builds the session store.
 *
 * @since 0.1.0
 */
export const make = (
  units: Units,
  tier: DurabilityTier,
  bases: CommitBase.CommitBases = CommitBase.make()
): SessionStoreService => ({
  tier,
  ...QueuedWorkEngine.make(units),

  create: (req) =>
    units.write(PORT, "create", (unit) =>
      Effect.gen(function*() {
        const nowMs = yield* unit.now
        const head: SessionHead = {
          sessionId: req.sessionId,
          headRevision: 0,
          relation: req.relation,
          config: { providerId: req.policy.providerId, model: req.policy.model },
          frames: [],
          checkpoint: initialCheckpoint,
          nodeCount: 0
        }
        yield* unit.tx.sessions.insert({
          sessionId: req.sessionId,
          headJson: RecordCodec.encode(SessionHead, head),
          recordVersion: RecordCodec.RECORD_VERSION,
          headRevision: 0,
          nodeCount: 0,
          nextEnqueueSeq: 1,
          createdAtMs: nowMs,
          updatedAtMs: nowMs
        })
      })),

  listSessions: (req) =>
    units.read(PORT, "listSessions", (unit) =>
      Effect.map(
        unit.tx.sessions.list({
          limit: Math.max(1, Math.floor(req.limit)) + 1,
          ...(req.after === undefined ? {} : { after: req.after })
        }),
        (rows) => {
          const limit = Math.max(1, Math.floor(req.limit))
          const sessions: Array<SessionSummary> = rows.slice(0, limit).map((row) => ({
            sessionId: row.sessionId as SessionId,
            headRevision: row.headRevision,
            nodeCount: row.nodeCount,
            createdAtMs: row.createdAtMs,
            updatedAtMs: row.updatedAtMs
          }))
          const last = sessions[sessions.length - 1]
          // One row past the limit tells whether another page follows.
          return rows.length > limit && last !== undefined
            ? { sessions, next: { updatedAtMs: last.updatedAtMs, sessionId: last.sessionId } }
            : { sessions }
        }
      )),

  exists: (sessionId) => units.read(PORT, "exists", (unit) => unit.tx.sessions.exists(sessionId)),

  load: (sessionId) =>
    units.read(PORT, "load", (unit) =>
      Effect.gen(function*() {
        const row = yield* unit.tx.sessions.read(sessionId)
        if (row === undefined) return Option.none<PersistedSession>()
        const head = yield* headOf(row)
        const nodes = yield* Effect.forEach(yield* unit.tx.nodes.inOrder(sessionId, row.nodeCount), nodeOf)
        const { leafNodeId, nodeCount: _nodeCount, ...rest } = head
        return Option.some<PersistedSession>({
          ...rest,
          graph: leafNodeId === undefined ? { nodes } : { nodes, leafNodeId }
        })
      })),

  loadHead: (sessionId) =>
    units.read(PORT, "loadHead", (unit) =>
      Effect.flatMap(
        unit.tx.sessions.read(sessionId),
        (row) => (row === undefined ? Effect.succeed(Option.none()) : Effect.map(headOf(row), Option.some))
      )),

  loadPath: (sessionId, req) =>
    units.read(PORT, "loadPath", (unit) =>
      Effect.gen(function*() {
        const { tx } = unit
        const row = yield* tx.sessions.read(sessionId)
        if (row === undefined) return yield* Effect.fail(new SessionNotFound({ sessionId }))
        const head = yield* headOf(row)
        let start: string | undefined = req.leafNodeId ?? head.leafNodeId
        // The start is the stored head's leaf or a stored node's parent (not a caller's guess): it must exist.
        let stored = req.leafNodeId === undefined
        if (req.beforeNodeId !== undefined) {
          const before = yield* tx.nodes.byId(sessionId, req.beforeNodeId)
          start = before === undefined || before.seq >= row.nodeCount ? undefined : before.parentNodeId ?? undefined
          stored = true
        }
        if (start === undefined) return { nodes: [], hasMore: false }
        const limit = Math.max(0, req.limit)
        // One row past the limit answers `hasMore`.
        const rows = yield* ancestry(tx, sessionId, start, limit + 1, row.nodeCount)
        if (rows.length === 0 && stored && limit > 0) {
          return yield* Effect.fail(
            new CorruptRecord({
              port: PORT,
              key: RecordKeys.session(sessionId),
              issue: `node ${start} of the session's active path is missing: its history does not reach its root`
            })
          )
        }
        const nodes = yield* Effect.forEach(rows.slice(0, limit), nodeOf)
        yield* checkChain(sessionId, rows, nodes, rows.length <= limit)
        return { nodes: nodes.reverse(), hasMore: rows.length > limit }
      })),

  // One body over a synchronous driver's statements: they run in place (Steps.ts), the checks in CommitOrder's order.
  commit: (commit) =>
    units.write(PORT, "commit", (unit) =>
      Steps.unit(unit.tx, function*() {
        const { tx } = unit
        const sessionId = commit.sessionId
        const row = yield* tx.sessions.read(sessionId)
        const claimed = new Map<string, BatchRow>()
        const decision = yield* CommitOrder.check(commit, {
          headRevision: Effect.succeed(Option.map(Option.fromNullable(row), (r) => r.headRevision)),
          stamp: (turnId) =>
            Steps.gen(function*() {
              const stamp = yield* tx.stamps.read(sessionId, turnId)
              if (stamp === undefined) return Option.none()
              const result = yield* RecordCodec.decode(
                RuntimeCommitResult,
                PORT,
                RecordKeys.stamp(sessionId, turnId),
                stamp.resultJson,
                1
              )
              return Option.some({ hash: stamp.hash, result })
            }),
          claimOwnsAll: (completion) =>
            Steps.gen(function*() {
              for (const batchId of completion.batchIds) {
                const batch = yield* tx.batches.read(batchId)
                if (!QueueClaim.owns(batch, sessionId, completion)) return false
                claimed.set(batchId, batch)
              }
              return true
            })
        })
        if (decision.type === "replay") return decision.result
        const nowMs = yield* unit.now
        const stored = row!
        const base = bases.lookup(sessionId, stored.headJson, stored.recordVersion) ?? (yield* headOf(stored))
        const appended = commit.graph.type === "append" ? commit.graph.nodes : []
        if (appended.length > 0) {
          const rows: Array<NodeRow> = appended.map((node, i) => ({
            sessionId,
            seq: stored.nodeCount + i,
            nodeId: node.nodeId,
            parentNodeId: node.parentNodeId ?? null,
            nodeJson: RecordCodec.encode(SessionNode, node),
            recordVersion: RecordCodec.RECORD_VERSION
          }))
          const inserted = yield* insertNodes(tx, rows)
          if (inserted < rows.length) {
            return yield* Effect.dieMessage(
              `duplicate node id among ${appended.map((node) => node.nodeId).join(", ")} in session ${sessionId}`
            )
          }
        }
        const next = CommitOrder.nextHead(commit, { ...base, nodeCount: stored.nodeCount }, decision.newRevision)
        const headJson = RecordCodec.encode(SessionHead, next)
        const updated = yield* tx.sessions.updateHead({
          sessionId,
          headJson,
          recordVersion: RecordCodec.RECORD_VERSION,
          headRevision: next.headRevision,
          nodeCount: next.nodeCount,
          updatedAtMs: nowMs
        }, commit.expectedHeadRevision)
        if (!updated) return yield* Effect.dieMessage(`session ${sessionId}: the guarded head update matched no row`)
        const { leafNodeId, relation } = next
        bases.remember(
          sessionId,
          headJson,
          RecordCodec.RECORD_VERSION,
          leafNodeId === undefined ? { relation } : { relation, leafNodeId }
        )
        for (const batch of claimed.values()) {
          // Keyed batches stay as tombstones (a repeated enqueue of the key returns them); unkeyed ones go.
          if (batch.sourceKey === null) yield* tx.batches.delete(batch.batchId)
          else yield* tx.batches.complete(batch.batchId, nowMs)
        }
        if (claimed.size > 0) unit.signal({ kind: "queue_changed", sessionId: sessionId as SessionId })
        const result: RuntimeCommitResult = { headRevision: decision.newRevision }
        if (commit.turnStamp !== undefined) {
          yield* tx.stamps.insert({
            sessionId,
            turnId: commit.turnStamp.turnId,
            hash: commit.turnStamp.hash,
            resultJson: RecordCodec.encode(RuntimeCommitResult, result),
            committedAtMs: nowMs
          })
        }
        return result
      }))
})
