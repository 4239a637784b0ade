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
import { SqliteBackend } from "@lash/backend-sqlite"
import { Effect } from "effect"
import { openRowsFloor } from "./B0c.js"
import { b1, b1On } from "./B1.js"
import { tempDir } from "./Fixtures.js"
import { type Floor, floorRatios, inSequence, pairedResult, pairWithFloor } from "./Paired.js"
import { runRestate } from "./Restate.js"
import { type Result, summarize, timeAsync } from "./Stats.js"
import { runThreeStep } from "./ThreeStep.js"
import { ownersLine, walPages } from "./WalPages.js"

const filler = (bytes: number) => "lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes)

/**
 * LangGraph's checkpointer kept open on its own file at synchronous FULL: `block(k)` times `k` puts, each a child of
 * the last (a Floor, so B1 can be paired with it: Paired.ts).
 */
const openLangGraph = (file: string) => {
  const saver = SqliteSaver.fromConnString(file) // `setup` (create tables, WAL) is protected; call it first so the pragma below is not overridden.
  ;(saver as unknown as { setup(): void }).setup()
  saver.db.pragma("synchronous = FULL")
  const pragmas = `journal_mode ${saver.db.pragma("journal_mode", { simple: true })}, synchronous ${
    saver.db.pragma("synchronous", { simple: true })
  }`
  let parent: string | undefined
  let step = 0
  const put = async () => {
    const i = step++
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
  }
  const puts = (k: number, warmup: number) => timeAsync(k, warmup, put)
  return {
    pragmas,
    puts,
    block: (k: number) => Effect.promise(() => puts(k, 0)),
    close: () => saver.db.close()
  } satisfies Floor & { readonly pragmas: string; readonly puts: typeof puts }
}

/**
 * What a put and a B1 commit write: WAL pages per commit by b-tree (WalPages.ts), the same payloads as the timed
 * runs. Deterministic, so it explains the timed ratio on a machine whose disk moves.
 */
const pages = async (): Promise<ReadonlyArray<Result>> => {
  const tmp = tempDir("b8-pages")
  try {
    const putFile = tmp.file("checkpoints.db")
    let lg: ReturnType<typeof openLangGraph> | undefined
    const put = await walPages(putFile, async () => {
      lg = openLangGraph(putFile)
      await lg.puts(100, 0)
    }, (commit) => commit.has("checkpoints")).finally(() => lg?.close())
    const b1File = tmp.file("lash.db")
    const ours = await walPages(
      b1File,
      () => b1On(SqliteBackend.layer({ filename: b1File, synchronous: "full" }), 60).then(() => {}),
      (commit) => commit.has("lash_turn_stamps")
    )
    return [
      {
        id: "B8",
        variant: "langgraph put WAL pages",
        unit: "pages",
        summary: put.perCommit,
        note: ownersLine(put)
      },
      {
        id: "B8",
        variant: "lash B1 commit WAL pages",
        unit: "pages",
        summary: ours.perCommit,
        baseline: "langgraph put pages",
        ratio: ours.perCommit.mean / put.perCommit.mean,
        note: `mean ${ours.perCommit.mean.toFixed(1)} vs ${put.perCommit.mean.toFixed(1)}: ${ownersLine(ours, 14)}`
      }
    ]
  } finally {
    tmp.dispose()
  }
}

/** Puts per round when B1 is paired with LangGraph's put. */
const PUT_ROUND = 50

export const b8 = async (
  options: { readonly n: number; readonly full: boolean; readonly floorFullP50: number }
): Promise<ReadonlyArray<Result | string>> => {
  const out: Array<Result | string> = []
  try {
    const tmp = tempDir("b8-langgraph")
    const lg = openLangGraph(tmp.file("checkpoints.db"))
    try {
      const alone = summarize(await lg.puts(options.n, Math.min(200, options.n)))
      // B1 again, each round of its commits followed by as many puts on the open checkpointer, then as many commits
      // of B1's rows written raw (B0c.ts), whose ratio to the puts is the gate's floor (Paired.ts).
      const rows = await openRowsFloor("full", 200)
      const puts = pairWithFloor(lg, PUT_ROUND)
      const rowCommits = pairWithFloor(rows, PUT_ROUND)
      const ours = await b1("full", options.n, inSequence([puts, rowCommits])).finally(rows.close)
      out.push({
        id: "B8",
        variant: "langgraph SqliteSaver.put full",
        unit: "ms",
        summary: alone,
        baseline: "B0a",
        ratio: alone.p50 / options.floorFullP50,
        note: `@langchain/langgraph-checkpoint-sqlite 1.0.4, ${lg.pragmas}; 2 × 1 KiB messages + 4 KiB state`
      })
      out.push({
        id: "B8",
        variant: "lash B1 commit full (same run)",
        unit: "ms",
        summary: ours,
        baseline: "langgraph put",
        ratio: ours.p50 / alone.p50,
        note: "our turn commit ÷ LangGraph's checkpoint put measured before it, both synchronous FULL, WAL"
      })
      if (ours.paired !== undefined) {
        // Issue 18's gate: a durable turn commit no slower than LangGraph's checkpoint put.
        out.push(pairedResult({
          id: "B8",
          variant: "lash B1 commit full",
          baseline: { name: "langgraph put", samples: "puts" },
          ratios: ours.paired,
          max: 1,
          round: PUT_ROUND,
          what: "commits",
          floor: { name: "B0c", ratio: floorRatios(rowCommits, puts).p50 }
        }))
      }
    } finally {
      lg.close()
      tmp.dispose()
    }
    out.push(...(await pages()))
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
