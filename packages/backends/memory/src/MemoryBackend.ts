/**
 * The in-memory backend (inline tier): every storage port over one private store per layer build, with the same
 * semantics as the durable backends. All decisions come from `StorageLogic`; this module only stores, serialises
 * and orders. Rows are kept as canonical JSON text and decoded on every read, exactly like SQL rows, so returned
 * values are fresh and a corrupt row surfaces as `CorruptRecord`.
 *
 * Atomicity: every write unit runs under one `Semaphore(1)`; it reads the clock once, decides everything first
 * (any typed failure happens before the first mutation) and then applies its writes synchronously, so a failed unit
 * leaves the store untouched.
 *
 * @since 0.1.0
 */
import type { PersistedSession } from "@lash/core"
import {
  ArtifactStore,
  type ClaimId,
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
  type RuntimeCommitResult,
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
  type TriggerDeliveryReservation,
  type TriggerHandle,
  TriggerIdempotencyConflict,
  TriggerOccurrenceRecord,
  TriggerRegistrationConflict,
  TriggerStore,
  TriggerSubscriptionRecord
} from "@lash/core"
import { ModuleArtifact } from "@lash/lashlang"
import { Clock, Context, Effect, Either, Layer, Option, PubSub, Schema, Stream } from "effect"

// ---------------------------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------------------------

interface SessionRow {
  /** The head (everything but nodes) as canonical JSON of `SessionHead`. */
  head: string
  nodes: Array<string>
  nodeIds: Map<string, number>
  nextEnqueueSeq: number
  stamps: Map<string, { readonly hash: string; readonly result: RuntimeCommitResult }>
}

interface BatchRow {
  readonly sessionId: SessionId
  readonly batchId: string
  readonly sourceKey: string | undefined
  readonly enqueueSeq: number
  readonly availableAtMs: number
  json: string
  completed: boolean
  claim: { readonly claimId: ClaimId; readonly token: string; expiresAtMs: number } | undefined
  claimFencing: number
}

interface ProcessRow {
  json: string
  lastSeq: number
  events: Array<string>
  eventByKey: Map<string, number>
  lease: { ownerId?: string; leaseToken?: string; fencingToken: number; expiresAtMs?: number; claimedAtMs?: number }
  /** Projections used for filters and ordering without decoding. */
  terminal: boolean
  external: boolean
}

interface SubscriptionRow {
  json: string
  readonly registrantScopeId: string
  readonly registrantSessionId: string | undefined
  readonly registrationKey: string
  readonly draftHash: string
  readonly handleNo: number
  readonly sourceType: string
  readonly sourceKey: string
  readonly name: string | undefined
  readonly handle: string
  enabled: boolean
}

interface ReservationRow {
  readonly occurrenceId: string
  readonly subscriptionId: string
  readonly processId: ProcessId
  readonly handleNo: number
  readonly reservedAtMs: number
  readonly seq: number
}

interface State {
  readonly sessions: Map<string, SessionRow>
  readonly batches: Map<string, BatchRow>
  readonly batchBySourceKey: Map<string, string>
  readonly processes: Map<string, ProcessRow>
  readonly grants: Map<string, Map<string, string>>
  readonly envs: Map<string, string>
  readonly artifacts: Map<string, string>
  readonly journal: Map<string, string>
  readonly subscriptions: Map<string, SubscriptionRow>
  readonly subscriptionByKey: Map<string, string>
  triggerHandle: number
  readonly occurrences: Map<string, { json: string; readonly contentHash: string }>
  readonly reservations: Map<string, Array<ReservationRow>>
  reservationSeq: number
}

const emptyState = (): State => ({
  sessions: new Map(),
  batches: new Map(),
  batchBySourceKey: new Map(),
  processes: new Map(),
  grants: new Map(),
  envs: new Map(),
  artifacts: new Map(),
  journal: new Map(),
  subscriptions: new Map(),
  subscriptionByKey: new Map(),
  triggerHandle: 0,
  occurrences: new Map(),
  reservations: new Map(),
  reservationSeq: 0
})

/** The tables `MemoryBackend.testing.corrupt` can overwrite a row of. @since 0.1.0 */
export type MemoryTable =
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
 * Access to a built memory backend's rows, for tests that need to inject a corrupt row.
 *
 * @since 0.1.0
 */
export class MemoryBackendInternals extends Context.Tag("@lash/backend-memory/MemoryBackendInternals")<
  MemoryBackendInternals,
  {
    /** Replaces the stored JSON text of one row (for `nodes` and `events` the key is `<id>#<index>`). */
    corrupt(table: MemoryTable, key: string, rawJson: string): Effect.Effect<void>
  }
>() {}

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const enc = StorageLogic.encodeRecord
const decode = StorageLogic.decodeRecordEffect
const decodeAll = <A, I>(
  schema: Schema.Schema<A, I>,
  port: string,
  rows: ReadonlyArray<{ readonly key: string; readonly json: string }>
) => Effect.forEach(rows, (row) => decode(schema, port, row.key, row.json))
const cmp = StorageLogic.compareCodePoints

const ProcessGrantDescriptor = StorageLogic.HandleDescriptorRecord

/** Builds every port over one fresh store. */
const make = Effect.gen(function*() {
  const state = emptyState()
  const lock = yield* Effect.makeSemaphore(1)
  const signals = yield* PubSub.unbounded<StorageSignal>()
  const unit = <A, E>(f: (nowMs: number) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    lock.withPermits(1)(Effect.flatMap(Clock.currentTimeMillis, f))
  const publish = (signal: StorageSignal) => Effect.asVoid(PubSub.publish(signals, signal))

  // ---- sessions -------------------------------------------------------------------------------------------
  const SS = "SessionStore"
  const headOf = (sessionId: string, row: SessionRow) => decode(SessionHead, SS, sessionId, row.head)

  const enqueueIn = (
    draft: Parameters<SessionStore["Type"]["enqueue"]>[0],
    nowMs: number
  ): Option.Option<QueuedWorkBatch> => {
    const session = state.sessions.get(draft.sessionId)
    if (session === undefined) return Option.none()
    if (draft.sourceKey !== undefined) {
      const existing = state.batchBySourceKey.get(`${draft.sessionId}\u0000${draft.sourceKey}`)
      if (existing !== undefined) {
        return Option.some(Schema.decodeUnknownSync(QueuedWorkBatch)(JSON.parse(state.batches.get(existing)!.json)))
      }
    }
    const seq = session.nextEnqueueSeq++
    const batch = StorageLogic.newBatch(draft, seq, nowMs)
    state.batches.set(batch.batchId, {
      sessionId: draft.sessionId,
      batchId: batch.batchId,
      sourceKey: draft.sourceKey,
      enqueueSeq: seq,
      availableAtMs: draft.availableAtMs,
      json: enc(QueuedWorkBatch, batch),
      completed: false,
      claim: undefined,
      claimFencing: 0
    })
    if (draft.sourceKey !== undefined) {
      state.batchBySourceKey.set(`${draft.sessionId}\u0000${draft.sourceKey}`, batch.batchId)
    }
    return Option.some(batch)
  }

  const openBatches = (sessionId: string) =>
    [...state.batches.values()].filter((b) => b.sessionId === sessionId && !b.completed).sort((a, b) =>
      a.enqueueSeq - b.enqueueSeq
    )

  const underLiveClaim = (b: BatchRow, nowMs: number) =>
    b.claim !== undefined && StorageLogic.isLive(b.claim.expiresAtMs, nowMs)

  const sessionStore: SessionStore["Type"] = {
    tier: "inline",
    create: (req) =>
      unit((nowMs) =>
        Effect.sync(() => {
          if (state.sessions.has(req.sessionId)) return
          const head: SessionHead = {
            sessionId: req.sessionId,
            headRevision: 0,
            relation: req.relation,
            config: { providerId: req.policy.providerId, model: req.policy.model },
            frames: [],
            checkpoint: { turnIndex: 0, usage: { input: 0, output: 0 } },
            nodeCount: 0
          }
          void nowMs
          state.sessions.set(req.sessionId, {
            head: enc(SessionHead, head),
            nodes: [],
            nodeIds: new Map(),
            nextEnqueueSeq: 1,
            stamps: new Map()
          })
        })
      ),
    exists: (sessionId) => Effect.sync(() => state.sessions.has(sessionId)),
    load: (sessionId) =>
      Effect.gen(function*() {
        const row = state.sessions.get(sessionId)
        if (row === undefined) return Option.none()
        const { head, nodes } = { head: row.head, nodes: [...row.nodes] }
        const decodedHead = yield* decode(SessionHead, SS, sessionId, head)
        const decodedNodes = yield* decodeAll(
          SessionNode,
          SS,
          nodes.map((json, i) => ({ key: `${sessionId}#${i}`, json }))
        )
        const { leafNodeId, nodeCount: _n, ...rest } = decodedHead
        const persisted: PersistedSession = {
          ...rest,
          graph: leafNodeId === undefined ? { nodes: decodedNodes } : { nodes: decodedNodes, leafNodeId }
        }
        return Option.some(persisted)
      }),
    loadHead: (sessionId) =>
      Effect.suspend(() => {
        const row = state.sessions.get(sessionId)
        return row === undefined ? Effect.succeed(Option.none()) : Effect.map(headOf(sessionId, row), Option.some)
      }),
    loadPath: (sessionId, req) =>
      Effect.gen(function*() {
        const row = state.sessions.get(sessionId)
        if (row === undefined) return yield* Effect.fail(new SessionNotFound({ sessionId }))
        const head = yield* headOf(sessionId, row)
        const nodeAt = (id: string) => {
          const i = row.nodeIds.get(id)
          return i === undefined
            ? Effect.succeed(undefined)
            : decode(SessionNode, SS, `${sessionId}#${i}`, row.nodes[i]!)
        }
        let cursor: string | undefined = req.leafNodeId ?? head.leafNodeId
        if (req.beforeNodeId !== undefined) cursor = (yield* nodeAt(req.beforeNodeId))?.parentNodeId
        const out: Array<SessionNode> = []
        while (cursor !== undefined && out.length < req.limit) {
          const node: SessionNode | undefined = yield* nodeAt(cursor)
          if (node === undefined) break
          out.push(node)
          cursor = node.parentNodeId
        }
        return { nodes: out.reverse(), hasMore: cursor !== undefined && row.nodeIds.has(cursor) }
      }),
    commit: (c) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const row = state.sessions.get(c.sessionId)
          const decision = yield* StorageLogic.checkCommit(c, {
            headRevision: row === undefined
              ? Effect.succeed(Option.none())
              : Effect.map(headOf(c.sessionId, row), (h) => Option.some(h.headRevision)),
            stamp: (turnId) => Effect.succeed(Option.fromNullable(row?.stamps.get(turnId))),
            claimOwnsAll: (completion) =>
              Effect.succeed(
                completion.batchIds.every((id) => {
                  const b = state.batches.get(id)
                  return b !== undefined && b.sessionId === c.sessionId && !b.completed &&
                    b.claim?.claimId === completion.claimId && b.claim.token === completion.leaseToken
                })
              )
          })
          if (decision.type === "replay") return decision.result
          const session = row!
          const head = yield* headOf(c.sessionId, session)
          const appended = c.graph.type === "append" ? c.graph.nodes : []
          for (const node of appended) {
            if (session.nodeIds.has(node.nodeId)) {
              return yield* Effect.die(new Error(`duplicate node id ${node.nodeId} in session ${c.sessionId}`))
            }
          }
          const encodedNodes = appended.map((n) => enc(SessionNode, n))
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
          // Apply: nothing below can fail.
          encodedNodes.forEach((json, i) => {
            session.nodeIds.set(appended[i]!.nodeId, session.nodes.length)
            session.nodes.push(json)
          })
          session.head = enc(SessionHead, nextHead)
          let completed = false
          for (const completion of c.completedClaims) {
            for (const id of completion.batchIds) {
              const b = state.batches.get(id)!
              completed = true
              if (b.sourceKey === undefined) state.batches.delete(id)
              else {
                b.completed = true
                b.claim = undefined
              }
            }
          }
          if (c.turnStamp !== undefined) session.stamps.set(c.turnStamp.turnId, { hash: c.turnStamp.hash, result })
          void nowMs
          if (completed) yield* publish({ kind: "queue_changed", sessionId: c.sessionId })
          return result
        })
      ),
    enqueue: (draft) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const created = state.batches.size
          const batch = enqueueIn(draft, nowMs)
          if (Option.isNone(batch)) return yield* Effect.fail(new SessionNotFound({ sessionId: draft.sessionId }))
          if (state.batches.size !== created) yield* publish({ kind: "queue_changed", sessionId: draft.sessionId })
          return batch.value
        })
      ),
    claimReady: (req) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const candidateRows = openBatches(req.sessionId).filter((b) =>
            b.availableAtMs <= nowMs && !underLiveClaim(b, nowMs)
          )
          const candidates = yield* decodeAll(
            QueuedWorkBatch,
            SS,
            candidateRows.slice(0, req.maxBatches + 32).map((b) => ({ key: b.batchId, json: b.json }))
          )
          const chosen = StorageLogic.selectClaimPrefix(candidates, req.boundary, req.maxBatches)
          if (chosen.length === 0) return Option.none<QueuedWorkClaim>()
          const headRow = state.batches.get(chosen[0]!.batchId)!
          const claim = StorageLogic.deriveClaim({
            sessionId: req.sessionId,
            ownerId: req.ownerId,
            batches: chosen,
            headStoredFencing: headRow.claimFencing,
            nowMs,
            ttlMs: req.ttlMs
          })
          for (const b of chosen) {
            const row = state.batches.get(b.batchId)!
            row.claim = { claimId: claim.claimId, token: claim.leaseToken, expiresAtMs: claim.expiresAtMs }
            row.claimFencing = row.claimFencing + 1
          }
          return Option.some(claim)
        })
      ),
    renewClaim: (claim, ttlMs) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const rows = claim.batches.map((b) => state.batches.get(b.batchId))
          const owned = rows.every(
            (r) =>
              r !== undefined && !r.completed && r.claim?.claimId === claim.claimId &&
              r.claim.token === claim.leaseToken && StorageLogic.isLive(r.claim.expiresAtMs, nowMs)
          )
          if (!owned) {
            return yield* Effect.fail(
              new QueuedWorkClaimExpired({ sessionId: claim.sessionId, claimId: claim.claimId })
            )
          }
          for (const r of rows) r!.claim!.expiresAtMs = nowMs + ttlMs
          return { ...claim, expiresAtMs: nowMs + ttlMs }
        })
      ),
    abandonClaim: (claim) =>
      unit(() =>
        Effect.gen(function*() {
          let changed = false
          for (const b of claim.batches) {
            const row = state.batches.get(b.batchId)
            if (row?.claim?.claimId === claim.claimId && row.claim.token === claim.leaseToken) {
              row.claim = undefined
              changed = true
            }
          }
          if (changed) yield* publish({ kind: "queue_changed", sessionId: claim.sessionId })
        })
      ),
    listQueued: (sessionId) =>
      decodeAll(QueuedWorkBatch, SS, openBatches(sessionId).map((b) => ({ key: b.batchId, json: b.json }))),
    listPending: (sessionId) =>
      Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
        decodeAll(
          QueuedWorkBatch,
          SS,
          openBatches(sessionId)
            .filter((b) => !underLiveClaim(b, nowMs))
            .map((b) => ({ key: b.batchId, json: b.json }))
        )),
    listSessionsWithPendingWork: () =>
      Effect.map(Clock.currentTimeMillis, (nowMs) => {
        const ids = new Set<string>()
        for (const b of state.batches.values()) {
          if (!b.completed && b.availableAtMs <= nowMs && !underLiveClaim(b, nowMs)) ids.add(b.sessionId)
        }
        return [...ids].sort(cmp) as Array<SessionId>
      })
  }

  // ---- processes ------------------------------------------------------------------------------------------
  const PR = "ProcessRegistry"
  const rowOf = (id: ProcessId) =>
    Effect.suspend(() => {
      const row = state.processes.get(id)
      return row === undefined ? Effect.fail(new ProcessNotFound({ processId: id })) : Effect.succeed(row)
    })
  const recordOf = (id: ProcessId, row: ProcessRow) => decode(ProcessRecord, PR, id, row.json)
  const eventAt = (id: ProcessId, row: ProcessRow, i: number) =>
    decode(ProcessEvent, PR, `${id}#${i + 1}`, row.events[i]!)

  /** The append unit's body, shared by appendEvent and the terminal writes; the caller holds the lock. */
  const appendIn = (
    id: ProcessId,
    row: ProcessRow,
    req: Parameters<ProcessRegistry["Type"]["appendEvent"]>[1],
    nowMs: number
  ) =>
    Effect.gen(function*() {
      const record = yield* recordOf(id, row)
      const existingIndex = req.replayKey === undefined ? undefined : row.eventByKey.get(req.replayKey)
      const existing = existingIndex === undefined ? Option.none() : Option.some(yield* eventAt(id, row, existingIndex))
      const decision = yield* Either.match(
        StorageLogic.prepareProcessEventAppend({ record, lastSequence: row.lastSeq, existing, req, nowMs }),
        { onLeft: Effect.fail, onRight: Effect.succeed }
      )
      if (decision.type === "replay") return decision
      row.events.push(enc(ProcessEvent, decision.event))
      row.lastSeq = decision.event.sequence
      if (req.replayKey !== undefined) row.eventByKey.set(req.replayKey, row.events.length - 1)
      row.json = enc(ProcessRecord, decision.record)
      row.terminal = StorageLogic.isTerminal(decision.record.status)
      if (Option.isSome(decision.wakeDelivery)) {
        enqueueIn(StorageLogic.processWakeBatchDraft(decision.wakeDelivery.value), nowMs)
      }
      return decision
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
    row: ProcessRow,
    output: Parameters<ProcessRegistry["Type"]["completeAsHost"]>[1],
    nowMs: number
  ) =>
    Effect.gen(function*() {
      const decision = yield* appendIn(id, row, StorageLogic.terminalAppend(id, output), nowMs)
      return { decision, record: yield* recordOf(id, row) }
    })

  const registry: ProcessRegistry["Type"] = {
    tier: "inline",
    atomicWakeEnqueue: true,
    register: (reg) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          yield* Either.match(StorageLogic.validateRegistration(reg), {
            onLeft: Effect.fail,
            onRight: () => Effect.void
          })
          const existing = state.processes.get(reg.id)
          if (existing !== undefined) {
            const record = yield* recordOf(reg.id, existing)
            if (record.registrationHash !== Ids.registrationHash(reg)) {
              return yield* Effect.fail(new ProcessRegistrationConflict({ processId: reg.id }))
            }
            return { record, created: false }
          }
          const record = StorageLogic.newProcessRecord(reg, nowMs)
          state.processes.set(reg.id, {
            json: enc(ProcessRecord, record),
            lastSeq: 0,
            events: [],
            eventByKey: new Map(),
            lease: { fencingToken: 0 },
            terminal: false,
            external: reg.input.type === "external"
          })
          if (reg.input.type !== "external") yield* publish({ kind: "runnable", processId: reg.id })
          return { record, created: true }
        })
      ),
    get: (id) => Effect.flatMap(rowOf(id), (row) => recordOf(id, row)),
    list: (filter) =>
      Effect.gen(function*() {
        const ids = [...state.processes.keys()].sort(cmp)
        const out: Array<ProcessRecord> = []
        for (const id of ids) {
          const row = state.processes.get(id)!
          if (filter.status === "running" && row.terminal) continue
          if (filter.status === "terminal" && !row.terminal) continue
          const record = yield* recordOf(id as ProcessId, row)
          if (filter.kind !== undefined && record.identity.kind !== filter.kind) continue
          if (
            filter.originatorSessionId !== undefined &&
            !(record.provenance.originator.type === "session" &&
              record.provenance.originator.scope.sessionId === filter.originatorSessionId)
          ) continue
          out.push(record)
        }
        return out
      }),
    listNonTerminalIds: () =>
      Effect.sync(() =>
        [...state.processes.entries()].filter(([, r]) => !r.terminal).map(([id]) => id as ProcessId).sort(cmp)
      ),
    listNonTerminal: () =>
      Effect.forEach(
        [...state.processes.entries()].filter(([, r]) => !r.terminal).map(([id]) => id).sort(cmp),
        (id) => recordOf(id as ProcessId, state.processes.get(id)!)
      ),
    appendEvent: (id, req) =>
      Effect.gen(function*() {
        const decision = yield* unit((nowMs) => Effect.flatMap(rowOf(id), (row) => appendIn(id, row, req, nowMs)))
        yield* publishAppend(decision)
        return { event: decision.event, wakeDelivery: decision.wakeDelivery }
      }),
    eventsAfter: (id, sequence) =>
      Effect.gen(function*() {
        const row = yield* rowOf(id)
        const out: Array<ProcessEvent> = []
        for (let i = sequence; i < row.events.length; i++) if (i >= 0) out.push(yield* eventAt(id, row, i))
        return out
      }),
    waitEventAfter: (id, eventType, sequence) =>
      StorageLogic.waitForSignal(
        signals,
        StorageLogic.concernsProcessEvents(id),
        Effect.gen(function*() {
          const row = yield* rowOf(id)
          for (let i = Math.max(0, sequence); i < row.events.length; i++) {
            const event = yield* eventAt(id, row, i)
            if (event.eventType === eventType) return Option.some(event)
          }
          return Option.none()
        })
      ),
    awaitProcess: (id) =>
      StorageLogic.waitForSignal(
        signals,
        StorageLogic.concernsProcessEnd(id),
        Effect.gen(function*() {
          const row = yield* rowOf(id)
          if (!row.terminal) return Option.none()
          const record = yield* recordOf(id, row)
          return record.status.state === "running" ? Option.none() : Option.some(record.status.awaitOutput)
        })
      ),
    claimLease: (id, ownerId, ttlMs) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const row = yield* rowOf(id)
          if (StorageLogic.leaseIsLive(row.lease, nowMs)) return yield* Effect.fail(new LeaseHeld({ processId: id }))
          const lease = StorageLogic.newLease({
            processId: id,
            ownerId,
            storedFencing: row.lease.fencingToken,
            nowMs,
            ttlMs
          })
          row.lease = {
            ownerId,
            leaseToken: lease.leaseToken,
            fencingToken: lease.fencingToken,
            expiresAtMs: lease.expiresAtMs,
            claimedAtMs: nowMs
          }
          return lease
        })
      ),
    claimRunnable: (req) =>
      unit((nowMs) =>
        Effect.sync(() => {
          const ids = [...state.processes.entries()]
            .filter(([, r]) => !r.terminal && !r.external && !StorageLogic.leaseIsLive(r.lease, nowMs))
            .map(([id]) => id)
            .sort(cmp)
            .slice(0, Math.max(0, req.limit))
          return ids.map((id) => {
            const row = state.processes.get(id)!
            const lease = StorageLogic.newLease({
              processId: id as ProcessId,
              ownerId: req.ownerId,
              storedFencing: row.lease.fencingToken,
              nowMs,
              ttlMs: req.ttlMs
            })
            row.lease = {
              ownerId: req.ownerId,
              leaseToken: lease.leaseToken,
              fencingToken: lease.fencingToken,
              expiresAtMs: lease.expiresAtMs,
              claimedAtMs: nowMs
            }
            return lease
          })
        })
      ),
    renewLease: (lease, ttlMs) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const row = state.processes.get(lease.processId)
          if (row === undefined || !StorageLogic.leaseMatches(row.lease, lease, nowMs)) {
            return yield* Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
          }
          row.lease.expiresAtMs = nowMs + ttlMs
          return { ...lease, expiresAtMs: nowMs + ttlMs }
        })
      ),
    releaseLease: (lease) =>
      unit(() =>
        Effect.sync(() => {
          const row = state.processes.get(lease.processId)
          if (
            row !== undefined && row.lease.leaseToken === lease.leaseToken &&
            row.lease.fencingToken === lease.fencingToken
          ) {
            row.lease = { fencingToken: row.lease.fencingToken }
          }
        })
      ),
    completeWithLease: (lease, output) =>
      Effect.gen(function*() {
        const { decision, record } = yield* unit((nowMs) =>
          Effect.gen(function*() {
            const row = state.processes.get(lease.processId)
            if (row === undefined || !StorageLogic.leaseMatches(row.lease, lease, nowMs)) {
              return yield* Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
            }
            const written = yield* terminalWrite(lease.processId, row, output, nowMs)
            row.lease = { fencingToken: row.lease.fencingToken }
            return written
          })
        )
        yield* publishAppend(decision)
        return record
      }),
    completeAsHost: (id, output) =>
      Effect.gen(function*() {
        const { decision, record } = yield* unit((nowMs) =>
          Effect.flatMap(rowOf(id), (row) => terminalWrite(id, row, output, nowMs))
        )
        yield* publishAppend(decision)
        return record
      }),
    grantHandle: (scope, id, descriptor) =>
      unit(() =>
        Effect.sync(() => {
          const scopeId = sessionScopeId(scope)
          const grants = state.grants.get(scopeId) ?? new Map<string, string>()
          grants.set(id, enc(ProcessGrantDescriptor, descriptor))
          state.grants.set(scopeId, grants)
        })
      ),
    hasHandleGrant: (scope, id) => Effect.sync(() => state.grants.get(sessionScopeId(scope))?.has(id) ?? false),
    listHandleGrants: (scope: SessionScope) =>
      Effect.forEach(
        [...(state.grants.get(sessionScopeId(scope)) ?? new Map<string, string>()).entries()].sort(([a], [b]) =>
          cmp(a, b)
        ),
        ([processId, json]) =>
          Effect.map(
            decode(ProcessGrantDescriptor, PR, `grant:${processId}`, json),
            (descriptor) => ({ processId: processId as ProcessId, descriptor })
          )
      )
  }

  // ---- triggers -------------------------------------------------------------------------------------------
  const TS = "TriggerStore"
  const subscriptionOf = (row: SubscriptionRow) => decode(TriggerSubscriptionRecord, TS, row.handle, row.json)
  const sortedSubscriptions = () =>
    [...state.subscriptions.values()].sort((a, b) =>
      cmp(a.registrantScopeId, b.registrantScopeId) || a.handleNo - b.handleNo
    )

  const reservationsOf = (occurrenceId: string, isNew: ReadonlySet<string>) =>
    Effect.forEach(
      [...(state.reservations.get(occurrenceId) ?? [])].sort((a, b) => a.handleNo - b.handleNo),
      (r) =>
        Effect.map(
          subscriptionOf(state.subscriptions.get(r.subscriptionId)!),
          (subscription): TriggerDeliveryReservation => ({
            occurrenceId: r.occurrenceId as TriggerDeliveryReservation["occurrenceId"],
            subscription,
            processId: r.processId,
            isNew: isNew.has(r.subscriptionId)
          })
        )
    )

  const triggerStore: TriggerStore["Type"] = {
    tier: "inline",
    register: (draft) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const registrantScopeId = draft.registrant.type === "host" ? "host" : sessionScopeId(draft.registrant.scope)
          const key = `${registrantScopeId}\u0000${draft.registrationKey}`
          const draftHash = Ids.draftHash(draft)
          const existingId = state.subscriptionByKey.get(key)
          if (existingId !== undefined) {
            const row = state.subscriptions.get(existingId)!
            if (row.draftHash !== draftHash) {
              return yield* Effect.fail(
                new TriggerRegistrationConflict({ registrantScopeId, registrationKey: draft.registrationKey })
              )
            }
            return yield* subscriptionOf(row)
          }
          const n = state.triggerHandle + 1
          const record: TriggerSubscriptionRecord = {
            ...draft,
            subscriptionId: Ids.subscriptionId(n),
            handle: Ids.triggerHandle(n),
            handleNo: n,
            draftHash,
            enabled: true,
            createdAtMs: nowMs
          }
          state.triggerHandle = n
          state.subscriptions.set(record.subscriptionId, {
            json: enc(TriggerSubscriptionRecord, record),
            registrantScopeId,
            registrantSessionId: draft.registrant.type === "session" ? draft.registrant.scope.sessionId : undefined,
            registrationKey: draft.registrationKey,
            draftHash,
            handleNo: n,
            sourceType: draft.sourceType,
            sourceKey: draft.sourceKey,
            name: draft.name,
            handle: record.handle,
            enabled: true
          })
          state.subscriptionByKey.set(key, record.subscriptionId)
          return record
        })
      ),
    list: (filter) =>
      Effect.gen(function*() {
        const out: Array<TriggerSubscriptionRecord> = []
        for (const row of sortedSubscriptions()) {
          if (filter.sessionId !== undefined && row.registrantSessionId !== filter.sessionId) continue
          if (filter.sourceType !== undefined && row.sourceType !== filter.sourceType) continue
          if (filter.sourceKey !== undefined && row.sourceKey !== filter.sourceKey) continue
          if (filter.name !== undefined && row.name !== filter.name) continue
          if (filter.handle !== undefined && row.handle !== filter.handle) continue
          if (filter.enabled !== undefined && row.enabled !== filter.enabled) continue
          // A corrupt subscription is skipped (and logged) so one bad row never hides the others.
          const decoded = yield* Effect.either(subscriptionOf(row))
          if (decoded._tag === "Left") {
            yield* Effect.logWarning("skipping corrupt trigger subscription", decoded.left)
            continue
          }
          out.push({ ...decoded.right, enabled: row.enabled })
        }
        return out
      }),
    cancel: (sessionId, handle: TriggerHandle) =>
      unit(() =>
        Effect.sync(() => {
          const row = [...state.subscriptions.values()].find((r) =>
            r.handle === handle && r.registrantSessionId === sessionId
          )
          if (row === undefined || !row.enabled) return false
          row.enabled = false
          return true
        })
      ),
    recordOccurrence: (req) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const occurrenceId = Ids.occurrenceId(req.sourceType, req.sourceKey, req.idempotencyKey)
          const contentHash = Ids.occurrenceContentHash(req.sourceType, req.sourceKey, req.payload, req.source)
          const existing = state.occurrences.get(occurrenceId)
          if (existing !== undefined) {
            if (existing.contentHash !== contentHash) {
              return yield* Effect.fail(
                new TriggerIdempotencyConflict({ idempotencyKey: req.idempotencyKey, occurrenceId })
              )
            }
            return yield* decode(TriggerOccurrenceRecord, TS, occurrenceId, existing.json)
          }
          const record: TriggerOccurrenceRecord = {
            ...req,
            occurrenceId,
            contentHash,
            occurredAtMs: nowMs,
            subscriptionHighWater: state.triggerHandle
          }
          state.occurrences.set(occurrenceId, { json: enc(TriggerOccurrenceRecord, record), contentHash })
          return record
        })
      ),
    reserveDeliveries: (occurrenceId) =>
      unit((nowMs) =>
        Effect.gen(function*() {
          const occ = state.occurrences.get(occurrenceId)
          if (occ === undefined) return []
          const occurrence = yield* decode(TriggerOccurrenceRecord, TS, occurrenceId, occ.json)
          const rows = state.reservations.get(occurrenceId) ?? []
          const reserved = new Set(rows.map((r) => r.subscriptionId))
          const inserted = new Set<string>()
          for (const sub of state.subscriptions.values()) {
            if (
              !sub.enabled || sub.sourceType !== occurrence.sourceType || sub.sourceKey !== occurrence.sourceKey
            ) continue
            if (sub.handleNo > occurrence.subscriptionHighWater) continue
            const subscriptionId = Ids.subscriptionId(sub.handleNo)
            if (reserved.has(subscriptionId)) continue
            rows.push({
              occurrenceId,
              subscriptionId,
              processId: Ids.deliveryProcessId(occurrence.occurrenceId, subscriptionId),
              handleNo: sub.handleNo,
              reservedAtMs: nowMs,
              seq: ++state.reservationSeq
            })
            inserted.add(subscriptionId)
          }
          state.reservations.set(occurrenceId, rows)
          return yield* reservationsOf(occurrenceId, inserted)
        })
      ),
    listUnstartedDeliveries: (limit) =>
      Effect.gen(function*() {
        const pending = [...state.reservations.values()]
          .flat()
          .filter((r) => !state.processes.has(r.processId))
          .sort((a, b) =>
            a.reservedAtMs - b.reservedAtMs || cmp(a.occurrenceId, b.occurrenceId) || a.handleNo - b.handleNo
          )
          .slice(0, limit)
        return yield* Effect.forEach(pending, (r) =>
          Effect.gen(function*() {
            const occurrence = yield* decode(
              TriggerOccurrenceRecord,
              TS,
              r.occurrenceId,
              state.occurrences.get(r.occurrenceId)!.json
            )
            const subscription = yield* subscriptionOf(state.subscriptions.get(r.subscriptionId)!)
            return {
              reservation: {
                occurrenceId: occurrence.occurrenceId,
                subscription,
                processId: r.processId,
                isNew: false
              },
              occurrence
            }
          }))
      })
  }

  // ---- envs, artifacts, journal ---------------------------------------------------------------------------
  const envStore: ProcessEnvStore["Type"] = {
    tier: "inline",
    put: (ref: EnvRef, spec) =>
      unit(() =>
        Effect.sync(() => void (state.envs.has(ref) || state.envs.set(ref, enc(ProcessExecutionEnvSpec, spec))))
      ),
    get: (ref) =>
      Effect.suspend(() => {
        const json = state.envs.get(ref)
        return json === undefined
          ? Effect.succeed(Option.none())
          : Effect.map(decode(ProcessExecutionEnvSpec, "ProcessEnvStore", ref, json), Option.some)
      })
  }
  const artifactStore: ArtifactStore["Type"] = {
    tier: "inline",
    put: (artifact) =>
      unit(() =>
        Effect.sync(() =>
          void (state.artifacts.has(artifact.moduleRef) ||
            state.artifacts.set(artifact.moduleRef, enc(ModuleArtifact, artifact)))
        )
      ),
    get: (ref) =>
      Effect.suspend(() => {
        const json = state.artifacts.get(ref)
        return json === undefined
          ? Effect.succeed(Option.none())
          : Effect.map(decode(ModuleArtifact, "ArtifactStore", ref, json), Option.some)
      })
  }
  const journalKey = (scopeId: string, replayKey: string) => `${scopeId}\u0000${replayKey}`
  const journal: EffectJournal["Type"] = {
    tier: "inline",
    lookup: (scopeId, replayKey) =>
      Effect.suspend(() => {
        const json = state.journal.get(journalKey(scopeId, replayKey))
        return json === undefined
          ? Effect.succeed(Option.none())
          : Effect.map(decode(JournalEntry, "EffectJournal", `${scopeId}#${replayKey}`, json), Option.some)
      }),
    record: (entry) =>
      unit(() =>
        Effect.suspend(() => {
          const key = journalKey(entry.scopeId, entry.replayKey)
          const existing = state.journal.get(key)
          if (existing !== undefined) {
            return decode(JournalEntry, "EffectJournal", `${entry.scopeId}#${entry.replayKey}`, existing)
          }
          state.journal.set(key, enc(JournalEntry, entry))
          return Effect.succeed(entry)
        })
      )
  }

  const internals: MemoryBackendInternals["Type"] = {
    corrupt: (table, key, rawJson) =>
      Effect.sync(() => {
        const [id, index] = key.split("#") as [string, string | undefined]
        switch (table) {
          case "sessions":
            state.sessions.get(id)!.head = rawJson
            return
          case "nodes":
            state.sessions.get(id)!.nodes[Number(index)] = rawJson
            return
          case "batches":
            state.batches.get(id)!.json = rawJson
            return
          case "processes":
            state.processes.get(id)!.json = rawJson
            return
          case "events":
            state.processes.get(id)!.events[Number(index) - 1] = rawJson
            return
          case "envs":
            state.envs.set(id, rawJson)
            return
          case "artifacts":
            state.artifacts.set(id, rawJson)
            return
          case "journal":
            state.journal.set(id, rawJson)
            return
          case "subscriptions":
            state.subscriptions.get(id)!.json = rawJson
            return
          case "occurrences":
            state.occurrences.get(id)!.json = rawJson
            return
        }
      })
  }

  const info: StorageInfo["Type"] = {
    name: "memory",
    tier: "inline",
    durabilityReport: Effect.succeed({ mechanism: "memory", crashSafety: "none", details: {} })
  }

  return Context.empty().pipe(
    Context.add(SessionStore, sessionStore),
    Context.add(ProcessRegistry, registry),
    Context.add(TriggerStore, triggerStore),
    Context.add(ProcessEnvStore, envStore),
    Context.add(ArtifactStore, artifactStore),
    Context.add(EffectJournal, journal),
    Context.add(StorageInfo, info),
    Context.add(StorageSignals, { subscribe: Stream.fromPubSub(signals) }),
    Context.add(MemoryBackendInternals, internals)
  )
})

/**
 * The memory backend.
 *
 * @since 0.1.0
 */
export const MemoryBackend = {
  /** Every storage port plus `StorageSignals`, over a new private store per build. */
  layer: (): Layer.Layer<LashStorage | StorageSignals> => Layer.effectContext(make),
  /** Like `layer`, plus `MemoryBackendInternals` for tests that inject corrupt rows. */
  layerWithInternals: (): Layer.Layer<LashStorage | StorageSignals | MemoryBackendInternals> =>
    Layer.effectContext(make),
  /** Factories for `@lash/testing` (inline tier: no reopen). */
  testing: {
    make: (): Layer.Layer<LashStorage | StorageSignals> => Layer.effectContext(make)
  }
}
