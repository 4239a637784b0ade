/**
 * B8, peers on the same machine in the same run.
 * - LangGraph.js `SqliteSaver.put` (`@langchain/langgraph-checkpoint-sqlite`, better-sqlite3, WAL) of a checkpoint
 *   carrying the same payload as our B1 turn (2 × 1 KiB messages + 4 KiB of state), at `synchronous` FULL (set
 *   explicitly, as in B0a/B1), vs our B1 FULL turn commit measured here again on the same kind of file.
 * - Restate (a local `restate-server` + the Node SDK, a 3-step durable handler: `Restate.ts`) vs our 3-effect
 *   journaled Lashlang process (`ThreeStep.ts`), both timed call → result, sequentially, in the same run.
 */
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint"
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite"
import { b1 } from "./B1.js"
import { tempDir } from "./Fixtures.js"
import { runRestate } from "./Restate.js"
import { type Result, summarize, timeAsync } from "./Stats.js"
import { runThreeStep } from "./ThreeStep.js"

const filler = (bytes: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes)

const langgraphPut = async (n: number) => {
  const tmp = tempDir("b8-langgraph")
  try {
    const saver = SqliteSaver.fromConnString(tmp.file("checkpoints.db")) // `setup` (create tables, WAL) is protected; call it first so the pragma below is not overridden.
    ;(saver as unknown as { setup(): void }).setup()
    saver.db.pragma("synchronous = FULL")
    const sync = saver.db.pragma("synchronous", { simple: true })
    const journal = saver.db.pragma("journal_mode", { simple: true })
    let parent: string | undefined
    const samples = await timeAsync(n, Math.min(200, n), async (i) => {
      const checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(i),
        channel_values: {
          messages: [
            { role: "user", content: filler(1024) },
            { role: "assistant", content: filler(1024) }
          ],
          plugin: filler(4096)
        },
        channel_versions: { messages: i + 2, plugin: i + 2 }
      }
      const config = {
        configurable: {
          thread_id: "bench",
          checkpoint_ns: "",
          ...(parent === undefined ? {} : { checkpoint_id: parent })
        }
      }
      const out = await saver.put(config, checkpoint, { source: "loop", step: i, parents: {} })
      parent = out.configurable?.checkpoint_id as string | undefined
    })
    saver.db.close()
    return { summary: summarize(samples), pragmas: `journal_mode ${journal}, synchronous ${sync}` }
  } finally {
    tmp.dispose()
  }
}

export const b8 = async (
  options: { readonly n: number; readonly full: boolean; readonly floorFullP50: number }
): Promise<ReadonlyArray<Result | string>> => {
  const out: Array<Result | string> = []
  try {
    const lg = await langgraphPut(options.n)
    const ours = await b1("full", options.n)
    out.push({
      id: "B8",
      variant: "langgraph SqliteSaver.put full",
      unit: "ms",
      summary: lg.summary,
      baseline: "B0a",
      ratio: lg.summary.p50 / options.floorFullP50,
      note: `@langchain/langgraph-checkpoint-sqlite 1.0.4, ${lg.pragmas}; 2 × 1 KiB messages + 4 KiB state`
    })
    out.push({
      id: "B8",
      variant: "lash B1 commit full (same run)",
      unit: "ms",
      summary: ours,
      baseline: "langgraph put",
      ratio: ours.p50 / lg.summary.p50,
      // Issue 18's gate: a durable turn commit no slower than LangGraph's checkpoint put.
      gate: { max: 1 },
      note: "our turn commit ÷ LangGraph's checkpoint put, both synchronous FULL, WAL"
    })
  } catch (e) {
    out.push(`B8 langgraph skipped: ${String(e).split("\n")[0]}`)
  }
  const n3 = options.full ? 1000 : 200
  try {
    const ours = await runThreeStep(n3, 20)
    let peer: Awaited<ReturnType<typeof runRestate>> | undefined
    try {
      peer = await runRestate(n3, 20)
    } catch (e) {
      out.push(`B8 restate skipped: ${String((e as Error)?.message ?? e).split("\n")[0]}`)
    }
    if (peer !== undefined) {
      out.push({
        id: "B8",
        variant: "restate 3-step handler",
        unit: "ms",
        summary: peer.summary,
        baseline: "B0a",
        ratio: peer.summary.p50 / options.floorFullP50,
        note: `${peer.note}; server start ${peer.startupMs.toFixed(0)} ms`
      })
    }
    out.push({
      id: "B8",
      variant: "lash 3-step journaled process",
      unit: "ms",
      summary: ours,
      ...(peer === undefined
        ? { baseline: "B0a", ratio: ours.p50 / options.floorFullP50 }
        // Issue 18's gate: the 3-step process stays faster than Restate's handler.
        : { baseline: "restate 3-step", ratio: ours.p50 / peer.summary.p50, gate: { max: 1 } }),
      note:
        "trigger emit → Lashlang process with 3 journaled tool_call effects (SQLite FULL) → core.processes().await; ratio < 1 = faster than Restate"
    })
  } catch (e) {
    out.push(`B8 three-step skipped: ${String((e as Error)?.message ?? e).split("\n")[0]}`)
  }
  return out
}
