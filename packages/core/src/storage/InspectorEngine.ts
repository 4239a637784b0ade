/**
 * The `StoreInspector` over a driver: a process with its lease columns, row counts and the integrity check. Each
 * session and each process is read in its own short read unit, so an inspection never holds a writer up.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { type CorruptRecord, ProcessNotFound, SessionNotFound } from "../Errors.js"
import { ProcessEvent, ProcessExecutionEnvSpec, ProcessRecord } from "../Process.js"
import { QueuedWorkBatch } from "../QueuedWork.js"
import { SessionHead, SessionNode } from "../Session.js"
import type { IntegrityProblem, StoreInspectorService } from "../StoreInspector.js"
import { TriggerSubscriptionRecord } from "../Trigger.js"
import type { ReadTransaction } from "./Driver.js"
import type { SessionRow } from "./DriverRows.js"
import * as QueuedWorkEngine from "./QueuedWorkEngine.js"
import * as RecordCodec from "./RecordCodec.js"
import type { Units } from "./Unit.js"

const PORT = "StoreInspector"
const { RecordKeys } = RecordCodec
/** Sessions read per listing unit while walking the whole store. */
const PAGE = 200
const EVERY_SEQ = Number.MAX_SAFE_INTEGER

/**
 * Every session row, one page per read unit. The pages run newest activity first, so a session written while the walk
 * runs moves ahead of it: a second walk from the front, down to the newest activity the first walk saw, picks those
 * up. Each session once (its latest row seen).
 */
const allSessions = (units: Units) =>
  Effect.gen(function*() {
    const rows = new Map<string, SessionRow>()
    const walk = (stopBelowMs: number) =>
      Effect.gen(function*() {
        let newest = -1
        let after: { readonly updatedAtMs: number; readonly sessionId: string } | undefined
        for (;;) {
          const page: ReadonlyArray<SessionRow> = yield* units.read(
            PORT,
            "check.sessions",
            (unit) => unit.tx.sessions.list(after === undefined ? { limit: PAGE } : { limit: PAGE, after })
          )
          for (const row of page) {
            if (row.updatedAtMs < stopBelowMs) return newest
            newest = Math.max(newest, row.updatedAtMs)
            rows.set(row.sessionId, row)
          }
          const last = page[page.length - 1]
          if (page.length < PAGE || last === undefined) return newest
          after = { updatedAtMs: last.updatedAtMs, sessionId: last.sessionId }
        }
      })
    const newest = yield* walk(Number.NEGATIVE_INFINITY)
    if (newest >= 0) yield* walk(newest)
    return [...rows.values()]
  })

const decoded = <A>(problems: Array<IntegrityProblem>, either: Either.Either<A, CorruptRecord>): A | undefined => {
  if (Either.isRight(either)) return either.right
  problems.push({ key: either.left.key, problem: `does not decode: ${either.left.issue}` })
  return undefined
}

/**
 * The problems of one session: its head, its graph, its open batches. The row is read in the same unit (snapshot) as
 * the graph: a row read earlier would disagree with a graph a writer extended meanwhile.
 */
const checkSession = (tx: ReadTransaction, sessionId: string) =>
  Effect.gen(function*() {
    const problems: Array<IntegrityProblem> = []
    const row = yield* tx.sessions.read(sessionId)
    // Deleted since the listing: nothing to check.
    if (row === undefined) return { problems, nodes: 0, batches: 0 }
    const key = RecordKeys.session(row.sessionId)
    const head = decoded(
      problems,
      RecordCodec.decodeEither(SessionHead, PORT, key, row.headJson, row.recordVersion)
    )
    if (head !== undefined) {
      if (head.sessionId !== row.sessionId) problems.push({ key, problem: `head names session ${head.sessionId}` })
      if (head.headRevision !== row.headRevision || head.nodeCount !== row.nodeCount) {
        problems.push({
          key,
          problem: `head says revision ${head.headRevision} with ${head.nodeCount} nodes, ` +
            `its row revision ${row.headRevision} with ${row.nodeCount} nodes`
        })
      }
      if (head.relation.type === "child" && !(yield* tx.sessions.exists(head.relation.parentSessionId))) {
        problems.push({ key, problem: `parent session ${head.relation.parentSessionId} does not exist` })
      }
    }
    const nodes = yield* tx.nodes.inOrder(row.sessionId, EVERY_SEQ)
    const seen = new Set<string>()
    for (const [index, node] of nodes.entries()) {
      const nodeKey = RecordKeys.node(row.sessionId, node.seq)
      if (node.seq !== index) problems.push({ key: nodeKey, problem: `sequence gap: expected node ${index}` })
      const value = decoded(
        problems,
        RecordCodec.decodeEither(SessionNode, PORT, nodeKey, node.nodeJson, node.recordVersion)
      )
      if (value !== undefined && value.nodeId !== node.nodeId) {
        problems.push({ key: nodeKey, problem: `row id ${node.nodeId}, record id ${value.nodeId}` })
      }
      if (node.parentNodeId !== null && !seen.has(node.parentNodeId)) {
        problems.push({ key: nodeKey, problem: `parent node ${node.parentNodeId} is not an earlier node` })
      }
      seen.add(node.nodeId)
    }
    if (nodes.length !== row.nodeCount) {
      problems.push({ key, problem: `head counts ${row.nodeCount} nodes, the graph has ${nodes.length}` })
    }
    if (head?.leafNodeId !== undefined && !seen.has(head.leafNodeId)) {
      problems.push({ key, problem: `leaf node ${head.leafNodeId} is not in the graph` })
    }
    const batches = yield* tx.batches.open(row.sessionId)
    for (const batch of batches) {
      const batchKey = RecordKeys.batch(row.sessionId, batch.batchId)
      const value = decoded(
        problems,
        RecordCodec.decodeEither(QueuedWorkBatch, PORT, batchKey, batch.batchJson, batch.recordVersion)
      )
      if (value !== undefined && (value.sessionId !== row.sessionId || value.batchId !== batch.batchId)) {
        problems.push({ key: batchKey, problem: `record names batch ${value.batchId} of session ${value.sessionId}` })
      }
    }
    return { problems, nodes: nodes.length, batches: batches.length }
  })

/** The problems of one process: its record, its references, its event log. */
const checkProcess = (tx: ReadTransaction, processId: string) =>
  Effect.gen(function*() {
    const problems: Array<IntegrityProblem> = []
    const key = RecordKeys.process(processId)
    const row = yield* tx.processes.read(processId)
    if (row === undefined) return { problems, events: 0 } // removed since it was listed
    const record = decoded(
      problems,
      RecordCodec.decodeEither(ProcessRecord, PORT, key, row.recordJson, row.recordVersion)
    )
    if (record !== undefined) {
      if (record.id !== processId) problems.push({ key, problem: `record names process ${record.id}` })
      if ((record.status.state !== "running") !== row.terminal) {
        problems.push({ key, problem: `status ${record.status.state}, row marked terminal=${row.terminal}` })
      }
      const sessions = [
        ...(record.provenance.originator.type === "session" ? [record.provenance.originator.scope.sessionId] : []),
        ...(record.wakeTarget === undefined ? [] : [record.wakeTarget.sessionId])
      ]
      for (const sessionId of new Set(sessions)) {
        if (!(yield* tx.sessions.exists(sessionId))) {
          problems.push({ key, problem: `session ${sessionId} does not exist` })
        }
      }
      if (record.envRef !== undefined) {
        const env = yield* tx.envs.read(record.envRef)
        if (env === undefined) problems.push({ key, problem: `env ${record.envRef} does not exist` })
        else {
          decoded(
            problems,
            RecordCodec.decodeEither(
              ProcessExecutionEnvSpec,
              PORT,
              RecordKeys.env(record.envRef),
              env.json,
              env.recordVersion
            )
          )
        }
      }
    }
    const events = yield* tx.events.after(processId, 0)
    for (const [index, event] of events.entries()) {
      const eventKey = RecordKeys.event(processId, event.sequence)
      if (event.sequence !== index + 1) problems.push({ key: eventKey, problem: `sequence gap: expected ${index + 1}` })
      const value = decoded(
        problems,
        RecordCodec.decodeEither(ProcessEvent, PORT, eventKey, event.eventJson, event.recordVersion)
      )
      if (value !== undefined && (value.processId !== processId || value.sequence !== event.sequence)) {
        problems.push({ key: eventKey, problem: `record names event ${value.sequence} of ${value.processId}` })
      }
    }
    if (events.length !== row.lastEventSeq) {
      problems.push({ key, problem: `row says ${row.lastEventSeq} events, the log has ${events.length}` })
    }
    return { problems, events: events.length }
  })

/**
 * Builds the inspector.
 *
 * @since 0.1.0
 */
export const make = (units: Units): StoreInspectorService => ({
  process: (id) =>
    units.read(PORT, "process", (unit) =>
      Effect.gen(function*() {
        const row = yield* unit.tx.processes.read(id)
        if (row === undefined) return yield* Effect.fail(new ProcessNotFound({ processId: id }))
        const record = yield* RecordCodec.decode(
          ProcessRecord,
          PORT,
          RecordKeys.process(id),
          row.recordJson,
          row.recordVersion
        )
        return {
          record,
          lease: {
            ownerId: row.lease.ownerId,
            fencingToken: row.lease.fencing,
            claimedAtMs: row.lease.claimedAtMs,
            expiresAtMs: row.lease.expiresAtMs
          },
          lastEventSequence: row.lastEventSeq,
          readAtMs: yield* unit.now
        }
      })),

  queue: (sessionId) =>
    units.read(PORT, "queue", (unit) =>
      Effect.gen(function*() {
        if (!(yield* unit.tx.sessions.exists(sessionId))) return yield* Effect.fail(new SessionNotFound({ sessionId }))
        const { readable, unreadable } = yield* QueuedWorkEngine.openBatchesIn(unit.tx, sessionId)
        const batches = readable.map(({ batch, row }) => ({
          batch,
          claim: row.claim === null ? null : { claimId: row.claim.claimId, expiresAtMs: row.claim.expiresAtMs },
          claimFencing: row.claimFencing
        }))
        return { batches, unreadable, readAtMs: yield* unit.now }
      })),

  stats: Effect.gen(function*() {
    const sessions = yield* allSessions(units)
    let openQueuedBatches = 0
    for (const row of sessions) {
      openQueuedBatches += (yield* units.read(PORT, "stats", (unit) => unit.tx.batches.open(row.sessionId))).length
    }
    return yield* units.read(PORT, "stats", (unit) =>
      Effect.gen(function*() {
        const { tx } = unit
        const running = yield* tx.processes.ids(false)
        const terminal = yield* tx.processes.ids(true)
        let processEvents = 0
        for (const id of [...running, ...terminal]) {
          const processRow = yield* tx.processes.read(id)
          processEvents += processRow?.lastEventSeq ?? 0
        }
        return {
          sessions: sessions.length,
          graphNodes: sessions.reduce((sum, row) => sum + row.nodeCount, 0),
          openQueuedBatches,
          processesRunning: running.length,
          processesTerminal: terminal.length,
          processEvents,
          triggerSubscriptions: (yield* tx.subscriptions.list()).length,
          unstartedDeliveries: (yield* tx.deliveries.unstarted(EVERY_SEQ)).length
        }
      }))
  }),

  check: (options = {}) =>
    Effect.gen(function*() {
      const sessions = yield* allSessions(units)
      const processIds = yield* units.read(PORT, "check.processes", (unit) => unit.tx.processes.ids())
      const subscriptions = yield* units.read(PORT, "check.subscriptions", (unit) => unit.tx.subscriptions.list())
      const total = sessions.length + processIds.length + subscriptions.length
      let done = 0
      const step = options.onProgress === undefined
        ? Effect.void
        : Effect.suspend(() => options.onProgress!({ done: ++done, total }))
      const problems: Array<IntegrityProblem> = []
      const checked = { sessions: 0, graphNodes: 0, queuedBatches: 0, processes: 0, processEvents: 0 }
      for (const { sessionId } of sessions) {
        const found = yield* units.read(PORT, "check.session", (unit) => checkSession(unit.tx, sessionId))
        problems.push(...found.problems)
        checked.sessions++
        checked.graphNodes += found.nodes
        checked.queuedBatches += found.batches
        yield* step
      }
      for (const processId of processIds) {
        const found = yield* units.read(PORT, "check.process", (unit) => checkProcess(unit.tx, processId))
        problems.push(...found.problems)
        checked.processes++
        checked.processEvents += found.events
        yield* step
      }
      for (const row of subscriptions) {
        const key = RecordKeys.subscription(row.subscriptionId)
        decoded(
          problems,
          RecordCodec.decodeEither(TriggerSubscriptionRecord, PORT, key, row.recordJson, row.recordVersion)
        )
        if (
          row.registrantSessionId !== null &&
          !(yield* units.read(PORT, "check.subscription", (unit) => unit.tx.sessions.exists(row.registrantSessionId!)))
        ) {
          problems.push({ key, problem: `registrant session ${row.registrantSessionId} does not exist` })
        }
        yield* step
      }
      return { checked: { ...checked, triggerSubscriptions: subscriptions.length }, problems }
    })
})
