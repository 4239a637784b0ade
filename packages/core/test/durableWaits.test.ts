/** Durable sleep and signals on the memory backend (the same scenarios run on SQLite in @lash/backend-sqlite). */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option } from "effect"
import { ProcessRegistry, TurnInput } from "../src/index.js"
import { sleepReleasesTheSlot, waitSignalThenSleepAcrossRestarts } from "./durableWaits.js"
import { buildCore } from "./fixtures.js"

describe("durable sleep and signals (memory)", () => {
  it.scoped("a sleeping process gives its slot up and resumes once at its deadline, without sleeping again", () =>
    Effect.flatMap(Layer.build(MemoryBackend.layer()), sleepReleasesTheSlot))

  it.scoped("a process that waits for a signal and sleeps until tomorrow survives two restarts, resuming once per event", () =>
    Effect.gen(function*() {
      // One memory store outlives the runtimes built over it: each restart is a new core (new worker, no fibers).
      const storage = yield* Layer.build(MemoryBackend.layer())
      yield* waitSignalThenSleepAcrossRestarts(Effect.succeed(storage))
    }))
})

describe("signal_run from Lashlang", () => {
  it.scopedLive("a turn signals its own process through a listed handle; a bad payload is an error the model sees", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const fence = (code: string) => "```lashlang\n" + code + "\n```"
      const provider = TestProvider.builder()
        .reply(
          fence(`process greet() signals { go: { who: str } } { s = wait_signal("go")\n finish s.who }
h = start greet()
submit "started"`),
          fence(`ps = await processes.list({})?\nsignal_run(ps[0], "go", { who: 1 })`),
          fence(`ps = await processes.list({})?\nsignal_run(ps[0], "go", { who: "bob" })\nsubmit (await ps[0])?`)
        )
        .build()
      const core = yield* buildCore(storage, provider, {
        mode: "rlm",
        rlm: { abilities: LashlangAbilities.all },
        worker: { leaseTtl: "1 second", renewEvery: "250 millis" }
      })
      const session = yield* core.openSession("signaller")
      yield* session.turn(TurnInput.text("start")).run
      const out = yield* session.turn(TurnInput.text("signal it")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("bob")
      const transcript = JSON.stringify(session.readView().messages)
      expect(transcript).toContain("signal_run failed: signal `go` of process `greet` has an invalid payload: $.who")
    }))
})

describe("signal names at link time and at run time", () => {
  it.scopedLive("a block signalling a process it starts is refused at link time; a listed handle is checked at run time", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const fence = (code: string) => "```lashlang\n" + code + "\n```"
      const greet = `process greet() signals { go: { who: str } } { s = wait_signal("go")\n finish s.who }`
      const provider = TestProvider.builder()
        // Target known (h = start greet()): the whole block is refused before anything runs.
        .reply(fence(`${greet}\nh = start greet()\nsignal_run(h, "stop", 1)\nsubmit "sent"`))
        .reply(fence(`${greet}\nh = start greet()\nsubmit "started"`))
        // Target unknown at link time (a listed handle): the host refuses the name; nothing is delivered.
        .reply(fence(`ps = await processes.list({})?\nsignal_run(ps[0], "stop", 1)`))
        .reply(fence(`ps = await processes.list({})?\nsubmit len(ps)`))
        .reply(fence(`ps = await processes.list({})?\nsignal_run(ps[0], "go", { who: "ann" })\nsubmit (await ps[0])?`))
        .build()
      const core = yield* buildCore(storage, provider, {
        mode: "rlm",
        rlm: { abilities: LashlangAbilities.all },
        worker: { leaseTtl: "1 second", renewEvery: "250 millis" }
      })
      const session = yield* core.openSession("signal-names")
      const first = yield* session.turn(TurnInput.text("start and signal")).run
      expect(Option.getOrNull(first.submittedValue)).toBe("started")
      const transcript = () => JSON.stringify(session.readView().messages)
      expect(transcript()).toContain("process `greet` declares no signal `stop`")
      expect(transcript()).toContain("--> line 4, column 1")
      const second = yield* session.turn(TurnInput.text("signal it")).run
      expect(Option.getOrNull(second.submittedValue)).toBe(1)
      expect(transcript()).toContain("signal_run failed: process `greet` declares no signal `stop`")
      const events = yield* Context.get(storage, ProcessRegistry).eventsAfter(
        (yield* core.processes().list({})).processes[0]!.id,
        0
      )
      expect(events.filter((e) => e.eventType === "process.signal")).toEqual([])
      const third = yield* session.turn(TurnInput.text("now properly")).run
      expect(Option.getOrNull(third.submittedValue)).toBe("ann")
    }))
})

describe("cancelling a parked process", () => {
  it.scopedLive("a process waiting for a signal is unparked by a cancel request and ends cancelled", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const fence = (code: string) => "```lashlang\n" + code + "\n```"
      const provider = TestProvider.builder()
        .reply(fence(`process idle() signals { go: int } { n = wait_signal("go")\n finish n }
h = start idle()
submit "started"`))
        .build()
      const core = yield* buildCore(storage, provider, {
        mode: "rlm",
        rlm: { abilities: LashlangAbilities.all },
        worker: { leaseTtl: "1 second", renewEvery: "250 millis" }
      })
      const session = yield* core.openSession("cancel-parked")
      yield* session.turn(TurnInput.text("start")).run
      const registry = Context.get(storage, ProcessRegistry)
      let parked: ReadonlyArray<{ readonly processId: string }> = []
      for (let i = 0; i < 200 && parked.length === 0; i++) {
        yield* Effect.sleep("20 millis")
        parked = yield* registry.listParked()
      }
      expect(parked).toHaveLength(1)
      const id = parked[0]!.processId
      yield* core.processes().cancel(id, "no longer needed")
      expect(yield* core.processes().await(id).pipe(Effect.timeout("5 seconds"))).toEqual({
        type: "cancelled",
        message: "no longer needed"
      })
      expect(yield* registry.listParked()).toEqual([])
      // A signal to the ended process is refused and not kept.
      const refused = yield* Effect.flip(core.processes().signal(id, "go", 1))
      expect(refused).toMatchObject({ _tag: "ProcessSignalRejected", reason: "process_ended" })
    }))
})
