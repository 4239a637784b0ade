/**
 * The storage decision logic every backend calls, written once (docs/storage-contract.md, "The storage engine"): lease and claim arithmetic,
 * registration validation, the event-append decision, wake deliveries, queue claim selection and the commit check
 * order. A backend only stores, locks and orders.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import type { Queue } from "effect"
import { Effect, Either, Option, ParseResult, PubSub } from "effect"
import { Schema } from "effect"
import {
  CorruptRecord,
  HeadRevisionConflict,
  InvalidProcessRegistration,
  ProcessEventRejected,
  QueuedWorkClaimExpired,
  SessionBindingMismatch,
  SessionNotFound,
  TurnCommitConflict
} from "./Errors.js"
import type { ClaimId, ProcessId, SessionId, WakeId } from "./Identifiers.js"
import { Ids } from "./Ids.js"
import type { Json } from "./Json.js"
import * as JsonSchema from "./JsonSchema.js"
import {
  type AppendEventRequest,
  coreEventTypes,
  ProcessAwaitOutput,
  type ProcessEvent,
  type ProcessEventType,
  type ProcessLease,
  type ProcessRecord,
  type ProcessRegistration,
  type ProcessStatus,
  type ProcessWakeDelivery,
  type SessionScope,
  sessionScopeId,
  terminalEventType,
  type ValueSelector
} from "./Process.js"
import type { QueuedWorkBatch, QueuedWorkBatchDraft, QueuedWorkClaim } from "./QueuedWork.js"
import type { CompletedClaim, RuntimeCommit, RuntimeCommitResult } from "./Session.js"
import type { CommitError } from "./SessionStore.js"
import type { StorageSignal } from "./StorageInfo.js"

/**
 * Orders strings by Unicode code point, as SQL `BINARY` / `COLLATE "C"` do (never `localeCompare`, never raw
 * UTF-16 `<`).
 *
 * @since 0.1.0
 */
export const compareCodePoints = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, so they sort after every other BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}

/**
 * A lease or claim is live iff `now < expiresAtMs` (strict: a TTL of 0 is already expired).
 *
 * @since 0.1.0
 */
export const isLive = (expiresAtMs: number, nowMs: number): boolean => nowMs < expiresAtMs

// ---------------------------------------------------------------------------------------------------------------
// Blocking waits
// ---------------------------------------------------------------------------------------------------------------

/**
 * The signals that can change the answer of a wait for one of a process's events: its own `process_event`s, and
 * `poll` (another connection committed something).
 *
 * @since 0.1.0
 */
export const concernsProcessEvents = (processId: ProcessId) => (signal: StorageSignal): boolean =>
  signal.kind === "poll" || (signal.kind === "process_event" && signal.processId === processId)

/**
 * The signals that can change the answer of a wait for a process to end: its `process_terminal`, and `poll`.
 *
 * @since 0.1.0
 */
export const concernsProcessEnd = (processId: ProcessId) => (signal: StorageSignal): boolean =>
  signal.kind === "poll" || (signal.kind === "process_terminal" && signal.processId === processId)

const takeRelevant = (
  sub: Queue.Dequeue<StorageSignal>,
  relevant: (signal: StorageSignal) => boolean
): Effect.Effect<void> =>
  Effect.flatMap(sub.take, (signal) => (relevant(signal) ? Effect.void : takeRelevant(sub, relevant)))

/**
 * A blocking wait over a backend's signal hub: subscribe first, then `check`, then re-check only when a relevant
 * signal arrives. Filtering matters for scale: with N waiters, re-checking on every signal would cost N reads per
 * write. A backend whose writers are not all in this process publishes `poll` for what it cannot announce (the
 * SQLite poller: on `data_version` changes and at least once a second), so a wait needs no timer of its own and an
 * interrupted wait (a lost race) costs no more than dropping a subscription.
 *
 * @since 0.1.0
 */
export const waitForSignal = <A, E>(
  signals: PubSub.PubSub<StorageSignal>,
  relevant: (signal: StorageSignal) => boolean,
  check: Effect.Effect<Option.Option<A>, E>
): Effect.Effect<A, E> =>
  Effect.scoped(
    Effect.gen(function*() {
      const sub = yield* PubSub.subscribe(signals)
      const next = takeRelevant(sub, relevant)
      while (true) {
        const found = yield* check
        if (Option.isSome(found)) return found.value
        yield* next
      }
    })
  )

// ---------------------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------------------

/**
 * Checks the registry rules of a registration (docs/architecture.md, "Processes and leases").
 *
 * @since 0.1.0
 */
export const validateRegistration = (reg: ProcessRegistration): Either.Either<void, InvalidProcessRegistration> => {
  const fail = (reason: InvalidProcessRegistration["reason"]) =>
    Either.left(new InvalidProcessRegistration({ processId: reg.id, reason }))
  if (reg.id.length === 0) return fail("empty_id")
  if (reg.input.type === "tool_call" && reg.envRef === undefined) return fail("env_required")
  if (reg.input.type === "session_turn" && reg.envRef !== undefined) return fail("env_forbidden")
  const names = new Set<string>()
  for (const t of reg.eventTypes) {
    if (names.has(t.name)) return fail("duplicate_event_type")
    names.add(t.name)
  }
  for (const core of coreEventTypes) if (!names.has(core.name)) return fail("missing_core_event_types")
  return Either.void
}

/**
 * The record a new registration is stored as.
 *
 * @since 0.1.0
 */
export const newProcessRecord = (reg: ProcessRegistration, nowMs: number): ProcessRecord => ({
  ...reg,
  registrationHash: Ids.registrationHash(reg),
  createdAtMs: nowMs,
  updatedAtMs: nowMs,
  status: { state: "running" }
})

/** True when the status is terminal. @since 0.1.0 */
export const isTerminal = (status: ProcessStatus): boolean => status.state !== "running"

const readPointer = (value: Json, pointer: string): Json | undefined => {
  if (pointer === "") return value
  let current: Json | undefined = value
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(current)) current = current[Number(key)]
    else if (current !== null && typeof current === "object") current = (current as Record<string, Json>)[key]
    else return undefined
  }
  return current
}

/**
 * The value a selector picks from an event payload (`undefined` when the pointer does not resolve).
 *
 * @since 0.1.0
 */
export const selectValue = (selector: ValueSelector, payload: Json): Json | undefined =>
  selector.type === "payload"
    ? payload
    : selector.type === "const"
    ? selector.value
    : readPointer(payload, selector.pointer)

const selectText = (selector: ValueSelector, payload: Json): string => {
  const v = selectValue(selector, payload)
  return v === undefined ? "" : typeof v === "string" ? v : Canonical.canonicalJsonUnsafe(v)
}

const eventHash = (eventType: string, payload: Json): string => Canonical.sha256Hex([eventType, payload])

/**
 * The wake delivery of a stored event, or `None` when the event has no wake or there is no target. A replay
 * rebuilds the same delivery from the stored event (`createdAtMs` = the event's `occurredAtMs`).
 *
 * @since 0.1.0
 */
export const wakeDeliveryFor = (
  record: ProcessRecord,
  event: ProcessEvent,
  target: SessionScope | undefined
): Option.Option<ProcessWakeDelivery> => {
  if (event.wake === undefined || target === undefined) return Option.none()
  const targetScopeId = sessionScopeId(target)
  const delivery: { -readonly [K in keyof ProcessWakeDelivery]: ProcessWakeDelivery[K] } = {
    wakeId: Ids.wakeId(targetScopeId, event.wake.dedupeKey) as WakeId,
    targetSessionId: target.sessionId,
    targetScopeId,
    processId: record.id,
    sequence: event.sequence,
    eventType: event.eventType,
    dedupeKey: event.wake.dedupeKey,
    input: event.wake.input,
    createdAtMs: event.occurredAtMs
  }
  if (record.provenance.causedBy !== undefined) delivery.processCausedBy = record.provenance.causedBy
  return Option.some(delivery)
}

/** The outcome of {@link prepareProcessEventAppend}. @since 0.1.0 */
export type AppendDecision =
  | { readonly type: "replay"; readonly event: ProcessEvent; readonly wakeDelivery: Option.Option<ProcessWakeDelivery> }
  | {
    readonly type: "new"
    readonly event: ProcessEvent
    readonly wakeDelivery: Option.Option<ProcessWakeDelivery>
    /** The record with its new status and `updatedAtMs`. */
    readonly record: ProcessRecord
  }

/**
 * Decides an event append: replay (same key, same `h([type, payload])`), rejection, or a new event with sequence
 * `lastSequence + 1`, its wake materialised and the status projection updated.
 *
 * @since 0.1.0
 */
export const prepareProcessEventAppend = (p: {
  readonly record: ProcessRecord
  readonly lastSequence: number
  /** The stored event with `req.replayKey`, when the request has a key and such an event exists. */
  readonly existing: Option.Option<ProcessEvent>
  readonly req: AppendEventRequest
  readonly nowMs: number
}): Either.Either<AppendDecision, ProcessEventRejected> => {
  const { record, req } = p
  const reject = (reason: ProcessEventRejected["reason"], issues?: ReadonlyArray<string>) =>
    Either.left(
      new ProcessEventRejected(
        issues === undefined ? { processId: record.id, reason } : { processId: record.id, reason, issues }
      )
    )
  const target = req.wakeTargetScope ?? record.wakeTarget
  if (Option.isSome(p.existing)) {
    const stored = p.existing.value
    if (eventHash(stored.eventType, stored.payload) !== eventHash(req.eventType, req.payload)) {
      return reject("replay_conflict")
    }
    return Either.right({ type: "replay", event: stored, wakeDelivery: wakeDeliveryFor(record, stored, target) })
  }
  const type: ProcessEventType | undefined = record.eventTypes.find((t) => t.name === req.eventType)
  if (type === undefined) return reject("undeclared_type")
  const issues = JsonSchema.validate(type.payloadSchema, req.payload)
  if (issues.length > 0) return reject("payload_invalid", issues)
  const terminal = type.semantics.terminal
  if (terminal !== undefined && req.replayKey === undefined) return reject("replay_key_required")
  if (isTerminal(record.status)) return reject("already_terminal")
  let status: ProcessStatus = record.status
  if (terminal !== undefined) {
    const decoded = Schema.decodeUnknownEither(ProcessAwaitOutput)(selectValue(terminal.awaitOutput, req.payload))
    if (Either.isLeft(decoded)) return reject("payload_invalid", [String(decoded.left)])
    status = { state: terminal.state, awaitOutput: decoded.right }
  }
  const sequence = p.lastSequence + 1
  const event: { -readonly [K in keyof ProcessEvent]: ProcessEvent[K] } = {
    processId: record.id,
    sequence,
    eventType: req.eventType,
    payload: req.payload,
    occurredAtMs: p.nowMs
  }
  if (req.replayKey !== undefined) event.replayKey = req.replayKey
  const wake = type.semantics.wake
  if (wake !== undefined) {
    const dedupeKey = wake.dedupeKey.type === "event_identity"
      ? `${record.id}:${sequence}`
      : wake.dedupeKey.type === "const"
      ? wake.dedupeKey.value
      : selectText(wake.dedupeKey.selector, req.payload)
    event.wake = { input: selectText(wake.input, req.payload), dedupeKey }
  }
  return Either.right({
    type: "new",
    event,
    wakeDelivery: wakeDeliveryFor(record, event, target),
    record: { ...record, status, updatedAtMs: p.nowMs }
  })
}

/**
 * The append request of a terminal write (replay key `process:<pid>:terminal:<type>`).
 *
 * @since 0.1.0
 */
export const terminalAppend = (processId: ProcessId, output: ProcessAwaitOutput): AppendEventRequest => {
  const eventType = terminalEventType(output)
  return {
    eventType,
    payload: { awaitOutput: Schema.encodeSync(ProcessAwaitOutput)(output) as Json },
    replayKey: `process:${processId}:terminal:${eventType}`
  }
}

/**
 * A new lease over a process whose stored fencing token is `storedFencing` (0 if never leased).
 *
 * @since 0.1.0
 */
export const newLease = (p: {
  readonly processId: ProcessId
  readonly ownerId: string
  readonly storedFencing: number
  readonly nowMs: number
  readonly ttlMs: number
}): ProcessLease => {
  const fencingToken = p.storedFencing + 1
  return {
    processId: p.processId,
    ownerId: p.ownerId,
    leaseToken: Ids.leaseToken(p.processId, p.ownerId, fencingToken),
    fencingToken,
    claimedAtMs: p.nowMs,
    expiresAtMs: p.nowMs + p.ttlMs
  }
}

/** The stored lease columns of a process row. @since 0.1.0 */
export interface StoredLease {
  readonly ownerId?: string
  readonly leaseToken?: string
  readonly fencingToken: number
  readonly expiresAtMs?: number
}

/** True when the stored lease columns hold a live lease. @since 0.1.0 */
export const leaseIsLive = (stored: StoredLease, nowMs: number): boolean =>
  stored.ownerId !== undefined && stored.expiresAtMs !== undefined && isLive(stored.expiresAtMs, nowMs)

/**
 * True when `lease` is the live lease stored in `stored`: same token and fencing token, and not expired.
 *
 * @since 0.1.0
 */
export const leaseMatches = (stored: StoredLease, lease: ProcessLease, nowMs: number): boolean =>
  leaseIsLive(stored, nowMs) && stored.leaseToken === lease.leaseToken && stored.fencingToken === lease.fencingToken

// ---------------------------------------------------------------------------------------------------------------
// Queued work
// ---------------------------------------------------------------------------------------------------------------

/**
 * The batch draft a wake delivery is enqueued as.
 *
 * @since 0.1.0
 */
export const processWakeBatchDraft = (delivery: ProcessWakeDelivery): QueuedWorkBatchDraft => ({
  sessionId: delivery.targetSessionId,
  sourceKey: Ids.wakeSourceKey(delivery.processId, delivery.sequence),
  deliveryPolicy: "earliest_safe_boundary",
  slotPolicy: "exclusive",
  mergeKey: { type: "payload_default" },
  availableAtMs: delivery.createdAtMs,
  payloads: [{ type: "process_wake", wake: delivery }]
})

/**
 * Builds a stored batch from a draft and its allocated `enqueueSeq`.
 *
 * @since 0.1.0
 */
export const newBatch = (draft: QueuedWorkBatchDraft, enqueueSeq: number, nowMs: number): QueuedWorkBatch => {
  const batchId = Ids.batchId(draft.sessionId, draft.sourceKey, enqueueSeq)
  const { payloads, ...meta } = draft
  return {
    ...meta,
    batchId,
    enqueueSeq,
    enqueuedAtMs: nowMs,
    items: payloads.map((payload, i) => ({ itemId: `${batchId}:item:${i}`, payload }))
  }
}

const mergeKeyOf = (batch: QueuedWorkBatch): string | undefined => {
  switch (batch.mergeKey.type) {
    case "never":
      return undefined
    case "group":
      return `group:${batch.mergeKey.key}`
    case "payload_default":
      return `payload:${batch.items[0]?.payload.type ?? ""}`
  }
}

/**
 * Picks the prefix of claimable batches a claim takes: `candidates` are the session's open, available batches not
 * under a live claim, in `enqueueSeq` order. At `active_turn_checkpoint` only `earliest_safe_boundary` heads are
 * claimable; an exclusive head is claimed alone; a join head takes the adjacent joins with equal policy and merge key.
 *
 * @since 0.1.0
 */
export const selectClaimPrefix = (
  candidates: ReadonlyArray<QueuedWorkBatch>,
  boundary: "idle" | "active_turn_checkpoint",
  maxBatches: number
): ReadonlyArray<QueuedWorkBatch> => {
  const head = candidates[0]
  if (head === undefined || maxBatches <= 0) return []
  if (boundary === "active_turn_checkpoint" && head.deliveryPolicy !== "earliest_safe_boundary") return []
  if (head.slotPolicy === "exclusive") return [head]
  const key = mergeKeyOf(head)
  const out: Array<QueuedWorkBatch> = [head]
  if (key === undefined) return out
  for (const next of candidates.slice(1)) {
    if (out.length >= maxBatches) break
    if (next.slotPolicy !== "join" || next.deliveryPolicy !== head.deliveryPolicy || mergeKeyOf(next) !== key) break
    out.push(next)
  }
  return out
}

/**
 * The claim over `batches` (already selected), fenced by the head row's stored claim fencing + 1.
 *
 * @since 0.1.0
 */
export const deriveClaim = (p: {
  readonly sessionId: SessionId
  readonly ownerId: string
  readonly batches: ReadonlyArray<QueuedWorkBatch>
  readonly headStoredFencing: number
  readonly nowMs: number
  readonly ttlMs: number
}): QueuedWorkClaim => {
  const head = p.batches[0]!
  const fencingToken = p.headStoredFencing + 1
  const claimId: ClaimId = Ids.claimId(head.enqueueSeq, fencingToken)
  return {
    sessionId: p.sessionId,
    claimId,
    ownerId: p.ownerId,
    leaseToken: Ids.claimLeaseToken(p.sessionId, claimId, p.ownerId, fencingToken),
    fencingToken,
    claimedAtMs: p.nowMs,
    expiresAtMs: p.nowMs + p.ttlMs,
    batches: p.batches
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commit
// ---------------------------------------------------------------------------------------------------------------

/** What a backend reads for the commit checks; each reader runs inside the backend's write unit. @since 0.1.0 */
export interface CommitReader<E, R> {
  /** The stored head revision, `None` when the session was never created. */
  readonly headRevision: Effect.Effect<Option.Option<number>, E, R>
  /** The session id a single-session handle is bound to (first-party backends are multi-session: omit it). */
  readonly boundSessionId?: string
  /** The stored stamp of `(sessionId, turnId)`. */
  readonly stamp: (
    turnId: string
  ) => Effect.Effect<Option.Option<{ readonly hash: string; readonly result: RuntimeCommitResult }>, E, R>
  /** True when `(claimId, leaseToken)` still owns every batch id of the completion (open, in this session). */
  readonly claimOwnsAll: (completion: CompletedClaim) => Effect.Effect<boolean, E, R>
}

/** The outcome of {@link checkCommit}. @since 0.1.0 */
export type CommitDecision =
  | { readonly type: "replay"; readonly result: RuntimeCommitResult }
  | { readonly type: "write"; readonly newRevision: number }

/**
 * Runs the commit checks in their binding order: session binding → stamp dedupe → head CAS → claim fencing.
 * A stamp with the same hash returns the stored result without checking the rest.
 *
 * @since 0.1.0
 */
export const checkCommit = <E, R>(
  commit: RuntimeCommit,
  reader: CommitReader<E, R>
): Effect.Effect<CommitDecision, E | CommitError, R> =>
  Effect.gen(function*() {
    const head = yield* reader.headRevision
    if (Option.isNone(head)) return yield* Effect.fail(new SessionNotFound({ sessionId: commit.sessionId }))
    if (reader.boundSessionId !== undefined && reader.boundSessionId !== commit.sessionId) {
      return yield* Effect.fail(
        new SessionBindingMismatch({ sessionId: commit.sessionId, storedSessionId: reader.boundSessionId })
      )
    }
    if (commit.turnStamp !== undefined) {
      const stamp = yield* reader.stamp(commit.turnStamp.turnId)
      if (Option.isSome(stamp)) {
        if (stamp.value.hash === commit.turnStamp.hash) return { type: "replay", result: stamp.value.result } as const
        return yield* Effect.fail(
          new TurnCommitConflict({ sessionId: commit.sessionId, turnId: commit.turnStamp.turnId })
        )
      }
    }
    if (head.value !== commit.expectedHeadRevision) {
      return yield* Effect.fail(
        new HeadRevisionConflict({
          sessionId: commit.sessionId,
          expected: commit.expectedHeadRevision,
          actual: head.value
        })
      )
    }
    for (const completion of commit.completedClaims) {
      if (!(yield* reader.claimOwnsAll(completion))) {
        return yield* Effect.fail(
          new QueuedWorkClaimExpired({ sessionId: commit.sessionId, claimId: completion.claimId })
        )
      }
    }
    return { type: "write", newRevision: head.value + 1 } as const
  })

// ---------------------------------------------------------------------------------------------------------------
// Row encoding
// ---------------------------------------------------------------------------------------------------------------

/** The record version every JSON column is written with; a higher stored version is refused. @since 0.1.0 */
export const RECORD_VERSION = 1

/**
 * Encodes a domain value as the canonical JSON text a backend stores.
 *
 * @since 0.1.0
 */
export const encodeRecord = <A, I>(schema: Schema.Schema<A, I>, value: A): string =>
  Canonical.canonicalJsonUnsafe(Schema.encodeSync(schema)(value))

/**
 * Decodes a stored row; any failure (bad JSON, schema mismatch, a newer record version) is a `CorruptRecord` naming
 * the port and the row key.
 *
 * @since 0.1.0
 */
export const decodeRecord = <A, I>(
  schema: Schema.Schema<A, I>,
  port: string,
  key: string,
  text: string,
  recordVersion: number = RECORD_VERSION
): Either.Either<A, CorruptRecord> => {
  if (recordVersion > RECORD_VERSION) {
    return Either.left(new CorruptRecord({ port, key, issue: `unsupported record version ${recordVersion}` }))
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return Either.left(new CorruptRecord({ port, key, issue: `invalid JSON: ${(e as Error).message}` }))
  }
  return Either.mapLeft(
    Schema.decodeUnknownEither(schema)(parsed),
    (issue) => new CorruptRecord({ port, key, issue: ParseResult.TreeFormatter.formatErrorSync(issue) })
  )
}

/**
 * {@link decodeRecord} as an Effect, for backends that read rows inside Effect code.
 *
 * @since 0.1.0
 */
export const decodeRecordEffect = <A, I>(
  schema: Schema.Schema<A, I>,
  port: string,
  key: string,
  text: string,
  recordVersion: number = RECORD_VERSION
): Effect.Effect<A, CorruptRecord> =>
  Either.match(decodeRecord(schema, port, key, text, recordVersion), { onLeft: Effect.fail, onRight: Effect.succeed })

/**
 * The stored form of a handle-grant descriptor (ProcessRegistry `grantHandle`).
 *
 * @since 0.1.0
 */
export const HandleDescriptorRecord = Schema.Struct({
  kind: Schema.optionalWith(Schema.String, { exact: true }),
  label: Schema.optionalWith(Schema.String, { exact: true })
})
