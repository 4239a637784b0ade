/**
 * TriggerStore scenarios: registration idempotency and conflicts, scoped cancel, occurrences, reservations up to the
 * high-water mark, unstarted deliveries and session isolation (packages/testing/README.md, "TriggerStore").
 *
 * @since 0.1.0
 */
import {
  Ids,
  type ProcessId,
  ProcessRegistry,
  ReplayKeys,
  type SessionId,
  type TriggerDeliveryReservation,
  TriggerStore
} from "@lash/core"
import { Context, Effect, TestClock } from "effect"
import { button, BUTTON_SOURCE, buttonKey, reg, same, scope, triggerDraft } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const triggers = (ctx: ScenarioContext) => Context.get(ctx.handle, TriggerStore)

/** The TriggerStore scenarios. @since 0.1.0 */
export const triggerScenarios: ReadonlyArray<Scenario> = [
  {
    id: "TS-01",
    suite: "TriggerStore",
    title: "declared tier",
    clock: "test",
    run: (ctx) =>
      ctx.invariant(
        "the trigger store reports the declared tier",
        triggers(ctx).tier === ctx.tier,
        ctx.tier,
        triggers(ctx).tier
      )
  },
  {
    id: "TS-02",
    suite: "TriggerStore",
    title: "registration is idempotent on (registrant scope, registrationKey); a changed draft conflicts",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const a = yield* t.register(triggerDraft("session-a", buttonKey, "first", "reg:shared"))
        const b = yield* t.register(triggerDraft("session-a", buttonKey, "first", "reg:shared"))
        yield* ctx.invariant(
          "the same draft returns the same record",
          a.subscriptionId === b.subscriptionId && a.handle === b.handle,
          a.handle,
          b.handle
        )
        const other = yield* t.register(triggerDraft("session-b", buttonKey, "first", "reg:shared"))
        yield* ctx.invariant(
          "another registrant gets its own record",
          other.subscriptionId !== a.subscriptionId,
          "a new subscription",
          other.subscriptionId
        )
        const conflict = yield* ctx.expectFailure(
          "a changed draft under a used key conflicts",
          t.register(triggerDraft("session-a", buttonKey, "renamed", "reg:shared")),
          "TriggerRegistrationConflict"
        )
        const c = conflict as unknown as { readonly registrantScopeId: string; readonly registrationKey: string }
        yield* ctx.invariant(
          "the conflict names scope and key",
          c.registrantScopeId === "session:session-a" && c.registrationKey === "reg:shared",
          ["session:session-a", "reg:shared"],
          [c.registrantScopeId, c.registrationKey]
        )
        const listed = yield* t.list({ sessionId: "session-a" as SessionId })
        yield* ctx.invariant(
          "the first record is unchanged",
          listed.length === 1 && listed[0]!.name === "first",
          "first",
          listed.map((r) => r.name)
        )
      })
  },
  {
    id: "TS-03",
    suite: "TriggerStore",
    title: "register, list, cancel (cancel is scoped by session and only disables)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const first = yield* t.register(triggerDraft("session-a", buttonKey, "first"))
        const second = yield* t.register(triggerDraft("session-b", buttonKey, "second"))
        yield* ctx.invariant("handles differ", first.handle !== second.handle, "distinct", [
          first.handle,
          second.handle
        ])
        const byKey = yield* t.list({ sourceType: BUTTON_SOURCE, sourceKey: buttonKey, enabled: true })
        yield* ctx.invariant(
          "both are listed by source, registrant order",
          same(byKey.map((r) => r.name), ["first", "second"]),
          ["first", "second"],
          byKey.map((r) => r.name)
        )
        const foreign = yield* t.cancel("session-b" as SessionId, first.handle)
        yield* ctx.invariant("another session cannot cancel", !foreign, false, foreign)
        const own = yield* t.cancel("session-a" as SessionId, first.handle)
        const again = yield* t.cancel("session-a" as SessionId, first.handle)
        yield* ctx.invariant("cancel is true once, then false", own && !again, [true, false], [own, again])
        const kept = yield* t.list({ sessionId: "session-a" as SessionId, handle: first.handle })
        yield* ctx.invariant(
          "cancel disables and never deletes",
          kept.length === 1 && kept[0]!.enabled === false,
          "enabled: false",
          kept.map((r) => r.enabled)
        )
      })
  },
  {
    id: "TS-03b",
    suite: "TriggerStore",
    title: "cancel by a process: only the host registrations made at its own Lashlang sites",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        // Host registrations as a process run makes them: keyed `process:<pid>:<nodeId>:<occurrence>`.
        const hostDraft = (name: string, processId: string) => ({
          ...triggerDraft(
            "session-a",
            buttonKey,
            name,
            ReplayKeys.lashlangSite(
              ReplayKeys.processRun(processId),
              "trigger_register:0123456789abcdef01234567",
              0
            )
          ),
          registrant: { type: "host" as const }
        })
        const job = yield* t.register(hostDraft("job's", "job"))
        const extended = yield* t.register(hostDraft("job:2's", "job:2"))
        const session = yield* t.register(triggerDraft("session-a", buttonKey, "session's"))
        const byOther = yield* t.cancel({ processId: "other" as ProcessId }, job.handle)
        const byExtended = yield* t.cancel({ processId: "job:2" as ProcessId }, job.handle)
        const bySession = yield* t.cancel("session-a" as SessionId, job.handle)
        yield* ctx.invariant(
          "another process (even one whose id extends it) and a session cannot cancel it",
          !byOther && !byExtended && !bySession,
          [false, false, false],
          [byOther, byExtended, bySession]
        )
        const sessionByJob = yield* t.cancel({ processId: "job" as ProcessId }, session.handle)
        yield* ctx.invariant("a process cannot cancel a session's registration", !sessionByJob, false, sessionByJob)
        const own = yield* t.cancel({ processId: "job" as ProcessId }, job.handle)
        const again = yield* t.cancel({ processId: "job" as ProcessId }, job.handle)
        const extendedOwn = yield* t.cancel({ processId: "job:2" as ProcessId }, extended.handle)
        yield* ctx.invariant(
          "its own cancel is true once, then false; the other process cancels its own",
          own && !again && extendedOwn,
          [true, false, true],
          [own, again, extendedOwn]
        )
        const enabled = yield* t.list({ enabled: true })
        yield* ctx.invariant(
          "only the session's registration stays enabled",
          same(enabled.map((r) => r.name), ["session's"]),
          ["session's"],
          enabled.map((r) => r.name)
        )
      })
  },
  {
    id: "TS-04",
    suite: "TriggerStore",
    title: "occurrences and reservations are idempotent",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const sub = yield* t.register(triggerDraft("session-a", buttonKey, "on_button"))
        const occ = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        const r1 = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "the first reserve is new, with the deterministic process id",
          r1.length === 1 && r1[0]!.isNew &&
            r1[0]!.processId === Ids.deliveryProcessId(occ.occurrenceId, sub.subscriptionId),
          "1 new reservation",
          r1.map((r) => [r.isNew, r.processId])
        )
        const r2 = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "a second reserve is not new",
          r2.length === 1 && !r2[0]!.isNew,
          "1 old reservation",
          r2.map((r) => r.isNew)
        )
        const again = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        yield* ctx.invariant(
          "re-recording returns the same occurrence",
          again.occurrenceId === occ.occurrenceId,
          occ.occurrenceId,
          again.occurrenceId
        )
        yield* t.cancel("session-a" as SessionId, sub.handle)
        const later = yield* t.recordOccurrence(button(buttonKey, "button-blue-2"))
        const none = yield* t.reserveDeliveries(later.occurrenceId)
        yield* ctx.invariant("a cancelled subscription gets nothing", none.length === 0, 0, none.length)
      })
  },
  {
    id: "TS-04b",
    suite: "TriggerStore",
    title: "an occurrence never reaches a later subscription",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        yield* t.register(triggerDraft("session-a", buttonKey, "early"))
        const occ = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        yield* t.register(triggerDraft("session-b", buttonKey, "late"))
        const r = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "only the earlier subscription is reserved",
          same(r.map((x) => x.subscription.name), ["early"]),
          ["early"],
          r.map((x) => x.subscription.name)
        )
        const replayed = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        const again = yield* t.reserveDeliveries(replayed.occurrenceId)
        yield* ctx.invariant(
          "re-recording the occurrence and reserving again still reaches only the earlier subscription",
          replayed.occurrenceId === occ.occurrenceId &&
            same(again.map((x) => [x.subscription.name, x.isNew]), [["early", false]]),
          [["early", false]],
          again.map((x) => [x.subscription.name, x.isNew])
        )
        const occ2 = yield* t.recordOccurrence(button(buttonKey, "button-blue-2"))
        const r2 = yield* t.reserveDeliveries(occ2.occurrenceId)
        yield* ctx.invariant(
          "a new occurrence reaches both, in ascending handle number",
          same(r2.map((x) => [x.subscription.name, x.isNew]), [["early", true], ["late", true]]) &&
            r2[0]!.subscription.handleNo < r2[1]!.subscription.handleNo,
          [["early", true], ["late", true]],
          r2.map((x) => [x.subscription.name, x.isNew, x.subscription.handleNo])
        )
      })
  },
  {
    id: "TS-05",
    suite: "TriggerStore",
    title: "unstarted deliveries after a crash between reserve and start",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const registry = Context.get(ctx.handle, ProcessRegistry)
        yield* t.register(triggerDraft("session-a", buttonKey, "on_button"))
        const o1 = yield* t.recordOccurrence(button(buttonKey, "button-blue-1"))
        const [d1] = yield* t.reserveDeliveries(o1.occurrenceId)
        yield* TestClock.adjust("1 millis")
        const o2 = yield* t.recordOccurrence(button(buttonKey, "button-blue-2"))
        const [d2] = yield* t.reserveDeliveries(o2.occurrenceId)
        const both = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "both are unstarted, oldest first",
          same(both.map((x) => x.reservation.processId), [d1!.processId, d2!.processId]),
          [d1!.processId, d2!.processId],
          both.map((x) => x.reservation.processId)
        )
        yield* registry.register(reg(d1!.processId))
        const rest = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "a started delivery leaves the list",
          same(rest.map((x) => x.reservation.processId), [d2!.processId]),
          [d2!.processId],
          rest.map((x) => x.reservation.processId)
        )
        yield* registry.register(reg(d2!.processId))
        const none = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "once both started, nothing is unstarted",
          none.length === 0,
          [],
          none.map((x) => x.reservation.processId)
        )
      })
  },
  {
    id: "TS-06",
    suite: "TriggerStore",
    title: "recordAndStart records, reserves and starts the new deliveries in one unit (optional)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const recordAndStart = t.recordAndStart
        if (recordAndStart === undefined) {
          return yield* ctx.invariant("the store records and starts in separate units", true, "absent", "absent")
        }
        const registry = Context.get(ctx.handle, ProcessRegistry)
        yield* t.register(triggerDraft("session-a", buttonKey, "first"))
        yield* t.register(triggerDraft("session-b", buttonKey, "second"))
        const asked: Array<string> = []
        // Starts the deliveries of session-a's subscription, leaves session-b's to the caller.
        const onlyFirst = (reservation: TriggerDeliveryReservation) => {
          asked.push(reservation.processId)
          return reservation.subscription.name !== "first" ? undefined : {
            registration: reg(reservation.processId, { wakeTarget: scope("session-a") }),
            grant: { scope: scope("session-a"), descriptor: { kind: "conformance", label: "first" } }
          }
        }
        const one = yield* recordAndStart(button(buttonKey, "start-1"), onlyFirst)
        const [first, second] = one.reserved
        yield* ctx.invariant(
          "both subscriptions are reserved, the planned one started",
          one.reserved.length === 2 && first!.subscription.name === "first" &&
            same(one.started.map((r) => r.id), [first!.processId]),
          [first?.processId],
          one.started.map((r) => r.id)
        )
        const recorded = yield* t.recordOccurrence(button(buttonKey, "start-1"))
        const started = yield* registry.get(first!.processId)
        const granted = yield* registry.hasHandleGrant(scope("session-a"), first!.processId)
        const unstarted = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "the occurrence, the process row and its grant are stored; the other delivery is unstarted",
          recorded.occurrenceId === one.occurrence.occurrenceId && started.id === first!.processId && granted &&
            same(unstarted.map((x) => x.reservation.processId), [second!.processId]),
          [second!.processId],
          { granted, unstarted: unstarted.map((x) => x.reservation.processId) }
        )
        asked.length = 0
        const all = (reservation: TriggerDeliveryReservation) => {
          asked.push(reservation.processId)
          return { registration: reg(reservation.processId) }
        }
        const again = yield* recordAndStart(button(buttonKey, "start-1"), all)
        yield* ctx.invariant(
          "a repeat plans and starts only the delivery without a process row",
          same(asked, [second!.processId]) && same(again.started.map((r) => r.id), [second!.processId]) &&
            same(again.reserved.map((r) => r.isNew), [false, false]),
          [second!.processId],
          { asked, started: again.started.map((r) => r.id) }
        )
        const invalid = (reservation: TriggerDeliveryReservation) => ({
          registration: { ...reg(reservation.processId), traceContext: { traceparent: "not a traceparent" } }
        })
        const rejected = yield* recordAndStart(button(buttonKey, "start-2"), invalid)
        const left = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "a registration the registry rejects writes nothing, and the occurrence and its reservations stay",
          rejected.started.length === 0 && rejected.reserved.length === 2 &&
            same(left.map((x) => x.reservation.processId), rejected.reserved.map((r) => r.processId)),
          rejected.reserved.map((r) => r.processId),
          left.map((x) => x.reservation.processId)
        )
        yield* ctx.expectFailure(
          "other content under a used idempotency key conflicts",
          recordAndStart({ ...button(buttonKey, "start-1"), payload: { button: "Red" } }, all),
          "TriggerIdempotencyConflict"
        )
      })
  },
  {
    id: "X-TRIG-1",
    suite: "TriggerStore",
    title: "a known idempotency key with a different payload conflicts",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const first = yield* t.recordOccurrence(button(buttonKey, "idem-1"))
        yield* ctx.expectFailure(
          "a changed payload under a used key conflicts",
          t.recordOccurrence({ ...button(buttonKey, "idem-1"), payload: { button: "Red" } }),
          "TriggerIdempotencyConflict"
        )
        const again = yield* t.recordOccurrence(button(buttonKey, "idem-1"))
        yield* ctx.invariant(
          "the stored occurrence is unchanged",
          again.contentHash === first.contentHash,
          first.contentHash,
          again.contentHash
        )
      })
  },
  {
    id: "X-ISO-1",
    suite: "TriggerStore",
    title: "session-scoped subscription queries see only their session, with every other filter",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const a = yield* t.register(triggerDraft("session-a", buttonKey, "shared", "reg:shared"))
        const b = yield* t.register(triggerDraft("session-b", buttonKey, "shared", "reg:shared"))
        const a2 = yield* t.register(triggerDraft("session-a", buttonKey, "second", "reg:second"))
        const sa = "session-a" as SessionId
        const names = (xs: ReadonlyArray<{ readonly handle: string }>) => xs.map((x) => x.handle)
        const seen = {
          session: names(yield* t.list({ sessionId: sa })),
          bySourceType: names(yield* t.list({ sessionId: sa, sourceType: BUTTON_SOURCE })),
          bySourceKey: names(yield* t.list({ sessionId: sa, sourceKey: buttonKey })),
          byName: names(yield* t.list({ sessionId: sa, name: "shared" })),
          enabled: names(yield* t.list({ sessionId: sa, enabled: true })),
          othersHandle: names(yield* t.list({ sessionId: sa, handle: b.handle }))
        }
        const expected = {
          session: [a.handle, a2.handle],
          bySourceType: [a.handle, a2.handle],
          bySourceKey: [a.handle, a2.handle],
          byName: [a.handle],
          enabled: [a.handle, a2.handle],
          othersHandle: []
        }
        yield* ctx.invariant(
          "list({ sessionId, ... }) returns only that session's subscriptions, whatever other filter is set",
          same(seen, expected),
          expected,
          seen
        )
        const foreign = yield* t.cancel("session-a" as SessionId, b.handle)
        const still = yield* t.list({ sessionId: "session-b" as SessionId })
        yield* ctx.invariant(
          "a session cannot cancel another session's subscription",
          !foreign && still.length === 1 && still[0]!.enabled,
          { cancelled: false, enabled: true },
          { cancelled: foreign, enabled: still.map((s) => s.enabled) }
        )
      })
  }
]
