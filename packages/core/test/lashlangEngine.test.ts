/**
 * The `lashlang` process engine (internal/lashlangEngine.ts): a stored module is read from the artifact store once per
 * engine, however many of its processes run.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Option } from "effect"
import { ArtifactStore, TurnInput } from "../src/index.js"
import { buildCore } from "./fixtures.js"

const PROGRAM = `process twice(n: int) { finish n * 2 }
a = start twice(n: 1)
b = start twice(n: 2)
c = start twice(n: 3)
submit [(await a)?, (await b)?, (await c)?]`

describe("lashlang engine", () => {
  it.scopedLive("three processes of one module: the module is read from the artifact store once", () =>
    Effect.gen(function*() {
      const base = yield* Layer.build(MemoryBackend.layer())
      const real = Context.get(base, ArtifactStore)
      let reads = 0
      const storage = Context.add(base, ArtifactStore, {
        ...real,
        get: (ref) => Effect.suspend(() => (reads++, real.get(ref)))
      })
      const provider = TestProvider.builder().complete(() => "```lashlang\n" + PROGRAM + "\n```").build()
      const core = yield* buildCore(storage, provider, {
        mode: "rlm",
        rlm: { abilities: LashlangAbilities.all },
        worker: { maxConcurrent: 1, leaseTtl: "30 seconds", renewEvery: "10 seconds" }
      })
      const session = yield* core.openSession("owner")
      const out = yield* session.turn(TurnInput.text("go")).run.pipe(Effect.timeout("10 seconds"))
      expect(Option.getOrNull(out.submittedValue)).toEqual([2, 4, 6])
      expect(reads).toBe(1)
    }))
})
