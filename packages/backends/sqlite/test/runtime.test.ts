/**
 * The core runtime on the SQLite backend: a standard tool-calling turn, and processes run by the worker (including
 * two cores racing on one file through two handles), mirroring the core's memory-backend tests.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  InlineEffectController,
  LashCore,
  type ProcessId,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  StorageInfo,
  TurnInput
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option, Ref } from "effect"
import {
  buildCore,
  counterTool,
  emptyEnv,
  mathTools,
  testModel,
  toolCallRegistration
} from "../../../core/test/fixtures.js"
import { SqliteBackend } from "../src/index.js"
import { tempDbFile } from "./helpers.js"

describe("the core runtime on SqliteBackend", () => {
  it.scopedLive("reports the durable tier with the pragmas read back", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
      const info = Context.get(storage, StorageInfo)
      expect(info.tier).toBe("durable")
      expect(Context.get(storage, SessionStore).tier).toBe("durable")
      expect(Context.get(storage, ProcessRegistry).atomicWakeEnqueue).toBe(true)
      const report = yield* info.durabilityReport
      expect(report).toMatchObject({
        mechanism: "sqlite-wal",
        crashSafety: "power-loss",
        details: { journal_mode: "wal", synchronous: "FULL" }
      })
      const normal = yield* Layer.build(SqliteBackend.layer({ filename, synchronous: "normal" }))
      expect(yield* Context.get(normal, StorageInfo).durabilityReport).toMatchObject({
        crashSafety: "process-crash",
        details: { synchronous: "NORMAL" }
      })
    }))

  it.scopedLive("a multi-step tool-calling turn commits and is there after a reopen", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const provider = TestProvider.builder()
        .reply({ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, {
          toolCalls: [{ name: "add", args: { a: 5, b: 10 } }]
        }, "The answer is 15.")
        .build()
      // LashCore.layer over the provider layer and the SQLite layer, exactly as over the memory backend.
      const run = Effect.gen(function*() {
        const core = yield* LashCore
        const session = yield* core.openSession("multi")
        const out = yield* session.turn(TurnInput.text("what is 2+3+10?")).run
        expect(Option.getOrNull(out.assistantMessage)).toBe("The answer is 15.")
        expect(out.toolCalls.map((c) => c.result)).toEqual([
          { type: "ok", value: { sum: 5 } },
          { type: "ok", value: { sum: 15 } }
        ])
        expect(out.headRevision).toBe(1)
        expect(session.readView().messages.map((m) => m.role)).toEqual(["user", "assistant", "assistant", "assistant"])
      })
      const coreLayer = LashCore.layer({ mode: "standard", model: testModel, tools: [mathTools] }).pipe(
        Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer)),
        Layer.provideMerge(SqliteBackend.layer({ filename }))
      )
      yield* Effect.scoped(Effect.provide(run, coreLayer))
      yield* provider.assertComplete
      // Reopen: a new handle on the same file sees the committed turn.
      const reopened = yield* Effect.scoped(
        Effect.gen(function*() {
          const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
          return Option.getOrThrow(yield* Context.get(storage, SessionStore).load("multi" as SessionId))
        })
      )
      expect(reopened.headRevision).toBe(1)
      expect(reopened.graph.nodes.length).toBeGreaterThanOrEqual(4)
    }))

  it.scopedLive("a tool_call process runs on the worker and completes once", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const storage = yield* Layer.build(SqliteBackend.layer({ filename, busyTimeoutMs: 500 }))
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(storage, TestProvider.builder().build(), { tools: [counterTool(counter)] })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      const record = yield* core.processes().start(toolCallRegistration("proc-a", envRef))
      expect(record.status.state).toBe("running")
      const output = yield* core.processes().await("proc-a").pipe(Effect.timeout("5 seconds"))
      expect(output).toEqual({ type: "success", value: { n: 1, label: "proc-a" } })
      expect(yield* Ref.get(counter)).toBe(1)
    }))

  it.scopedLive("two cores on two handles of one file racing for eight processes: each runs exactly once", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const storageA = yield* Layer.build(SqliteBackend.layer({ filename, busyTimeoutMs: 500 }))
      const storageB = yield* Layer.build(SqliteBackend.layer({ filename, busyTimeoutMs: 500 }))
      const counter = yield* Ref.make(0)
      const provider = TestProvider.builder().build()
      const config = {
        tools: [counterTool(counter, 50)],
        worker: { startupSweep: false, leaseTtl: "2 seconds", renewEvery: "500 millis" }
      } as const
      const coreA = yield* buildCore(storageA, provider, config)
      const coreB = yield* buildCore(storageB, provider, config)
      const registry = Context.get(storageA, ProcessRegistry)
      const envRef = yield* coreA.processEnv.persist(emptyEnv)
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
        // Awaited through the *other* handle: its wake-up comes from the cross-handle poller.
        const out = yield* Context.get(storageB, ProcessRegistry).awaitProcess(`race-${i}` as ProcessId).pipe(
          Effect.timeout("5 seconds")
        )
        expect(out.type).toBe("success")
      }
      expect(yield* Ref.get(counter)).toBe(8)
      for (let i = 0; i < 8; i++) {
        const events = yield* registry.eventsAfter(`race-${i}` as ProcessId, 0)
        expect(events.filter((e) => e.eventType === "process.completed")).toHaveLength(1)
      }
    }))
})
