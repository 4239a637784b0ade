/**
 * The runtime's own Lashlang modules: `processes.list`, `triggers.list` and `triggers.cancel`, each confined to the
 * caller's session.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { rebuildSurfacePlugin } from "@lash/testing"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option } from "effect"
import { TurnInput } from "../src/index.js"
import { buildCore } from "./fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

const SETUP = (label: string) =>
  `process idle(n: int) { finish n }
process remember(tick: clock.Tick) { finish tick.id }
h = start idle(n: 1)
t = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: remember, inputs: { tick: trigger.event }, name: "${label}" })?
submit t.id`

describe("processes.list, triggers.list and triggers.cancel", () => {
  it.scopedLive("each session sees and cancels only its own processes and registrations", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
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
})
