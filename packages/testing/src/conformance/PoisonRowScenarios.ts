/**
 * Poison-row scenarios (packages/testing/README.md, "Poison rows"; docs/architecture.md, "Poison rows"): a process
 * row that does not decode is quarantined under its lease and never claimed again; listings return what they can
 * read and name what they cannot (processes, subscriptions, queued batches); a reservation whose subscription does not
 * decode is named while the others are reserved; a queued batch that does not decode is set aside and the later batches are claimed. Each needs the
 * backend's row-tampering hook (`StorageUnderTest.tampering`) and is n/a without it.
 *
 * @since 0.1.0
 */
import { ProcessRegistry, type RowTampering, SessionStore, TriggerStore } from "@lash/core"
import { Context, Effect, Option } from "effect"
import { batchDraft, button, buttonKey, createRequest, pid, reg, sid, triggerDraft } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)

/** The backend's tampering hook on the scenario's first handle (the suites run these only when there is one). */
const tamper = (ctx: ScenarioContext): RowTampering => ctx.backend.tampering!(ctx.handle)

/** What a corrupt process row is overwritten with: valid JSON, not a process record. */
const NOT_A_RECORD = JSON.stringify({ id: "poison", status: "banana" })

/** The poison-row scenarios. @since 0.1.0 */
export const poisonRowScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-POISON-1",
    suite: "ProcessRegistry",
    title: "a leased row that does not decode is quarantined: terminal, its reason in an event, never claimed again",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("poison-bad"))
        yield* r.register(reg("poison-fine"))
        const lease = yield* r.claimLease(pid("poison-bad"), "worker-a", 60_000)
        const fine = yield* r.claimLease(pid("poison-fine"), "worker-a", 60_000)
        yield* tamper(ctx).corrupt("processes", "poison-bad", NOT_A_RECORD)

        const none = yield* r.quarantine(fine)
        yield* ctx.invariant("quarantine of a row that decodes writes nothing", Option.isNone(none), "None", none)
        const named = yield* r.quarantine(lease)
        yield* ctx.invariant(
          "quarantine answers the CorruptRecord naming the row",
          Option.isSome(named) && named.value.key === "process:poison-bad" && named.value.port === "ProcessRegistry",
          { key: "process:poison-bad", port: "ProcessRegistry" },
          named
        )
        const events = yield* r.eventsAfter(pid("poison-bad"), 0)
        const payload = events[0]?.payload as { readonly key?: unknown; readonly issue?: unknown } | undefined
        yield* ctx.invariant(
          "one process.quarantined event names the row and what failed to decode",
          events.length === 1 && events[0]!.eventType === "process.quarantined" &&
            payload?.key === "process:poison-bad" && typeof payload.issue === "string",
          [{ eventType: "process.quarantined", payload: { key: "process:poison-bad", issue: "<string>" } }],
          events
        )
        yield* ctx.expectFailure(
          "the quarantine released the lease: a second quarantine with it is refused",
          r.quarantine(lease),
          "LeaseLost"
        )
        const claimed = yield* r.claimRunnable({ ownerId: "worker-b", ttlMs: 60_000, limit: 10 })
        yield* ctx.invariant("no claim selects the quarantined row", claimed.length === 0, [], claimed)
        const nonTerminal = yield* r.listNonTerminalIds()
        yield* ctx.invariant(
          "the quarantined row is terminal",
          !nonTerminal.includes(pid("poison-bad")),
          ["poison-fine"],
          nonTerminal
        )
        yield* ctx.expectFailure(
          "await on the quarantined row fails with CorruptRecord",
          r.awaitProcess(pid("poison-bad")),
          "CorruptRecord"
        )
        const seen = yield* ctx.closed((h) => Context.get(h, ProcessRegistry).listing({ status: "terminal" }))
        yield* ctx.invariant(
          "another handle lists it as unreadable and quarantined",
          seen.unreadable.length === 1 && seen.unreadable[0]!.processId === "poison-bad" &&
            seen.unreadable[0]!.quarantined,
          [{ processId: "poison-bad", quarantined: true }],
          seen.unreadable
        )
      })
  },
  {
    id: "X-POISON-2",
    suite: "ProcessRegistry",
    title: "a listing returns the rows it can read and names the rows it cannot",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        for (const id of ["list-a", "list-b", "list-c"]) yield* r.register(reg(id, { originator: "owner" }))
        yield* r.completeAsHost(pid("list-c"), { type: "success", value: 1 })
        yield* tamper(ctx).corrupt("processes", "list-b", "{not json")
        const all = yield* r.listing({})
        yield* ctx.invariant(
          "the readable rows, ascending id",
          all.processes.map((p) => p.id).join(",") === "list-a,list-c",
          ["list-a", "list-c"],
          all.processes.map((p) => p.id)
        )
        yield* ctx.invariant(
          "the unreadable row named by id, port, key and reason; not quarantined (running)",
          all.unreadable.length === 1 && all.unreadable[0]!.processId === "list-b" &&
            all.unreadable[0]!.key === "process:list-b" && all.unreadable[0]!.port === "ProcessRegistry" &&
            all.unreadable[0]!.issue.length > 0 && !all.unreadable[0]!.quarantined,
          [{ processId: "list-b", key: "process:list-b", port: "ProcessRegistry", quarantined: false }],
          all.unreadable
        )
        const running = yield* r.listing({ status: "running" })
        const terminal = yield* r.listing({ status: "terminal" })
        const bySession = yield* r.listing({ originatorSessionId: sid("owner") })
        yield* ctx.invariant(
          "a status filter applies by the stored state; a session filter cannot be checked, so it is named",
          running.unreadable.length === 1 && terminal.unreadable.length === 0 && bySession.unreadable.length === 1,
          { running: 1, terminal: 0, bySession: 1 },
          {
            running: running.unreadable.length,
            terminal: terminal.unreadable.length,
            bySession: bySession.unreadable.length
          }
        )
        const list = yield* r.list({})
        yield* ctx.invariant(
          "list is the listing's readable rows",
          list.map((p) => p.id).join(",") === "list-a,list-c",
          ["list-a", "list-c"],
          list.map((p) => p.id)
        )
      })
  },
  {
    id: "X-POISON-3",
    suite: "TriggerStore",
    title: "a reservation whose subscription does not decode is named; the others are reserved",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const t = Context.get(ctx.handle, TriggerStore)
        const a = yield* t.register(triggerDraft("session-a", buttonKey, "alpha"))
        const b = yield* t.register(triggerDraft("session-b", buttonKey, "beta"))
        const c = yield* t.register(triggerDraft("session-c", buttonKey, "gamma"))
        yield* tamper(ctx).corrupt("subscriptions", b.subscriptionId, "{}")
        const occurrence = yield* t.recordOccurrence(button(buttonKey, "poison-1"))
        const report = yield* t.reserveDeliveriesReport(occurrence.occurrenceId)
        yield* ctx.invariant(
          "the readable subscriptions of the other sessions are reserved",
          report.reserved.map((r) => r.subscription.subscriptionId).join(",") ===
            [a.subscriptionId, c.subscriptionId].join(","),
          [a.subscriptionId, c.subscriptionId],
          report.reserved.map((r) => r.subscription.subscriptionId)
        )
        yield* ctx.invariant(
          "the unreadable one is named with its subscription, process id and row key",
          report.unreadable.length === 1 && report.unreadable[0]!.subscriptionId === b.subscriptionId &&
            report.unreadable[0]!.key === `subscription:${b.subscriptionId}` &&
            report.unreadable[0]!.processId.length > 0,
          [{ subscriptionId: b.subscriptionId, key: `subscription:${b.subscriptionId}` }],
          report.unreadable
        )
        const plain = yield* t.reserveDeliveries(occurrence.occurrenceId)
        yield* ctx.invariant(
          "reserveDeliveries is the report's readable reservations",
          plain.length === 2,
          2,
          plain.length
        )
      })
  },
  {
    id: "X-POISON-5",
    suite: "TriggerStore",
    title: "a subscription listing returns the records it can read and names the matching rows it cannot",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const t = Context.get(ctx.handle, TriggerStore)
        const a = yield* t.register(triggerDraft("session-a", buttonKey, "alpha"))
        const b = yield* t.register(triggerDraft("session-b", buttonKey, "beta"))
        yield* t.register(triggerDraft("session-c", buttonKey, "gamma"))
        yield* tamper(ctx).corrupt("subscriptions", b.subscriptionId, "{}")
        const all = yield* t.listing({})
        yield* ctx.invariant(
          "the readable records, and the unreadable row named by handle, id, key and reason",
          all.subscriptions.length === 2 && all.unreadable.length === 1 &&
            all.unreadable[0]!.handle === b.handle && all.unreadable[0]!.subscriptionId === b.subscriptionId &&
            all.unreadable[0]!.key === `subscription:${b.subscriptionId}` && all.unreadable[0]!.issue.length > 0,
          { subscriptions: 2, unreadable: [{ handle: b.handle, key: `subscription:${b.subscriptionId}` }] },
          { subscriptions: all.subscriptions.length, unreadable: all.unreadable }
        )
        const ofB = yield* t.listing({ sessionId: sid("session-b") })
        const ofA = yield* t.listing({ sessionId: sid("session-a") })
        yield* ctx.invariant(
          "the filter applies to the unreadable row's stored columns",
          ofB.subscriptions.length === 0 && ofB.unreadable.length === 1 && ofA.unreadable.length === 0 &&
            ofA.subscriptions.map((x) => x.handle).join(",") === a.handle,
          { ofB: { subscriptions: 0, unreadable: 1 }, ofA: { subscriptions: [a.handle], unreadable: 0 } },
          {
            ofB: { subscriptions: ofB.subscriptions.length, unreadable: ofB.unreadable.length },
            ofA: { subscriptions: ofA.subscriptions.map((x) => x.handle), unreadable: ofA.unreadable.length }
          }
        )
        const list = yield* t.list({})
        yield* ctx.invariant("list is the listing's readable records", list.length === 2, 2, list.length)
      })
  },
  {
    id: "X-POISON-6",
    suite: "RuntimePersistence",
    title: "a queued listing returns the batches it can read and names the rows it cannot, set aside or not",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("poison-list"))
        const first = yield* s.enqueue(batchDraft("poison-list", "first", "k1", { slot: "exclusive" }))
        const bad = yield* s.enqueue(batchDraft("poison-list", "second", "k2", { slot: "exclusive" }))
        const third = yield* s.enqueue(batchDraft("poison-list", "third", "k3", { slot: "exclusive" }))
        yield* tamper(ctx).corrupt("batches", bad.batchId, "{not json")
        const key = `session:poison-list/batch:${bad.batchId}`
        const listed = yield* s.queuedListing(sid("poison-list"))
        yield* ctx.invariant(
          "the readable batches in enqueue order, and the unreadable row named by batch, key and reason",
          listed.batches.map((b) => b.batchId).join(",") === [first.batchId, third.batchId].join(",") &&
            listed.unreadable.length === 1 && listed.unreadable[0]!.batchId === bad.batchId &&
            listed.unreadable[0]!.key === key && listed.unreadable[0]!.enqueueSeq === bad.enqueueSeq &&
            listed.unreadable[0]!.sourceKey === "k2" && listed.unreadable[0]!.issue.length > 0 &&
            !listed.unreadable[0]!.setAside,
          { batches: [first.batchId, third.batchId], unreadable: [{ batchId: bad.batchId, key, setAside: false }] },
          { batches: listed.batches.map((b) => b.batchId), unreadable: listed.unreadable }
        )
        const plain = yield* s.listQueued(sid("poison-list"))
        yield* ctx.invariant(
          "listQueued is the listing's readable batches",
          plain.map((b) => b.batchId).join(",") === [first.batchId, third.batchId].join(","),
          [first.batchId, third.batchId],
          plain.map((b) => b.batchId)
        )
        const claim = yield* s.claimReady({
          sessionId: sid("poison-list"),
          ownerId: "drain-a",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 4
        })
        yield* s.abandonClaim(Option.getOrThrow(claim))
        const seen = yield* ctx.closed((h) => Context.get(h, SessionStore).queuedListing(sid("poison-list")))
        yield* ctx.invariant(
          "after a claim met it, another handle names it as set aside, still open",
          seen.unreadable.length === 1 && seen.unreadable[0]!.batchId === bad.batchId && seen.unreadable[0]!.setAside &&
            seen.batches.length === 2,
          { batches: 2, unreadable: [{ batchId: bad.batchId, setAside: true }] },
          { batches: seen.batches.length, unreadable: seen.unreadable }
        )
      })
  },
  {
    id: "X-POISON-4",
    suite: "RuntimePersistence",
    title: "a queued batch that does not decode is set aside by the claim; later batches of the session are claimed",
    clock: "test",
    needs: ["tampering"],
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("poison-q"))
        yield* s.create(createRequest("poison-only"))
        const bad = yield* s.enqueue(batchDraft("poison-q", "first", "k1", { slot: "exclusive" }))
        const later = yield* s.enqueue(batchDraft("poison-q", "second", "k2", { slot: "exclusive" }))
        yield* tamper(ctx).corrupt("batches", bad.batchId, JSON.stringify({ batchId: bad.batchId }))
        const claim = yield* s.claimReady({
          sessionId: sid("poison-q"),
          ownerId: "drain-a",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 4
        })
        const claimed = Option.map(claim, (c) => c.batches.map((b) => b.batchId))
        yield* ctx.invariant(
          "the later batch is claimed as if the bad one were not there",
          Option.isSome(claimed) && claimed.value.join(",") === later.batchId,
          [later.batchId],
          claimed
        )
        yield* s.abandonClaim(Option.getOrThrow(claim))
        const sessions = yield* s.listSessionsWithPendingWork()
        const again = yield* s.claimReady({
          sessionId: sid("poison-q"),
          ownerId: "drain-b",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 4
        })
        yield* ctx.invariant(
          "set aside for good: the next claim takes only the later batch again",
          Option.isSome(again) && again.value.batches.map((b) => b.batchId).join(",") === later.batchId,
          [later.batchId],
          Option.map(again, (c) => c.batches.map((b) => b.batchId))
        )
        const only = yield* s.enqueue(batchDraft("poison-only", "alone", "k1"))
        yield* tamper(ctx).corrupt("batches", only.batchId, "[")
        const none = yield* s.claimReady({
          sessionId: sid("poison-only"),
          ownerId: "drain-c",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 4
        })
        const after = yield* s.listSessionsWithPendingWork()
        yield* ctx.invariant(
          "a session whose only batch was set aside has no pending work (the other still has its later batch)",
          Option.isNone(none) && !after.includes(sid("poison-only")) && sessions.includes(sid("poison-q")),
          { claim: null, pending: ["poison-q"] },
          { claim: none, pending: after }
        )
      })
  }
]
