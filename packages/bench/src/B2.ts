/**
 * B2, process start → terminal through the worker: `core.processes().start(reg)` of a `tool_call` with an echo tool
 * (no model) on a LashCore over SqliteBackend, the in-process worker poked by the start; timed until
 * `core.processes().await` returns (`b2On`: over any storage layer, Postgres in `pnpm bench`). `n` sequential, then 16
 * concurrent (per-process wall time of the batch).
 * Exactly-once is checked as it goes: one `process.completed` event per process and one tool execution each.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { type LashStorage, type ProcessId, ProcessRegistry, type StorageSignals } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { buildCore, echoRegistration, echoTool, emptyEnv } from "./Core.js"
import { tempDir } from "./Fixtures.js"
import type { Pairing } from "./Paired.js"
import { summarize, type Summary, timeEffect } from "./Stats.js"

export interface B2Result {
  readonly sequential: Summary
  readonly concurrent16: Summary
  readonly processes: number
  /** With a pairing: the sequential samples' per-round ratios to their floor blocks (Paired.ts). */
  readonly paired?: Summary
}

/** B2 on SQLite at one synchronous level, in a temp directory; `pairing` interleaves floor blocks (Paired.ts). */
export const b2 = (
  synchronous: "full" | "normal",
  n: number,
  batches: number,
  pairing?: Pairing
): Promise<B2Result> => {
  const tmp = tempDir("b2")
  return b2On(SqliteBackend.layer({ filename: tmp.file("lash.db"), synchronous }), n, batches, pairing).finally(
    tmp.dispose
  )
}

/** B2 over a storage layer (built and released here). */
export const b2On = (
  layer: Layer.Layer<LashStorage | StorageSignals, unknown>,
  n: number,
  batches: number,
  pairing?: Pairing
): Promise<B2Result> => {
  const program = Effect.gen(function*() {
    const storage = yield* Layer.build(layer)
    const counter = { n: 0 }
    const core = yield* buildCore(storage, { tools: [echoTool(counter)] })
    const envRef = yield* core.processEnv.persist(emptyEnv)
    let started = 0
    const one = (id: string) =>
      Effect.gen(function*() {
        started++
        yield* core.processes().start(echoRegistration(id, envRef))
        const out = yield* core.processes().await(id)
        if (out.type !== "success") return yield* Effect.dieMessage(`B2 ${id}: ${JSON.stringify(out)}`)
      })
    const warmup = Math.min(50, n)
    // Warm-up calls get i = -1, -2, ...; every process id is b2-seq-<k>, k from 0 to warmup + n - 1.
    const seq = yield* timeEffect(n, warmup, (i) => one(`b2-seq-${i < 0 ? -1 - i : warmup + i}`), pairing?.between)
    const conc: Array<number> = []
    for (let b = 0; b < batches; b++) {
      const t0 = process.hrtime.bigint()
      yield* Effect.all(
        Array.from({ length: 16 }, (_, k) => one(`b2-conc-${b}-${k}`)),
        { concurrency: "unbounded" }
      )
      conc.push(Number(process.hrtime.bigint() - t0) / 1e6 / 16)
    }
    // Exactly-once: one completion event per process, one tool execution per process.
    const registry = Context.get(storage, ProcessRegistry)
    const ids = [
      ...Array.from({ length: warmup + n }, (_, i) => `b2-seq-${i}`),
      ...Array.from({ length: batches * 16 }, (_, i) => `b2-conc-${Math.floor(i / 16)}-${i % 16}`)
    ]
    for (const id of ids) {
      const events = yield* registry.eventsAfter(id as ProcessId, 0)
      const completed = events.filter((e) => e.eventType === "process.completed").length
      if (completed !== 1) {
        return yield* Effect.dieMessage(`B2 exactly-once violated: ${id} has ${completed} completion events`)
      }
    }
    if (counter.n !== started) {
      return yield* Effect.dieMessage(`B2 exactly-once violated: ${counter.n} tool executions for ${started} processes`)
    }
    return {
      sequential: summarize(seq),
      concurrent16: summarize(conc),
      processes: started,
      ...(pairing === undefined ? {} : { paired: pairing.ratios(seq) })
    } satisfies B2Result
  })
  return Effect.runPromise(Effect.scoped(program))
}
