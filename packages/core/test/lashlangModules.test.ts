/**
 * The runtime's own Lashlang modules: `processes.list`, `triggers.list` and `triggers.cancel`, each confined to the
 * caller's session, or, in a process the host started without a session, to what that process made.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { rebuildSurfacePlugin } from "@lash/testing"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option } from "effect"
import {
  ArtifactStore,
  LashlangProcessInput,
  type LashStorage,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  type StorageSignals,
  TurnInput
} from "../src/index.js"
import { buildCore } from "./fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

const SETUP = (label: string) =>
  `process idle(n: int) { finish n }
process remember(tick: clock.Tick) { finish tick.id }
h = start idle(n: 1)
t = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: remember, inputs: { tick: trigger.event }, name: "${label}" })?
submit t.id`

/** An rlm core whose model answers each turn with the program `run` is given; `run` returns the submitted value. */
const rlmCore = (storage: Context.Context<LashStorage | StorageSignals>) =>
  Effect.gen(function*() {
    let program = ""
    const provider = TestProvider.builder().complete(() => fence(program)).build()
    const core = yield* buildCore(storage, provider, {
      mode: "rlm",
      rlm: { abilities: LashlangAbilities.all },
      plugins: [rebuildSurfacePlugin]
    })
    const run = (sessionId: string, code: string) =>
      Effect.gen(function*() {
        program = code
        const session = yield* core.openSession(sessionId)
        const out = yield* session.turn(TurnInput.text("go")).run
        return Option.getOrNull(out.submittedValue) as unknown
      })
    return { core, run }
  })

describe("processes.list, triggers.list and triggers.cancel", () => {
  it.scopedLive("each session sees and cancels only its own processes and registrations", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const { run } = yield* rlmCore(storage)
      const handleA = (yield* run("alpha", SETUP("a-daily"))) as string
      const handleB = (yield* run("beta", SETUP("b-daily"))) as string
      expect(handleA).not.toBe(handleB)

      const listed = (yield* run(
        "alpha",
        `ps = await processes.list({})?
ts = await triggers.list({})?
submit { ps: ps, ts: ts, running: len(await processes.list({ status: "running" })?) + len(await processes.list({ status: "terminal" })?) }`
      )) as {
        readonly ps: ReadonlyArray<Record<string, unknown>>
        readonly ts: ReadonlyArray<Record<string, unknown>>
        readonly running: number
      }
      expect(listed.ps).toHaveLength(1)
      expect(listed.ps[0]).toMatchObject({ __handle__: "process", name: "idle" })
      expect(listed.running).toBe(1)
      expect(listed.ts).toEqual([
        expect.objectContaining({ type: "trigger_handle", id: handleA, name: "a-daily", enabled: true })
      ])

      // A listed entry is a handle: it can be awaited.
      expect(yield* run("alpha", `ps = await processes.list({})?\nsubmit (await ps[0])?`)).toBe(1)
      // Filters: by name and by target.
      expect(yield* run("alpha", `submit len(await triggers.list({ name: "b-daily" })?)`)).toBe(0)
      expect(
        yield* run(
          "alpha",
          `process remember(tick: clock.Tick) { finish tick.id }\nsubmit len(await triggers.list({ target: remember })?)`
        )
      ).toBe(1)

      // Another session's handle cannot be cancelled, and stays enabled.
      expect(yield* run("alpha", `submit await triggers.cancel({ handle: "${handleB}" })?`)).toBe(false)
      expect(yield* run("beta", `submit (await triggers.list({})?)[0].enabled`)).toBe(true)
      // The registrant's own cancel works once (by handle record), then answers false.
      expect(
        yield* run("beta", `t = (await triggers.list({})?)[0]\nsubmit await triggers.cancel({ handle: t })?`)
      ).toBe(true)
      expect(yield* run("beta", `submit await triggers.cancel({ handle: "${handleB}" })?`)).toBe(false)
      expect(yield* run("beta", `submit len(await triggers.list({ enabled: true })?)`)).toBe(0)
      expect(yield* run("alpha", `submit len(await triggers.list({ enabled: true })?)`)).toBe(1)

      // A session with nothing sees nothing.
      expect(
        yield* run("gamma", `submit [len(await processes.list({})?), len(await triggers.list({})?)]`)
      ).toEqual([0, 0])
      // Another session's process id is not a handle here.
      const alphaProcess = listed.ps[0]!.id as string
      const forged = yield* run(
        "gamma",
        `r = await { __handle__: "process", id: "${alphaProcess}" }\nsubmit r.ok`
      )
      expect(forged).toBe(false)
    }))

  it.scopedLive("a host-started process lists and cancels its own registrations, not another process's or a session's", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const MODULE = `process remember(tick: clock.Tick) { finish tick.id }
process holder(label: str) {
  t = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: remember, inputs: { tick: trigger.event }, name: label })?
  finish t.id
}
process canceller(label: str, foreign: str) {
  t = await triggers.register({ source: clock.Alarm({ at: "09:00" }), target: remember, inputs: { tick: trigger.event }, name: label })?
  listed = await triggers.list({})?
  foreign_cancel = await triggers.cancel({ handle: foreign })?
  own = await triggers.cancel({ handle: t })?
  again = await triggers.cancel({ handle: t.id })?
  names = []
  for e in listed { names = names + [e.name] }
  finish { names: names, foreign: foreign_cancel, own: own, again: again }
}`
      const { core, run } = yield* rlmCore(storage)
      // A session stores the module (and registers one of its own through a holder it starts).
      const sessionHandle = yield* run(
        "owner",
        `${MODULE}\nh = start holder(label: "session-holder")\nsubmit (await h)?`
      )
      const seed = (yield* core.processes().list({ kind: "lashlang" })).processes[0]!
      const input = LashlangProcessInput.make(
        seed.input.type === "engine" ? seed.input.payload as never : ({} as never)
      )
      const artifact = Option.getOrThrow(yield* Context.get(storage, ArtifactStore).get(input.moduleRef))
      // The host starts processes of that module without a session, as an application would.
      const hostStart = (id: string, name: "holder" | "canceller", args: Record<string, string>) =>
        core.processes().start(ProcessRegistration.make({
          id: id as ProcessId,
          input: {
            type: "engine",
            kind: "lashlang",
            payload: { ...input, processName: name, processRef: artifact.exports.processes[name]!.ref, args }
          },
          identity: { kind: "lashlang", label: name },
          provenance: ProcessProvenance.host(),
          ...(seed.envRef === undefined ? {} : { envRef: seed.envRef })
        }))
      yield* hostStart("job", "holder", { label: "host-holder" })
      const holderOut = yield* core.processes().await("job")
      expect(holderOut.type).toBe("success")
      const holderHandle = holderOut.type === "success" ? holderOut.value as string : ""
      // Its id extends the holder's: the holder's registration is still not its own.
      yield* hostStart("job:canceller", "canceller", { label: "host-canceller", foreign: holderHandle })
      expect(yield* core.processes().await("job:canceller")).toEqual({
        type: "success",
        value: { names: ["host-canceller"], foreign: false, own: true, again: false }
      })
      // A second canceller cannot touch the session's registration either.
      yield* hostStart("other", "canceller", { label: "other-canceller", foreign: sessionHandle as string })
      expect(yield* core.processes().await("other")).toMatchObject({ value: { foreign: false, own: true } })
      const enabled = (yield* core.triggers().list({ enabled: true })).map((r) => r.name).sort()
      expect(enabled).toEqual(["host-holder", "session-holder"])
      // A session cannot cancel a host process's registration.
      expect(yield* run("owner", `submit await triggers.cancel({ handle: "${holderHandle}" })?`)).toBe(false)
      expect(yield* run("owner", `ts = await triggers.list({})?\nsubmit [len(ts), ts[0].name]`)).toEqual([
        1,
        "session-holder"
      ])
    }))
})
