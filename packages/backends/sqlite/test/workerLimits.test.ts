/**
 * The worker's bounds and the process limits on memory and SQLite (docs/architecture.md, "The worker" and "Processes
 * and leases"): `maxConcurrent` bounds every way a process reaches the worker (the host start, a trigger `emit`, the
 * sweep), a parent awaiting its child gives its slot up meanwhile, and starts per run (the interpreter's
 * `maxProcessStarts`), live processes per session and tree depth end a process bomb with a clear error while the host
 * stays responsive.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import {
  Ids,
  type LashStorage,
  type ProcessId,
  ProcessRegistry,
  type ProcessRegistryService,
  type StorageSignals,
  ToolDefinition,
  ToolProvider,
  ToolResults,
  TriggerStore,
  TurnInput
} from "@lash/core"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Clock, Context, Effect, Fiber, Layer, Option, type Scope } from "effect"
import { buildCore, emptyEnv, toolCallRegistration } from "../../../core/test/fixtures.js"
import { SqliteBackend } from "../src/index.js"
import { subscriptionDraft, tempDbFile } from "./helpers.js"

type Storage = Context.Context<LashStorage | StorageSignals>

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** An RLM core whose model answers `block` first, then `submit "done"` to every later request. */
const rlmCore = (storage: Storage, block: string, config: Parameters<typeof buildCore>[2] = {}) =>
  buildCore(
    storage,
    TestProvider.builder().reply(fence(block)).complete(() => fence(`submit "done"`)).build(),
    { mode: "rlm", rlm: { abilities: LashlangAbilities.all }, ...config }
  )

/** Every process, once none is running (polled). */
const settled = (core: Effect.Effect.Success<ReturnType<typeof buildCore>>, timeoutMs = 60_000) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < timeoutMs; waited += 50) {
      const running = (yield* core.processes().list({ status: "running" })).processes
      if (running.length === 0) return (yield* core.processes().list({})).processes
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.dieMessage("processes did not settle")
  })

/** The text the model was shown after a block (its tool_result parts). */
const feedback = (messages: ReadonlyArray<{ readonly parts: ReadonlyArray<{ readonly content: string }> }>) =>
  messages.flatMap((m) => m.parts.map((p) => p.content)).join("\n")

const backends: ReadonlyArray<readonly [string, Effect.Effect<Storage, unknown, Scope.Scope>]> = [
  ["memory", Layer.build(MemoryBackend.layer())],
  ["sqlite", Effect.flatMap(tempDbFile, (filename) => Layer.build(SqliteBackend.layer({ filename })))]
]

/** `count` that takes `delayMs` and records how many of its runs overlap at most. */
const overlapTool = (delayMs: number) => {
  const seen = { now: 0, max: 0, runs: 0 }
  const tools = ToolProvider.fromDefinitions([
    {
      definition: ToolDefinition.raw({ name: "count", description: "Slow", inputSchema: { type: "object" } }),
      execute: () =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            seen.now++
            seen.runs++
            seen.max = Math.max(seen.max, seen.now)
          }),
          () => Effect.as(Effect.sleep(delayMs), ToolResults.ok({ done: true })),
          () => Effect.sync(() => void seen.now--)
        )
    }
  ])
  return { seen, tools }
}

describe.each(backends)("%s: the worker's bounds", (_name, open) => {
  it.scopedLive("maxConcurrent 2: twenty processes started by the host and by emit never run more than two at once", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const { seen, tools } = overlapTool(100)
      const core = yield* buildCore(storage, { kind: "none", complete: () => Effect.die("no model") }, {
        tools: [tools],
        worker: { maxConcurrent: 2, leaseTtl: "3 seconds", renewEvery: "1 second" }
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      const ids: Array<ProcessId> = []
      for (let i = 0; i < 10; i++) {
        const record = yield* core.processes().start(toolCallRegistration(`host-${i}`, envRef))
        ids.push(record.id)
      }
      const triggers = Context.get(storage, TriggerStore)
      for (let i = 0; i < 10; i++) yield* triggers.register({ ...subscriptionDraft(`sub-${i}`), envRef })
      const report = yield* core.triggers().emit({
        sourceType: "test.Ping",
        sourceKey: Ids.emptySourceKey("test.Ping"),
        payload: {},
        idempotencyKey: "ping-1"
      })
      ids.push(...report.startedProcessIds)
      expect(ids).toHaveLength(20)
      for (const id of ids) {
        expect(yield* core.processes().await(id).pipe(Effect.timeout("20 seconds"))).toMatchObject({
          type: "success"
        })
      }
      expect(seen.runs).toBe(20)
      expect(seen.max).toBe(2)
    }))

  it.scopedLive(
    "maxConcurrent 2: a claim sent while another is on its way never takes more than the free slots",
    () =>
      Effect.gen(function*() {
        const storage = yield* open
        const registry = Context.get(storage, ProcessRegistry)
        // A busy database: every claim of runnable processes is answered 200 ms late, so the claim a freed slot sends
        // and a sweep's claim are on their way at the same time (the two-worker demo on a loaded host held 6 leases
        // with maxConcurrent 4).
        const slow: ProcessRegistryService = {
          ...registry,
          claimRunnable: (request) => Effect.delay(registry.claimRunnable(request), "200 millis")
        }
        const { seen, tools } = overlapTool(100)
        const core = yield* buildCore(Context.add(storage, ProcessRegistry, slow), {
          kind: "none",
          complete: () => Effect.die("no model")
        }, {
          tools: [tools],
          worker: { maxConcurrent: 2, leaseTtl: "5 seconds", renewEvery: "1 second", sweepEvery: "50 millis" }
        })
        const envRef = yield* core.processEnv.persist(emptyEnv)
        const ids: Array<ProcessId> = []
        for (let i = 0; i < 20; i++) {
          ids.push((yield* core.processes().start(toolCallRegistration(`p-${i}`, envRef))).id)
        }
        for (const id of ids) {
          expect(yield* core.processes().await(id).pipe(Effect.timeout("30 seconds"))).toMatchObject({
            type: "success"
          })
        }
        expect(seen.runs).toBe(20)
        expect(seen.max).toBe(2)
      }),
    60_000
  )
})

describe.each(backends)("%s: process limits", (_name, open) => {
  it.scopedLive("maxConcurrent 1: a parent that awaits its child gives its slot up while it waits", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const core = yield* rlmCore(
        storage,
        `process child(n: int) {
  finish n + 1
}
process parent(n: int) {
  h = start child(n: n)
  r = (await h)?
  finish r * 10
}
h = start parent(n: 1)
submit "started"`,
        { worker: { maxConcurrent: 1, leaseTtl: "3 seconds", renewEvery: "1 second" } }
      )
      yield* (yield* core.openSession("s")).turn(TurnInput.text("go")).run
      const parent = (yield* core.processes().list({})).processes.find((p) => p.identity.label === "parent")!
      expect(yield* core.processes().await(parent.id).pipe(Effect.timeout("20 seconds"))).toEqual({
        type: "success",
        value: 20
      })
    }))

  it.scopedLive("rlm.limits.maxProcessStarts: the start past the limit fails the block with a clear error", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const core = yield* rlmCore(
        storage,
        `process p(n: int) {
  finish n
}
for i in range(10) {
  start p(n: i)
}
submit "all started"`,
        { rlm: { abilities: LashlangAbilities.all, limits: { maxProcessStarts: 4 } } }
      )
      const out = yield* (yield* core.openSession("s")).turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("done")
      expect(feedback(out.messages)).toContain("too many process starts in one block (limit 4)")
      expect(yield* settled(core)).toHaveLength(4)
    }))

  it.scopedLive("maxConcurrent 1: parked processes whose sleeps end together run one at a time", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const { seen, tools } = overlapTool(150)
      // Each process parks (no slot held) during its sleep; the four alarms fire together and each must take a slot
      // before it claims, so the slow tool after the sleep never runs twice at once.
      const core = yield* rlmCore(
        storage,
        `process napper(n: int) {
  sleep for 300
  r = tools.count({})?
  finish n
}
for i in range(4) {
  start napper(n: i)
}
submit "started"`,
        { tools: [tools], worker: { maxConcurrent: 1, sweepEvery: "200 millis" } }
      )
      const out = yield* (yield* core.openSession("s")).turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("started")
      const processes = yield* settled(core)
      expect(processes.map((p) => p.status.state)).toEqual(["completed", "completed", "completed", "completed"])
      expect(seen.runs).toBe(4)
      expect(seen.max).toBe(1)
    }))

  it.scopedLive("maxLivePerSession: a session holding the limit in live processes starts no more", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const core = yield* rlmCore(
        storage,
        `process slow(n: int) {
  sleep for 1500
  finish n
}
for i in range(5) {
  start slow(n: i)
}
submit "all started"`,
        { processes: { maxLivePerSession: 3 } }
      )
      const out = yield* (yield* core.openSession("s")).turn(TurnInput.text("go")).run
      expect(feedback(out.messages)).toContain("session s already has 3 live processes (processes.maxLivePerSession)")
      expect(yield* settled(core)).toHaveLength(3)
    }))

  it.scopedLive(
    "the five-line process bomb ends at the default tree depth; timers fire and a bystander's turn succeeds",
    () =>
      Effect.gen(function*() {
        const storage = yield* open
        const core = yield* rlmCore(
          storage,
          `process bomb(n: int) {
  for i in range(3) {
    start bomb(n: n + 1)
  }
  finish n
}
h = start bomb(n: 0)
submit "started"`,
          // Leases long enough for a machine busy with other work: this test is about the limits, not takeover.
          { worker: { leaseTtl: "30 seconds", renewEvery: "10 seconds" } }
        )
        // A 20 ms ticker counts how often its timer fires while the tree grows.
        let ticks = 0
        const ticker = yield* Effect.fork(
          Effect.forever(Effect.zipRight(Effect.sleep("20 millis"), Effect.sync(() => void ticks++)))
        )
        yield* (yield* core.openSession("bomber")).turn(TurnInput.text("go")).run
        // Another session's turn commits meanwhile.
        const turn = yield* (yield* core.openSession("bystander")).turn(TurnInput.text("hi")).run.pipe(
          Effect.timeout("20 seconds")
        )
        expect(Option.getOrNull(turn.submittedValue)).toBe("done")
        const ticksBefore = ticks
        const all = yield* settled(core)
        yield* Fiber.interrupt(ticker)
        expect(ticks - ticksBefore, "the host's timers fire while the worker runs the tree").toBeGreaterThan(3)
        // Depths 1..5 of a ternary tree: 1 + 3 + 9 + 27 + 81; the 81 leaves fail on their first start.
        expect(all).toHaveLength(121)
        const refused = all.filter((p) =>
          p.status.state === "failed" && p.status.awaitOutput.type === "failure" &&
          p.status.awaitOutput.message.includes("the process tree would be 6 deep, past 5 (processes.maxTreeDepth)")
        )
        expect(refused).toHaveLength(81)
      }),
    120_000
  )
})

describe.each(backends)("%s: fairness", (_name, open) => {
  it.scopedLive("a process started before a loop of back-to-back turns with a fast model finishes before the loop", () =>
    Effect.gen(function*() {
      const storage = yield* open
      const { seen, tools } = overlapTool(100)
      const core = yield* buildCore(storage, TestProvider.builder().complete(() => "ok").build(), { tools: [tools] })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      const record = yield* core.processes().start(toolCallRegistration("background", envRef))
      const session = yield* core.openSession("busy")
      const start = yield* Clock.currentTimeMillis
      let turns = 0
      let finishedAfter: number | undefined
      // Synchronous turns for up to 5 s, checking after each one whether the background process is done.
      while ((yield* Clock.currentTimeMillis) - start < 5_000) {
        yield* session.turn(TurnInput.text(`turn ${turns}`)).run
        turns++
        if ((yield* core.processes().get(record.id)).status.state !== "running") {
          finishedAfter = turns
          break
        }
      }
      expect(seen.runs).toBe(1)
      expect(finishedAfter, `still running after ${turns} turns`).toBeDefined()
    }))
})
