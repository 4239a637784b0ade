/**
 * Poison rows on memory and SQLite (docs/architecture.md, "Poison rows"): a process row the worker cannot decode is
 * quarantined once (terminal, its reason in a `process.quarantined` event, named in listings, never claimed again)
 * while the other processes run; and a terminal write that fails with `StoreUnavailable` is written again under the
 * same lease, so a finished tool never runs twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Option, Ref } from "effect"
import {
  Ids,
  type LlmProvider,
  ProcessEnvStore,
  type ProcessId,
  ProcessRegistry,
  type ProcessRegistryService,
  type SessionId,
  SessionStore,
  StoreUnavailable,
  TriggerStore,
  TurnInput
} from "../../src/index.js"
import { buildCore, counterTool, emptyEnv, toolCallRegistration } from "../fixtures.js"
import { corruptibleBackends, eventually } from "./corruptBackends.js"

const pid = (s: string) => s as ProcessId
const provider = TestProvider.builder().build()
const echo: LlmProvider = {
  kind: "echo",
  complete: () => Effect.succeed({ text: "ok", toolCalls: [], usage: { input: 1, output: 1 } })
}
/** A keyed batch of one turn input for `sessionId`, enqueued through the store (no core pokes a drain). */
const turnBatch = (sessionId: string, sourceKey: string) => ({
  sessionId: sessionId as SessionId,
  sourceKey,
  deliveryPolicy: "earliest_safe_boundary" as const,
  slotPolicy: "exclusive" as const,
  mergeKey: { type: "never" as const },
  availableAtMs: 0,
  payloads: [{ type: "turn_input" as const, input: TurnInput.text(sourceKey) }]
})
/** A session's subscription to `test.Ping` that runs `count` with `label`. */
const pingSubscription = (sessionId: string, envRef: string) => ({
  registrant: { type: "session" as const, scope: { sessionId: sessionId as SessionId } },
  registrationKey: `${sessionId}:turn:1:node:0`,
  envRef: envRef as never,
  wakeTarget: { sessionId: sessionId as SessionId },
  name: `ping for ${sessionId}`,
  sourceType: "test.Ping",
  sourceKey: Ids.emptySourceKey("test.Ping"),
  source: {},
  payloadSchema: { type: "object" },
  target: {
    type: "tool_call" as const,
    call: {
      callId: `ping:${sessionId}`,
      toolId: "tool:count" as never,
      toolName: "count",
      args: { label: sessionId },
      preparedPayload: null
    }
  },
  targetIdentity: { kind: "tool_call" },
  eventTypes: [],
  inputTemplate: {}
})
const worker = { leaseTtl: "1 second", renewEvery: "250 millis", sweepEvery: "100 millis" } as const

describe.each(corruptibleBackends)("%s: poison process rows", (_name, open) => {
  it.scopedLive("the worker quarantines a row it cannot decode, once; the other process runs", () =>
    Effect.gen(function*() {
      const { corrupt, storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      const envRef = Ids.envRef(emptyEnv)
      yield* Context.get(storage, ProcessEnvStore).put(envRef, emptyEnv)
      yield* registry.register(toolCallRegistration("p-bad", envRef))
      yield* registry.register(toolCallRegistration("p-good", envRef))
      yield* corrupt("processes", "p-bad", JSON.stringify({ id: "p-bad", status: "banana" }))

      const counter = yield* Ref.make(0)
      const core = yield* buildCore(storage, provider, { tools: [counterTool(counter)], worker })
      expect(yield* registry.awaitProcess(pid("p-good")).pipe(Effect.timeout("20 seconds"))).toMatchObject({
        type: "success"
      })

      const listed = yield* eventually(
        core.processes().list({}),
        (listing) => listing.unreadable.some((row) => row.quarantined)
      )
      expect(listed.processes.map((p) => p.id)).toEqual(["p-good"])
      expect(listed.unreadable).toMatchObject([
        { processId: "p-bad", port: "ProcessRegistry", key: "process:p-bad", quarantined: true }
      ])
      // The reason is durable: one event names the row and what failed to decode.
      const events = yield* registry.eventsAfter(pid("p-bad"), 0)
      expect(events).toMatchObject([{
        sequence: 1,
        eventType: "process.quarantined",
        payload: { port: "ProcessRegistry", key: "process:p-bad", issue: expect.any(String) }
      }])
      // Terminal: no claim selects it, `running` listings leave it out, `await` names it.
      expect(yield* registry.listNonTerminalIds()).toEqual([])
      expect((yield* registry.listing({ status: "running" })).unreadable).toEqual([])
      expect((yield* registry.listing({ status: "terminal" })).unreadable).toHaveLength(1)
      expect(yield* Effect.flip(registry.awaitProcess(pid("p-bad")))).toMatchObject({
        _tag: "CorruptRecord",
        key: "process:p-bad"
      })
      // Past a lease's lifetime and several sweeps: never claimed again (no second quarantine, no run).
      yield* Effect.sleep("1500 millis")
      expect(yield* registry.eventsAfter(pid("p-bad"), 0)).toHaveLength(1)
      expect(yield* Ref.get(counter)).toBe(1)
      expect(yield* registry.claimRunnable({ ownerId: "probe", ttlMs: 1_000, limit: 10 })).toEqual([])
    }))

  it.scopedLive("a terminal write that fails with StoreUnavailable is written again: the tool ran once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      // A failpoint: the first terminal write is lost to a store outage (the driver answers StoreUnavailable).
      let failuresLeft = 1
      const flaky: ProcessRegistryService = {
        ...registry,
        completeWithLease: (lease, output) =>
          failuresLeft-- > 0
            ? Effect.fail(new StoreUnavailable({ port: "ProcessRegistry", cause: "failpoint: connection lost" }))
            : registry.completeWithLease(lease, output)
      }
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(Context.add(storage, ProcessRegistry, flaky), provider, {
        tools: [counterTool(counter)],
        worker
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("p-once", envRef))
      const output = yield* core.processes().await("p-once").pipe(Effect.timeout("20 seconds"))
      expect(failuresLeft).toBeLessThan(0)
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-once" } })
      expect(yield* Ref.get(counter)).toBe(1)
      const completed = (yield* registry.eventsAfter(pid("p-once"), 0)).filter((e) =>
        e.eventType === "process.completed"
      )
      expect(completed).toHaveLength(1)
    }))

  it.scopedLive("a queued batch that does not decode is set aside; the session's later batches run", () =>
    Effect.gen(function*() {
      const { corrupt, storage } = yield* open
      const store = Context.get(storage, SessionStore)
      const core = yield* buildCore(storage, echo, { worker, queuedWork: { drainOnOpen: false } })
      const session = yield* core.openSession("queue")
      const bystander = yield* core.openSession("bystander")
      yield* bystander.turn(TurnInput.text("before")).run
      const bad = yield* store.enqueue(turnBatch("queue", "k1"))
      const later = yield* store.enqueue(turnBatch("queue", "k2"))
      yield* corrupt("batches", bad.batchId, JSON.stringify({ batchId: bad.batchId }))
      const revision = Option.getOrThrow(yield* store.loadHead("queue" as SessionId)).headRevision
      // The listing names the batch it cannot read, by key and reason, next to the readable one.
      const listed = yield* store.queuedListing("queue" as SessionId)
      expect(listed.batches.map((b) => b.batchId)).toEqual([later.batchId])
      expect(listed.unreadable).toMatchObject([{
        batchId: bad.batchId,
        port: "SessionStore",
        key: `session:queue/batch:${bad.batchId}`,
        enqueueSeq: bad.enqueueSeq,
        sourceKey: "k1",
        setAside: false
      }])
      expect(listed.unreadable[0]!.issue.length).toBeGreaterThan(0)
      expect((yield* store.listQueued("queue" as SessionId)).map((b) => b.batchId)).toEqual([later.batchId])
      expect(yield* session.queuedListing).toEqual(listed)
      expect((yield* session.queuedWork).map((b) => b.batchId)).toEqual([later.batchId])

      yield* session.runQueued
      // The later batch ran as its own turn and was completed; the bad one is set aside, no longer pending.
      expect(Option.getOrThrow(yield* store.loadHead("queue" as SessionId)).headRevision).toBe(revision + 1)
      expect((yield* store.listQueued("queue" as SessionId)).map((b) => b.batchId)).not.toContain(later.batchId)
      // Still open and named, now as set aside by the claim that met it.
      expect((yield* store.queuedListing("queue" as SessionId)).unreadable).toMatchObject([{
        batchId: bad.batchId,
        setAside: true
      }])
      expect(yield* store.listSessionsWithPendingWork()).not.toContain("queue")
      expect(yield* store.listPending("queue" as SessionId)).toEqual([])
      const claim = yield* store.claimReady({
        sessionId: "queue" as SessionId,
        ownerId: "probe",
        boundary: "idle",
        ttlMs: 60_000,
        maxBatches: 4
      })
      expect(Option.isNone(claim)).toBe(true)
      // Work enqueued after it runs too, and another session's turns were never in the way.
      yield* store.enqueue(turnBatch("queue", "k3"))
      yield* session.runQueued
      expect(Option.getOrThrow(yield* store.loadHead("queue" as SessionId)).headRevision).toBe(revision + 2)
      yield* bystander.turn(TurnInput.text("after")).run
    }))

  it.scopedLive("emit delivers to every readable subscription and reports the one that does not decode", () =>
    Effect.gen(function*() {
      const { corrupt, storage } = yield* open
      const triggers = Context.get(storage, TriggerStore)
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(storage, provider, { tools: [counterTool(counter)], worker })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      const a = yield* triggers.register(pingSubscription("owner-a", envRef))
      const b = yield* triggers.register(pingSubscription("owner-b", envRef))
      const c = yield* triggers.register(pingSubscription("owner-c", envRef))
      yield* corrupt("subscriptions", b.subscriptionId, "{}")
      const request = { sourceType: "test.Ping", sourceKey: Ids.emptySourceKey("test.Ping"), payload: {} }

      const report = yield* core.triggers().emit({ ...request, idempotencyKey: "ping-1" })
      // The other sessions' registrations get their deliveries, and they run.
      expect(report.startedProcessIds).toHaveLength(2)
      for (const id of report.startedProcessIds) {
        expect(yield* core.processes().await(id).pipe(Effect.timeout("20 seconds"))).toMatchObject({ type: "success" })
      }
      expect(yield* Ref.get(counter)).toBe(2)
      const started = yield* Effect.forEach(report.startedProcessIds, (id) => core.processes().get(id))
      expect(started.map((p) => p.wakeTarget?.sessionId).sort()).toEqual(["owner-a", "owner-c"])
      // The unreadable one is reported, typed, naming its row.
      expect(report.failures).toEqual([{
        subscriptionId: b.subscriptionId,
        error: { type: "subscription_unreadable", key: `subscription:${b.subscriptionId}`, issue: expect.any(String) }
      }])
      // Set aside as a failed delivery: the worker's sweep never meets it as unstarted.
      const aside = Ids.deliveryProcessId(report.occurrenceId, b.subscriptionId)
      expect(yield* core.processes().await(aside)).toMatchObject({
        type: "failure",
        code: "trigger_subscription_unreadable"
      })
      // A re-emit returns the same report; a new occurrence delivers again to the readable ones.
      expect(yield* core.triggers().emit({ ...request, idempotencyKey: "ping-1" })).toEqual(report)
      const next = yield* core.triggers().emit({ ...request, idempotencyKey: "ping-2" })
      expect(next.startedProcessIds).toHaveLength(2)
      expect(next.failures.map((f) => f.error.type)).toEqual(["subscription_unreadable"])
      expect(a.handle).not.toEqual(c.handle)
    }))

  it.scopedLive("the sweep sets aside an unstarted delivery whose subscription does not decode; it starts the others", () =>
    Effect.gen(function*() {
      const { corrupt, storage } = yield* open
      const triggers = Context.get(storage, TriggerStore)
      const envRef = Ids.envRef(emptyEnv)
      yield* Context.get(storage, ProcessEnvStore).put(envRef, emptyEnv)
      yield* triggers.register(pingSubscription("owner-a", envRef))
      const b = yield* triggers.register(pingSubscription("owner-b", envRef))
      yield* corrupt("subscriptions", b.subscriptionId, "{}")
      // An emit that crashed after reserving: both deliveries reserved, neither started.
      const occurrence = yield* triggers.recordOccurrence({
        sourceType: "test.Ping",
        sourceKey: Ids.emptySourceKey("test.Ping"),
        payload: {},
        idempotencyKey: "crashed"
      })
      const reserved = yield* triggers.reserveDeliveriesReport(occurrence.occurrenceId)
      expect(reserved.unreadable).toHaveLength(1)

      const counter = yield* Ref.make(0)
      const core = yield* buildCore(storage, provider, { tools: [counterTool(counter)], worker })
      const aside = Ids.deliveryProcessId(occurrence.occurrenceId, b.subscriptionId)
      const started = reserved.reserved[0]!.processId
      expect(yield* core.processes().await(started).pipe(Effect.timeout("20 seconds"))).toMatchObject({
        type: "success"
      })
      const output = yield* eventually(
        Effect.either(core.processes().await(aside).pipe(Effect.timeout("100 millis"))),
        (either) => either._tag === "Right"
      )
      expect(output).toMatchObject({ right: { type: "failure", code: "trigger_subscription_unreadable" } })
      expect(yield* triggers.listUnstartedDeliveriesReport(64)).toEqual({ deliveries: [], unreadable: [] })
    }))
})
