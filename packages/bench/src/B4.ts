/**
 * B4, cold session reopen vs history: sessions with 10², 10³, 10⁴ committed turns (10⁵ with `--full`), 2 message
 * nodes of ~1 KiB per turn (Fixtures.turnCommit, written through `SessionStore.commit`). Every handle is closed, then
 * each round builds a fresh SqliteBackend + LashCore in a fresh child process (B4child.ts), opens a small warm-up
 * session (so JIT compilation of the open path is not what is measured) and times `openSession` until `readView()` is
 * ready for each size once, in rotating order; the full `SessionStore.load` is reported too. The OS page cache stays
 * warm (the file was just written): this is a process-cold, not a disk-cold, reopen.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { SessionStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { runChild } from "./Child.js"
import { HISTORY_WINDOW, rootSession, tempDir, turnCommit } from "./Fixtures.js"
import { summarize, type Summary } from "./Stats.js"

export interface B4Point {
  readonly turns: number
  readonly open: Summary
  /** The fastest of the reopens: process noise only ever adds time. */
  readonly openMin: number
  readonly load: Summary
  readonly layer: Summary
  readonly messages: number
}

export interface B4ChildOut {
  readonly layerMs: number
  readonly openMs: number
  readonly loadMs: number
  readonly messages: number
}

const WARMUP = "b4-warmup"

export interface B4Out {
  readonly points: ReadonlyArray<B4Point>
  /** t(largest) / t(smallest) within each round (one child), summarized over rounds. */
  readonly pairedRatio: Summary
}

export const b4 = async (sizes: ReadonlyArray<number>, reps: number): Promise<B4Out> => {
  const tmp = tempDir("b4")
  const filename = tmp.file("lash.db")
  try {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function*() {
          // Histories are written at NORMAL for speed; every reopen runs at the default FULL.
          const storage = yield* Layer.build(SqliteBackend.layer({ filename, synchronous: "normal" }))
          const store = Context.get(storage, SessionStore)
          for (const turns of sizes) {
            const sessionId = `b4-${turns}`
            yield* store.create(rootSession(sessionId))
            for (let i = 0; i < turns; i++) yield* store.commit(turnCommit(sessionId, i))
          }
          // The child's JIT warm-up target: a separate small session, so the timed one stays untouched.
          yield* store.create(rootSession(WARMUP))
          for (let i = 0; i < 10; i++) yield* store.commit(turnCommit(WARMUP, i))
        })
      )
    )
    // Rounds, not one size after another: each round is one child that opens every size once, in an order that
    // rotates between rounds, so load on a shared machine moves all sizes alike and the per-round ratio pairs samples
    // taken a few milliseconds apart. The gated figure is the median of those paired ratios.
    const perSize = new Map<number, Array<B4ChildOut>>(sizes.map((turns) => [turns, []]))
    const paired: Array<number> = []
    for (let r = 0; r < reps; r++) {
      const order = sizes.map((_, i) => sizes[(i + r) % sizes.length]!)
      const round = await runChild<Record<string, B4ChildOut>>(
        "B4child.ts",
        [filename, WARMUP, ...order.map((turns) => `b4-${turns}`)]
      )
      for (const turns of sizes) perSize.get(turns)!.push(round[`b4-${turns}`]!)
      paired.push(round[`b4-${sizes[sizes.length - 1]}`]!.openMs / round[`b4-${sizes[0]}`]!.openMs)
    }
    const out: Array<B4Point> = []
    for (const turns of sizes) {
      const runs = perSize.get(turns)!
      // The read view after a reopen is the recent active path (the core loads at most HISTORY_WINDOW nodes; a turn
      // loads the rest).
      const expected = Math.min(2 * turns, HISTORY_WINDOW)
      if (runs.some((x) => x.messages !== expected)) {
        throw new Error(`B4: read view of b4-${turns} has ${runs[0]?.messages} messages, expected ${expected}`)
      }
      out.push({
        turns,
        open: summarize(runs.map((x) => x.openMs)),
        openMin: Math.min(...runs.map((x) => x.openMs)),
        load: summarize(runs.map((x) => x.loadMs)),
        layer: summarize(runs.map((x) => x.layerMs)),
        messages: runs[0]?.messages ?? 0
      })
    }
    return { points: out, pairedRatio: summarize(paired) }
  } finally {
    tmp.dispose()
  }
}
