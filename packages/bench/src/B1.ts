/**
 * B1, the durable turn commit: `SessionStore.commit` of a realistic turn (Fixtures.turnCommit: 2 message nodes of
 * ~1 KiB, a 4 KiB plugin snapshot, usage, a turn stamp, one completed queued-work claim) through
 * `SqliteBackend.layer({ filename, synchronous })` (`b1`), or any storage layer (`b1On`: Postgres in `pnpm bench`). Only the
 * commit is timed; the enqueue + claim that give it a claim to complete run before the clock starts.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { type LashStorage, SessionStore, type StorageSignals } from "@lash/core"
import { Context, Effect, Layer, Option } from "effect"
import { rootSession, tempDir, turnCommit, userBatch } from "./Fixtures.js"
import type { Pairing } from "./Paired.js"
import { timed } from "./Profile.js"
import { summarize, type Summary } from "./Stats.js"

/** B1's wall-clock summary plus the process CPU time (user + system) per commit, a steadier figure on a busy machine. */
export interface B1Summary extends Summary {
  readonly cpuMsPerCommit: number
  /** With a pairing: the per-round ratios of the commits to their floor blocks (Paired.ts). */
  readonly paired?: Summary
  /** The measured commit times (ms), in order: what each of several pairings divides (`Pairing.ratios`). */
  readonly samples: ReadonlyArray<number>
}

/** B1 on SQLite at one synchronous level, in a temp directory; `pairing` interleaves floor blocks (Paired.ts). */
export const b1 = (synchronous: "full" | "normal", n: number, pairing?: Pairing): Promise<B1Summary> => {
  const tmp = tempDir("b1")
  return b1On(SqliteBackend.layer({ filename: tmp.file("lash.db"), synchronous }), n, pairing).finally(tmp.dispose)
}

/** B1 over a storage layer (built and released here). */
export const b1On = (
  layer: Layer.Layer<LashStorage | StorageSignals, unknown>,
  n: number,
  pairing?: Pairing
): Promise<B1Summary> => {
  const program = Effect.gen(function*() {
    const storage = yield* Layer.build(layer)
    const store = Context.get(storage, SessionStore)
    const sessionId = "bench-b1"
    yield* store.create(rootSession(sessionId))
    const warmup = Math.min(200, n)
    const samples: Array<number> = []
    let cpuMicros = 0
    for (let i = 0; i < warmup + n; i++) {
      yield* store.enqueue(userBatch(sessionId, i))
      const claim = Option.getOrThrow(
        yield* store.claimReady({
          sessionId: sessionId as never,
          ownerId: "bench",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 1
        })
      )
      const commit = turnCommit(sessionId, i, { claim })
      const cpu0 = process.cpuUsage()
      const t0 = process.hrtime.bigint()
      yield* store.commit(commit)
      const t1 = process.hrtime.bigint()
      const cpu = process.cpuUsage(cpu0)
      const ms = Number(t1 - t0) / 1e6
      if (i >= warmup) {
        timed(t0, t1)
        samples.push(ms)
        cpuMicros += cpu.user + cpu.system
        if (pairing !== undefined) yield* pairing.between(i - warmup)
      }
    }
    return {
      ...summarize(samples),
      cpuMsPerCommit: cpuMicros / 1000 / n,
      samples,
      ...(pairing === undefined ? {} : { paired: pairing.ratios(samples) })
    }
  })
  return Effect.runPromise(Effect.scoped(program))
}
