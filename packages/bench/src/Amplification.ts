/**
 * What a synchronous FULL commit does to the CPU work right after it. The same B1 turn commit, on the memory backend
 * (no I/O of its own), is timed right after one raw SQLite commit at FULL, right after one at NORMAL, and right after
 * nothing, the three interleaved commit by commit. On the machines this bench has run on, lash's commit code is
 * markedly slower right after an fsync, while a small tight loop (JSON text of a few KiB) is not: code with a large
 * footprint (the Effect runtime, Schema, the storage engine) pays for what the kernel's write path evicted. A B1 commit
 * at FULL runs its own code right after the claim's fsync and between its statements, so the gates that divide it by
 * a raw commit (B0a, B0c, LangGraph's put, all with little code of their own) carry this factor on lash's side only.
 */
import { MemoryBackend } from "@lash/backend-memory"
import { SessionId, SessionStore } from "@lash/core"
import { Context, Effect, Layer, Option } from "effect"
import { openFloor } from "./B0.js"
import { rootSession, turnCommit, userBatch } from "./Fixtures.js"
import { type Result, summarize, type Summary } from "./Stats.js"

/** The commit's time right after each kind of preceding step. */
export interface Amplification {
  readonly afterFull: Summary
  readonly afterNormal: Summary
  readonly afterNothing: Summary
}

type Before = keyof Amplification

const ORDER: ReadonlyArray<Before> = ["afterFull", "afterNormal", "afterNothing"]

/** Times `n` memory-backend B1 commits after each kind of step (after a warm-up of `warmup` rounds). */
export const amplification = (n: number, warmup: number): Promise<Amplification> => {
  const full = openFloor("full", 0)
  const normal = openFloor("normal", 0)
  const program = Effect.gen(function*() {
    const storage = yield* Layer.build(MemoryBackend.layer())
    const store = Context.get(storage, SessionStore)
    const sessionId = SessionId.make("bench-amplification")
    yield* store.create(rootSession(sessionId))
    let turn = 0
    const commitAfter = (before: Before) =>
      Effect.gen(function*() {
        yield* store.enqueue(userBatch(sessionId, turn))
        const claim = Option.getOrThrow(
          yield* store.claimReady({ sessionId, ownerId: "bench", boundary: "idle", ttlMs: 60_000, maxBatches: 1 })
        )
        const commit = turnCommit(sessionId, turn, { claim })
        turn++
        if (before === "afterFull") full.commits(1)
        if (before === "afterNormal") normal.commits(1)
        const t0 = process.hrtime.bigint()
        yield* store.commit(commit)
        return Number(process.hrtime.bigint() - t0) / 1e6
      })
    const samples: Record<Before, Array<number>> = { afterFull: [], afterNormal: [], afterNothing: [] }
    for (let round = 0; round < warmup + n; round++) {
      for (const before of ORDER) {
        const ms = yield* commitAfter(before)
        if (round >= warmup) samples[before].push(ms)
      }
    }
    return {
      afterFull: summarize(samples.afterFull),
      afterNormal: summarize(samples.afterNormal),
      afterNothing: summarize(samples.afterNothing)
    }
  })
  return Effect.runPromise(Effect.scoped(program)).finally(() => {
    full.close()
    normal.close()
  })
}

/** The reported (ungated) line: the commit right after a FULL commit ÷ right after nothing. */
export const amplificationResult = (a: Amplification): Result => ({
  id: "B1",
  variant: "memory commit right after a FULL commit",
  unit: "ms",
  summary: a.afterFull,
  baseline: "same commit after nothing",
  ratio: a.afterFull.p50 / a.afterNothing.p50,
  figures: { afterFull: a.afterFull.p50, afterNormal: a.afterNormal.p50, afterNothing: a.afterNothing.p50 },
  note: `CPU work right after an fsync: p50 ${a.afterFull.p50.toFixed(3)} ms after a raw FULL commit, ${
    a.afterNormal.p50.toFixed(3)
  } ms after a NORMAL one, ${a.afterNothing.p50.toFixed(3)} ms after nothing, interleaved; no I/O in the commit itself`
})
