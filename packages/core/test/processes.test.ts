import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option, Ref, TestClock } from "effect"
import {
  EnvRef,
  Ids,
  LeaseLost,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  SessionCreateRequest,
  type SessionId,
  SessionStore,
  ToolDefinition,
  ToolProvider,
  TriggerStore,
  TurnInput
} from "../src/index.js"
import { buildCore, emptyEnv, pingSubscription, processCore, testModel, toolCallRegistration } from "./fixtures.js"

describe("processes and the worker", () => {
  it.scopedLive("a tool_call process started through the core runs on the worker and completes once", () =>
    Effect.gen(function*() {
      const { core, counter, envRef } = yield* processCore()
      const record = yield* core.processes().start(toolCallRegistration("proc-a", envRef))
      expect(record.status.state).toBe("running")
      const output = yield* core.processes().await("proc-a").pipe(Effect.timeout("5 seconds"))
      expect(output).toEqual({ type: "success", value: { n: 1, label: "proc-a" } })
      expect(yield* Ref.get(counter)).toBe(1)
    }))

  it.scopedLive("an await of a run this core launched takes the outcome its terminal write stored, without a read", () =>
    Effect.gen(function*() {
      const awaits = yield* Ref.make(0)
      // The first terminal write of "dropped" is refused as if its lease were lost: that run ends without storing an
      // outcome, its await falls back to the registry, and the process runs again once the lease ran out.
      let refused = false
      const { core, envRef, storage } = yield* processCore({
        wrap: (storage) => {
          const real = Context.get(storage, ProcessRegistry)
          return Context.add(storage, ProcessRegistry, {
            ...real,
            awaitProcess: (id) => Effect.zipRight(Ref.update(awaits, (n) => n + 1), real.awaitProcess(id)),
            completeWithLease: (lease, output) =>
              lease.processId === "dropped" && !refused
                ? Effect.suspend(() => {
                  refused = true
                  return Effect.fail(new LeaseLost({ processId: lease.processId, fencingToken: lease.fencingToken }))
                })
                : real.completeWithLease(lease, output)
          })
        },
        config: { worker: { sweepEvery: "50 millis", leaseTtl: "500 millis", renewEvery: "100 millis" } }
      })
      const real = Context.get(storage, ProcessRegistry)
      yield* core.processes().start(toolCallRegistration("kept", envRef))
      const kept = yield* core.processes().await("kept").pipe(Effect.timeout("5 seconds"))
      expect(kept).toEqual({ type: "success", value: { n: 1, label: "kept" } })
      expect(yield* Ref.get(awaits), "answered by the run this core launched").toBe(0)
      expect(yield* real.awaitProcess("kept" as ProcessId), "what the registry stored").toEqual(kept)

      yield* core.processes().start(toolCallRegistration("dropped", envRef))
      const dropped = yield* core.processes().await("dropped").pipe(Effect.timeout("5 seconds"))
      expect(refused).toBe(true)
      expect(dropped, "the second run's outcome, through the registry").toEqual({
        type: "success",
        value: { n: 3, label: "dropped" }
      })
      expect(yield* Ref.get(awaits)).toBe(1)
    }))

  it.scopedLive("a registration object changed after its start is hashed afresh: starting it again is a conflict", () =>
    Effect.gen(function*() {
      const { core, counter, envRef } = yield* processCore()
      const reg = toolCallRegistration("changed", envRef)
      yield* core.processes().start(reg)
      yield* core.processes().await("changed").pipe(Effect.timeout("5 seconds"))
      // The same object again is a repeat.
      expect((yield* core.processes().start(reg)).id).toBe("changed")
      // Plain JavaScript ignores `readonly`: a caller may change the object it started, then start it again.
      const changed: { input: unknown } = reg
      changed.input = { type: "external", metadata: null }
      const error = yield* Effect.flip(core.processes().start(reg))
      expect(["ProcessRegistrationConflict", "EffectReplayConflict"]).toContain(error._tag)
      expect(yield* Ref.get(counter)).toBe(1)
    }))

  it.scopedLive("runs over the same static tools build the tool catalog once", () =>
    Effect.gen(function*() {
      let resolved = 0
      const { core, counter, envRef } = yield* processCore({
        tool: (count) => ({
          ...count,
          resolveContract: (name: string) => {
            resolved++
            return count.resolveContract(name)
          }
        })
      })
      const before = resolved
      for (const id of ["cat-1", "cat-2", "cat-3"]) {
        yield* core.processes().start(toolCallRegistration(id, envRef))
        expect((yield* core.processes().await(id).pipe(Effect.timeout("5 seconds"))).type).toBe("success")
      }
      expect(yield* Ref.get(counter)).toBe(3)
      expect(resolved - before, "one catalog build for three runs (was three)").toBe(1)
    }))

  it.scopedLive("a started run's cancel watcher is registered before its row exists: no first read, a cancel still ends it", () =>
    Effect.gen(function*() {
      let waits = 0
      const { core, envRef } = yield* processCore({
        delayMs: 2_000,
        wrap: (storage) => {
          const real = Context.get(storage, ProcessRegistry)
          return Context.add(storage, ProcessRegistry, {
            ...real,
            waitEventAfter: (id, eventType, sequence) =>
              Effect.suspend(() => {
                waits++
                return real.waitEventAfter(id, eventType, sequence)
              })
          })
        }
      })
      yield* core.processes().start(toolCallRegistration("cancel-me", envRef))
      yield* core.processes().cancel("cancel-me", "stop")
      const output = yield* core.processes().await("cancel-me").pipe(Effect.timeout("5 seconds"))
      expect(output).toEqual({ type: "cancelled", message: "stop" })
      expect(waits, "the run waited on the watcher registered with its start").toBe(0)
    }))

  it.scopedLive("two workers racing for one process: exactly one runs it", () =>
    Effect.gen(function*() {
      // A long lease: this test is about two claimers racing, not about expiry; on an overloaded machine a 2 s lease
      // could lapse between renewals, and with no sweep running nothing would take the process over.
      const { anotherCore, core: coreA, counter, envRef, storage } = yield* processCore({
        delayMs: 50,
        config: { worker: { startupSweep: false, leaseTtl: "30 seconds", renewEvery: "1 second" } }
      })
      const coreB = yield* anotherCore
      const registry = Context.get(storage, ProcessRegistry)
      for (let i = 0; i < 8; i++) yield* registry.register(toolCallRegistration(`race-${i}`, envRef))
      yield* Effect.all([
        coreA.drivePending("test"),
        coreB.drivePending("test"),
        coreA.drivePending("again"),
        coreB.drivePending("again")
      ], {
        concurrency: "unbounded"
      })
      for (let i = 0; i < 8; i++) {
        const out = yield* registry.awaitProcess(`race-${i}` as ProcessId).pipe(Effect.timeout("5 seconds"))
        expect(out.type).toBe("success")
      }
      expect(yield* Ref.get(counter)).toBe(8)
      for (let i = 0; i < 8; i++) {
        const events = yield* registry.eventsAfter(`race-${i}` as ProcessId, 0)
        expect(events.filter((e) => e.eventType === "process.completed")).toHaveLength(1)
      }
    }))

  it.scopedLive("a process whose env names a plugin this runtime lacks fails loudly, naming it", () =>
    Effect.gen(function*() {
      const { core, counter, envRef } = yield* processCore({
        env: { ...emptyEnv, pluginOptions: { plugins: { "acme-weather": { region: "eu" } } } }
      })
      yield* core.processes().start(toolCallRegistration("needs-plugin", envRef))
      const out = yield* core.processes().await("needs-plugin").pipe(Effect.timeout("5 seconds"))
      expect(out).toMatchObject({
        type: "failure",
        code: "process_plugin_missing",
        raw: { missingPlugins: ["acme-weather"] }
      })
      expect(out.type === "failure" && out.message).toContain("\"acme-weather\"")
      expect(yield* Ref.get(counter)).toBe(0)
    }))

  it.scopedLive("a tool_call process for an unknown tool fails with tool_unavailable; a missing env with process_env_missing", () =>
    Effect.gen(function*() {
      const { core, envRef } = yield* processCore({ config: { tools: [] } })
      yield* core.processes().start(toolCallRegistration("no-tool", envRef))
      expect(yield* core.processes().await("no-tool").pipe(Effect.timeout("5 seconds"))).toMatchObject({
        code: "tool_unavailable"
      })
      yield* core.processes().start(toolCallRegistration("no-env", EnvRef.make("process-env:sha256:missing")))
      expect(yield* core.processes().await("no-env").pipe(Effect.timeout("5 seconds"))).toMatchObject({
        code: "process_env_missing"
      })
    }))

  it.scopedLive("cancel interrupts a running process and records cancelled", () =>
    Effect.gen(function*() {
      const { core, envRef } = yield* processCore({ delayMs: 60_000 })
      yield* core.processes().start(toolCallRegistration("slow", envRef))
      yield* Effect.sleep("100 millis")
      yield* core.processes().cancel("slow", "user asked")
      const out = yield* core.processes().await("slow").pipe(Effect.timeout("5 seconds"))
      expect(out).toEqual({ type: "cancelled", message: "user asked" })
    }))

  it.scopedLive("a session_turn process creates the child session and runs one turn with the live provider", () =>
    Effect.gen(function*() {
      const { core, storage } = yield* processCore({
        provider: TestProvider.builder().when("run child", "child done").build(),
        config: { tools: [] }
      })
      const createRequest = yield* SessionCreateRequest.child("parent", {
        startPoint: "empty",
        policy: { model: testModel, providerId: "" },
        pluginOptions: { plugins: {} },
        usageSource: "test"
      })
      const reg = ProcessRegistration.make({
        id: "child-turn" as ProcessId,
        input: {
          type: "session_turn",
          createRequest,
          turnInput: TurnInput.text("run child"),
          outputContract: { type: "static" }
        },
        provenance: ProcessProvenance.host()
      })
      yield* core.processes().start(reg)
      const out = yield* core.processes().await("child-turn").pipe(Effect.timeout("5 seconds"))
      expect(out).toMatchObject({
        type: "success",
        value: { processId: "child-turn", childSessionId: createRequest.sessionId }
      })
      const child = Option.getOrThrow(yield* Context.get(storage, SessionStore).load(createRequest.sessionId))
      expect(child.relation).toEqual({
        type: "child",
        parentSessionId: "parent",
        causedBy: { type: "process", processId: "child-turn" }
      })
      expect(child.headRevision).toBe(1)
    }))
})

describe("leases", () => {
  it.scoped("lease expiry lets another owner take over with a higher fence; the stale owner's terminal write is rejected", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_767_225_600_000)
      const storage = yield* Layer.build(MemoryBackend.layer())
      const registry = Context.get(storage, ProcessRegistry)
      yield* registry.register(
        ProcessRegistration.make({
          id: "fenced" as ProcessId,
          input: { type: "engine", kind: "test", payload: null },
          provenance: ProcessProvenance.host()
        })
      )
      const first = yield* registry.claimLease("fenced" as ProcessId, "owner-a", 1_000)
      yield* TestClock.adjust(1_000)
      const second = yield* registry.claimLease("fenced" as ProcessId, "owner-b", 60_000)
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken)
      const stale = yield* Effect.flip(registry.completeWithLease(first, { type: "success", value: "stale" }))
      expect(stale._tag).toBe("LeaseLost")
      const done = yield* registry.completeWithLease(second, { type: "success", value: "fresh" })
      expect(done.status).toEqual({ state: "completed", awaitOutput: { type: "success", value: "fresh" } })
    }))
})

describe("triggers", () => {
  it.scopedLive("emitting twice with one idempotency key starts one process and returns the same report", () =>
    Effect.gen(function*() {
      const { core, counter, envRef, storage } = yield* processCore()
      yield* Context.get(storage, TriggerStore).register(pingSubscription(envRef))
      const request = {
        sourceType: "test.Ping",
        sourceKey: Ids.emptySourceKey("test.Ping"),
        payload: { n: 1 },
        idempotencyKey: "ping-1"
      }
      const [a, b] = yield* Effect.all([core.triggers().emit(request), core.triggers().emit(request)], {
        concurrency: "unbounded"
      })
      expect(a).toEqual(b)
      expect(a.startedProcessIds).toHaveLength(1)
      const pid = a.startedProcessIds[0]!
      expect(yield* core.processes().await(pid).pipe(Effect.timeout("5 seconds"))).toMatchObject({ type: "success" })
      const record = yield* core.processes().get(pid)
      expect(record.provenance.causedBy).toEqual({ type: "trigger_occurrence", occurrenceId: a.occurrenceId })
      expect(yield* Ref.get(counter)).toBe(1)
      const again = yield* core.triggers().emit(request)
      expect(again).toEqual(a)
      const conflict = yield* Effect.flip(core.triggers().emit({ ...request, payload: { n: 2 } }))
      expect(conflict._tag).toBe("TriggerIdempotencyConflict")
    }))

  it.scopedLive("an invalid payload is recorded as a failed delivery and nothing retries it", () =>
    Effect.gen(function*() {
      const { core, counter, envRef, storage } = yield* processCore()
      yield* Context.get(storage, TriggerStore).register(pingSubscription(envRef))
      const error = yield* Effect.flip(
        core.triggers().emit({
          sourceType: "test.Ping",
          sourceKey: Ids.emptySourceKey("test.Ping"),
          payload: { n: "x" },
          idempotencyKey: "bad"
        })
      )
      expect(error._tag).toBe("TriggerDeliveryFailed")
      const failed = (yield* core.processes().list({ status: "terminal" })).processes
      expect(failed.map((p) => p.status)).toMatchObject([{
        state: "failed",
        awaitOutput: { code: "trigger_payload_invalid" }
      }])
      expect(yield* Ref.get(counter)).toBe(0)
    }))

  it.scopedLive("empty request fields are rejected with InvalidTriggerRequest", () =>
    Effect.gen(function*() {
      const { core } = yield* processCore()
      const error = yield* Effect.flip(
        core.triggers().emit({ sourceType: "x", sourceKey: "k", payload: null, idempotencyKey: "" })
      )
      expect(error).toMatchObject({ _tag: "InvalidTriggerRequest", field: "idempotencyKey" })
    }))
})

describe("wakes and queued work", () => {
  it.scopedLive("a wake is drained into one committed Event turn exactly once, also across reopen", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const provider = TestProvider.builder().complete(() => "noted").build()
      const registry = Context.get(storage, ProcessRegistry)
      const store = Context.get(storage, SessionStore)
      const core1 = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* buildCore(storage, provider)
          yield* core.openSession("woken")
          return core.instanceId
        })
      )
      expect(core1).toBeTruthy()
      yield* registry.register(
        ProcessRegistration.make({
          id: "waker" as ProcessId,
          input: { type: "external", metadata: null },
          provenance: ProcessProvenance.host({ type: "trigger_occurrence", occurrenceId: "occurrence:x" as never }),
          wakeTarget: { sessionId: "woken" as SessionId },
          eventTypes: [
            {
              name: "process.wake",
              payloadSchema: {},
              semantics: {
                wake: { input: { type: "pointer", pointer: "/text" }, dedupeKey: { type: "event_identity" } }
              }
            }
          ]
        })
      )
      yield* registry.appendEvent("waker" as ProcessId, {
        eventType: "process.wake",
        payload: { text: "the build finished" },
        replayKey: "w1"
      })
      expect(yield* store.listQueued("woken" as SessionId)).toHaveLength(1)
      // Opening the session drains the wake into a committed turn.
      const view = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* buildCore(storage, provider)
          yield* core.openSession("woken")
          for (let i = 0; i < 100 && (yield* store.listQueued("woken" as SessionId)).length > 0; i++) {
            yield* Effect.sleep("20 millis")
          }
          yield* Effect.sleep("50 millis")
          return (yield* core.openSession("woken")).readView()
        })
      )
      const events = view.messages.filter((m) => m.role === "event")
      expect(events).toHaveLength(1)
      expect(events[0]!.origin).toEqual({
        kind: "process",
        processId: "waker",
        eventType: "process.wake",
        sequence: 1,
        wakeId: events[0]!.id,
        causedBy: { type: "trigger_occurrence", occurrenceId: "occurrence:x" }
      })
      expect(events[0]!.parts[0]!.content).toContain("the build finished")
      // Re-appending the same keyed event is a replay: nothing is enqueued again, and a reopen drains nothing.
      yield* registry.appendEvent("waker" as ProcessId, {
        eventType: "process.wake",
        payload: { text: "the build finished" },
        replayKey: "w1"
      })
      const again = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* buildCore(storage, provider)
          yield* core.openSession("woken")
          yield* Effect.sleep("200 millis")
          return (yield* core.openSession("woken")).readView()
        })
      )
      expect(again.messages.filter((m) => m.role === "event")).toHaveLength(1)
      expect(again.headRevision).toBe(view.headRevision)
    }))
})

describe("atomic wake enqueue", () => {
  /** A turn that starts a process whose run wakes the session once, then a drained Event turn. */
  const wakeOnce = (registryOf: (real: ProcessRegistry["Type"]) => ProcessRegistry["Type"]) =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const store = Context.get(storage, SessionStore)
      const enqueues = yield* Ref.make(0)
      const counted = Context.add(
        Context.add(storage, SessionStore, {
          ...store,
          enqueue: (draft) => Effect.zipRight(Ref.update(enqueues, (n) => n + 1), store.enqueue(draft))
        }),
        ProcessRegistry,
        registryOf(Context.get(storage, ProcessRegistry))
      )
      const fence = (code: string) => "```lashlang\n" + code + "\n```"
      const provider = TestProvider.builder()
        .reply(
          fence(
            "process ping(n: int) {\n  wake format(\"pinged {}\", n)\n  finish n\n}\nh = start ping(n: 1)\nsubmit \"started\""
          )
        )
        .complete(() => "noted")
        .build()
      const core = yield* buildCore(counted, provider, {
        mode: "rlm",
        rlm: { abilities: LashlangAbilities.all },
        worker: { sweepEvery: "20 millis", leaseTtl: "1 second", renewEvery: "250 millis" }
      })
      const session = yield* core.openSession("pinged")
      yield* session.turn(TurnInput.text("start it")).run
      let events = 0
      for (let i = 0; i < 200 && events === 0; i++) {
        yield* Effect.sleep("20 millis")
        events = (yield* core.openSession("pinged")).readView().messages.filter((m) => m.role === "event").length
      }
      yield* Effect.sleep("100 millis")
      const view = (yield* core.openSession("pinged")).readView()
      return {
        events: view.messages.filter((m) => m.role === "event").length,
        enqueues: yield* Ref.get(enqueues),
        queued: (yield* store.listQueued("pinged" as SessionId)).length
      }
    })

  it.scopedLive("a registry that enqueues the wake in the append's unit: the core enqueues nothing more", () =>
    Effect.gen(function*() {
      expect(yield* wakeOnce((real) => real)).toEqual({ events: 1, enqueues: 0, queued: 0 })
    }))

  it.scopedLive("a registry without it: the core enqueues the wake itself, once, and it is delivered once", () =>
    Effect.gen(function*() {
      expect(yield* wakeOnce((real) => ({ ...real, atomicWakeEnqueue: false }))).toEqual({
        events: 1,
        enqueues: 1,
        queued: 0
      })
    }))
})

describe("resource safety", () => {
  it.scopedLive("closing the core's scope ends every background fiber", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const interrupted = yield* Ref.make(false)
      const slow = ToolProvider.fromDefinitions([
        {
          definition: ToolDefinition.raw({ name: "count", description: "never ends", inputSchema: {} }),
          execute: () => Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
        }
      ])
      // The core lives in this inner scope only; the store outlives it.
      const live = yield* Effect.scoped(
        Effect.gen(function*() {
          const { core, envRef } = yield* processCore({
            storage,
            tool: () => slow,
            config: { worker: { sweepEvery: "50 millis", leaseTtl: "1 second", renewEvery: "250 millis" } }
          })
          yield* core.processes().start(toolCallRegistration("forever", envRef))
          yield* Effect.sleep("200 millis")
          return (yield* core.diagnostics).liveFibers
        })
      )
      expect(live).toBeGreaterThan(0)
      expect(yield* Ref.get(interrupted)).toBe(true)
      // The process was not completed by the closed core: its lease simply expires for the next owner.
      expect((yield* Context.get(storage, ProcessRegistry).get("forever" as ProcessId)).status.state).toBe("running")
    }))
})
