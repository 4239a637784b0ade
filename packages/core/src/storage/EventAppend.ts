/**
 * The event-append decision, written once (docs/architecture.md, "Processes and leases"): a request with a stored
 * replay key replays (same `h([type, payload])`) or conflicts; otherwise the type must be declared, the payload valid,
 * a terminal type keyed and the process not terminal yet. A new event takes sequence `lastSequence + 1`, carries its
 * wake and moves the status projection.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import { Either, type Option, Schema } from "effect"
import { InvalidProcessRegistration, ProcessEventRejected } from "../Errors.js"
import { registrationHashOf } from "../internal/registrationHashes.js"
import type { Json } from "../Json.js"
import * as JsonSchema from "../JsonSchema.js"
import {
  type AppendEventRequest,
  coreEventTypes,
  ProcessAwaitOutput,
  type ProcessEvent,
  type ProcessRecord,
  type ProcessRegistration,
  type ProcessStatus,
  type ProcessWakeDelivery,
  terminalEventType,
  TraceContext
} from "../Process.js"
import { ReplayKeys } from "../ReplayKeys.js"

const isTraceContext = Schema.is(TraceContext)
import * as WakeDelivery from "./WakeDelivery.js"

/**
 * Checks the registry rules of a registration.
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
  // Checked here, not only when the row is read back: a bad traceparent would make the stored record corrupt.
  if (reg.traceContext !== undefined && !isTraceContext(reg.traceContext)) return fail("invalid_trace_context")
  return Either.void
}

/**
 * The record a new registration is stored as (running).
 *
 * @since 0.1.0
 */
export const newRecord = (reg: ProcessRegistration, nowMs: number): ProcessRecord => ({
  ...reg,
  registrationHash: registrationHashOf(reg),
  createdAtMs: nowMs,
  updatedAtMs: nowMs,
  status: { state: "running" }
})

/**
 * True when the status is terminal.
 *
 * @since 0.1.0
 */
export const isTerminal = (status: ProcessStatus): boolean => status.state !== "running"

const eventHash = (eventType: string, payload: Json): string => Canonical.sha256Hex([eventType, payload])

/** The outcome of {@link decide}. @since 0.1.0 */
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
 * Decides an append.
 *
 * @since 0.1.0
 */
export const decide = (p: {
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
  if (p.existing._tag === "Some") {
    const stored = p.existing.value
    if (eventHash(stored.eventType, stored.payload) !== eventHash(req.eventType, req.payload)) {
      return reject("replay_conflict")
    }
    return Either.right({
      type: "replay",
      event: stored,
      wakeDelivery: WakeDelivery.deliveryFor(record, stored, target)
    })
  }
  const type = record.eventTypes.find((t) => t.name === req.eventType)
  if (type === undefined) return reject("undeclared_type")
  const issues = JsonSchema.validate(type.payloadSchema, req.payload)
  if (issues.length > 0) return reject("payload_invalid", issues)
  const terminal = type.semantics.terminal
  if (terminal !== undefined && req.replayKey === undefined) return reject("replay_key_required")
  if (isTerminal(record.status)) return reject("already_terminal")
  let status: ProcessStatus = record.status
  if (terminal !== undefined) {
    const decoded = Schema.decodeUnknownEither(ProcessAwaitOutput)(
      WakeDelivery.selectValue(terminal.awaitOutput, req.payload)
    )
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
  const wake = WakeDelivery.wakeOf(type, record.id, sequence, req.payload)
  if (wake !== undefined) event.wake = wake
  return Either.right({
    type: "new",
    event,
    wakeDelivery: WakeDelivery.deliveryFor(record, event, target),
    record: { ...record, status, updatedAtMs: p.nowMs }
  })
}

/**
 * The append request of a terminal write (replay key `ReplayKeys.processTerminal`).
 *
 * @since 0.1.0
 */
export const terminalRequest = (processId: string, output: ProcessAwaitOutput): AppendEventRequest => {
  const eventType = terminalEventType(output)
  return {
    eventType,
    payload: { awaitOutput: Schema.encodeSync(ProcessAwaitOutput)(output) as Json },
    replayKey: ReplayKeys.processTerminal(processId, eventType)
  }
}
