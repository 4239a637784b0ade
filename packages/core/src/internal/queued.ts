/**
 * Queued work: appending process events (with their wake enqueue and inline drain) and draining a session's queue
 * into committed turns (docs/architecture.md, "Wakes and queued work").
 *
 * @internal
 */
import { Duration, Effect, Option, Schedule } from "effect"
import type { ProcessEventRejected, ProcessNotFound, StoreError } from "../Errors.js"
import type { ProcessId, SessionId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { AppendEventRequest, ProcessEvent, ProcessWakeDelivery } from "../Process.js"
import type { QueuedWorkClaim } from "../QueuedWork.js"
import * as WakeDelivery from "../storage/WakeDelivery.js"
import type { TurnInput } from "../Turn.js"
import type { Protocol } from "./protocol.js"
import type { CoreRuntime } from "./runtime.js"
import { openRuntime, runTurn, type TurnCause } from "./session.js"
import * as Telemetry from "./telemetry.js"

/** The Event message text of a wake. */
export const wakeText = (wake: ProcessWakeDelivery): string =>
  `Background process wake\nProcess: ${wake.processId}\nEvent: ${wake.eventType} #${wake.sequence}\nWake input:\n${wake.input}`

const causesOf = (claim: QueuedWorkClaim): { readonly input: TurnInput; readonly causes: ReadonlyArray<TurnCause> } => {
  const texts: Array<string> = []
  const causes: Array<TurnCause> = []
  for (const batch of claim.batches) {
    for (const item of batch.items) {
      const payload = item.payload
      if (payload.type === "turn_input") {
        for (const i of payload.input.items) if (i.type === "text") texts.push(i.text)
      } else if (payload.type === "process_wake") {
        const wake = payload.wake
        causes.push({
          message: {
            id: wake.wakeId,
            role: "event",
            text: wakeText(wake),
            origin: {
              kind: "process",
              processId: wake.processId,
              eventType: wake.eventType,
              sequence: wake.sequence,
              wakeId: wake.wakeId,
              ...(wake.processCausedBy === undefined ? {} : { causedBy: wake.processCausedBy })
            }
          },
          causedBy: { type: "process_event", processId: wake.processId, sequence: wake.sequence }
        })
      }
    }
  }
  return { input: { items: texts.map((text) => ({ type: "text" as const, text })) }, causes }
}

/** The queued-work driver of one core. */
export interface QueuedDriver {
  /** Drains the session's queue until it is empty (takes the session lock per turn). */
  readonly drain: (sessionId: SessionId, reason: string) => Effect.Effect<void>
  /** Drains inline if the session lock is free in this core; otherwise returns at once. */
  readonly drainNow: (sessionId: SessionId, reason: string) => Effect.Effect<void>
  /** Appends a process event, enqueues its wake (idempotent) and drains the target inline when possible. */
  readonly appendProcessEvent: (
    processId: ProcessId,
    req: AppendEventRequest
  ) => Effect.Effect<ProcessEvent, StoreError | ProcessNotFound | ProcessEventRejected>
}

/** Builds the queued-work driver. */
export const makeQueuedDriver = (core: CoreRuntime, protocol: Protocol): QueuedDriver => {
  /**
   * One claim → one turn; the caller holds the session lock, so claims commit in queue order. Answers the batches
   * the turn ran (0: nothing was ready).
   */
  const drainOnce = (sessionId: SessionId): Effect.Effect<number, unknown> =>
    Effect.gen(function*() {
      const rt = yield* openRuntime(core, sessionId, { create: false, purpose: "queued_drain" })
      const ownerId = `drain:${core.instanceId}:${yield* core.nextId("drain")}`
      const claimed = yield* core.store.claimReady({
        sessionId,
        ownerId,
        boundary: "idle",
        ttlMs: core.cfg.queuedWork.claimTtlMs,
        maxBatches: 64
      })
      if (Option.isNone(claimed)) return 0
      const claim = claimed.value
      const turnId = `queued:${claim.batches[0]!.batchId}`
      const { input, causes } = causesOf(claim)
      const renew = core.store.renewClaim(claim, core.cfg.queuedWork.claimTtlMs).pipe(
        Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(core.cfg.queuedWork.claimTtlMs / 3))))),
        Effect.ignore
      )
      const turn = runTurn(core, rt, protocol, {
        input,
        turnId,
        causes,
        completedClaims: [{
          claimId: claim.claimId,
          leaseToken: claim.leaseToken,
          batchIds: claim.batches.map((b) => b.batchId)
        }],
        scope: { type: "queue_drain", sessionId, drainId: turnId },
        lockHeld: true
      })
      // The claim is renewed every claimTtl/3 while the turn runs; the renew fiber ends with the drain's scope.
      yield* Effect.scoped(Effect.zipRight(Effect.forkScoped(renew), turn)).pipe(
        Effect.tapError(() => core.store.abandonClaim(claim).pipe(Effect.ignore))
      )
      return claim.batches.length
    })

  const drainLoop = (
    sessionId: SessionId,
    reason: string,
    withLock: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
  ): Effect.Effect<void> =>
    Effect.gen(function*() {
      let retried = false
      let turns = 0
      let batches = 0
      while (true) {
        const result = yield* Effect.either(withLock(drainOnce(sessionId)))
        if (result._tag === "Right") {
          if (result.right === 0) return
          turns += 1
          batches += result.right
          yield* Telemetry.queuedDrained(turns, batches)
          continue
        }
        const error = result.left as { readonly _tag?: string }
        if (error._tag === "SessionNotFound") {
          yield* Effect.logWarning(`queued work for unknown session ${sessionId} dropped`)
          return
        }
        if (!retried && (error._tag === "HeadRevisionConflict" || error._tag === "QueuedWorkClaimExpired")) {
          retried = true
          continue
        }
        yield* Effect.logWarning(`queued drain of ${sessionId} (${reason}) failed; left for the next poke`, result.left)
        return
      }
    }).pipe(Effect.annotateLogs({ sessionId }), Telemetry.queuedDrainSpan(sessionId, reason))

  const drain = (sessionId: SessionId, reason: string) =>
    drainLoop(sessionId, reason, (effect) => core.withSessionLock(sessionId, effect))
  const drainNow = (sessionId: SessionId, reason: string) =>
    Effect.asVoid(core.tryWithSessionLock(sessionId, drainLoop(sessionId, reason, (effect) => effect)))

  /**
   * A registry with `atomicWakeEnqueue` enqueued the wake in the append's own unit (one write unit per wake); only a
   * registry without it needs the second, idempotent enqueue here.
   */
  const enqueueWake = (delivery: ProcessWakeDelivery): Effect.Effect<boolean, StoreError> =>
    core.registry.atomicWakeEnqueue
      ? Effect.succeed(true)
      : core.store.enqueue(WakeDelivery.batchDraft(delivery)).pipe(
        Effect.as(true),
        Effect.catchTag("SessionNotFound", () =>
          Effect.as(
            Effect.logWarning(`wake ${delivery.wakeId} for unknown session ${delivery.targetSessionId} dropped`),
            false
          ))
      )

  const appendProcessEvent: QueuedDriver["appendProcessEvent"] = (processId, req) =>
    Effect.gen(function*() {
      const { event, wakeDelivery } = yield* core.registry.appendEvent(processId, req)
      if (Option.isSome(wakeDelivery) && (yield* enqueueWake(wakeDelivery.value))) {
        yield* drainNow(wakeDelivery.value.targetSessionId, "process_wake")
      }
      return event
    })

  return { drain, drainNow, appendProcessEvent }
}

/** A JSON payload `{ value, text }` of a Lashlang process event. */
export const valueTextPayload = (value: Json, text: string): Json => ({ value, text })
