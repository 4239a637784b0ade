/**
 * B5, memory per idle session: `sessions` sessions with 50-turn and with 500-turn histories (2 message nodes of
 * 512 B per turn, written as one append commit per session), then in a fresh child process (`--expose-gc`,
 * B5child.ts) a LashCore over SqliteBackend opens them all and keeps the handles; `heapUsed + external` delta after
 * `global.gc()`, per session. Baselines: the bytes of the session's own persisted JSON (`JSON.stringify` of
 * `SessionStore.load`, UTF-8) — the enforced ratio —, and the spec's bytes(500 turns) / bytes(50 turns) and leak
 * (after close / before open), reported. SQLite's own page cache is native memory outside `heapUsed + external`.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { SessionStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { runChild } from "./Child.js"
import { benchPolicy, rootSession, tempDir, turnCommit } from "./Fixtures.js"

export interface B5ChildOut {
  readonly bytesPerSession: number
  readonly jsonBytesPerSession: number
  readonly beforeOpen: number
  readonly afterClose: number
  readonly openMs: number
}

export interface B5Point extends B5ChildOut {
  readonly turns: number
}

/** One commit appending `turns` turns (2 nodes each) of 512 B messages. */
const history = (sessionId: string, turns: number) => {
  const one = turnCommit(sessionId, 0, { nodeBytes: 512 })
  const nodes = []
  for (let t = 0; t < turns; t++) {
    const c = turnCommit(sessionId, t, { nodeBytes: 512 })
    if (c.graph.type === "append") nodes.push(...c.graph.nodes)
  }
  const last = nodes[nodes.length - 1]
  return {
    ...one,
    config: benchPolicy,
    graph: { type: "append" as const, nodes, ...(last === undefined ? {} : { leafNodeId: last.nodeId }) },
    checkpoint: { ...one.checkpoint, turnIndex: turns }
  }
}

export const b5 = async (sessions: number, turnsList: ReadonlyArray<number>): Promise<ReadonlyArray<B5Point>> => {
  const out: Array<B5Point> = []
  for (const turns of turnsList) {
    const tmp = tempDir("b5")
    const filename = tmp.file("lash.db")
    try {
      await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function*() {
            const storage = yield* Layer.build(SqliteBackend.layer({ filename, synchronous: "normal" }))
            const store = Context.get(storage, SessionStore)
            for (let s = 0; s < sessions; s++) {
              const sessionId = `b5-${s}`
              yield* store.create(rootSession(sessionId))
              const { turnStamp: _stamp, ...commit } = history(sessionId, turns)
              yield* store.commit(commit)
            }
          })
        )
      )
      const r = await runChild<B5ChildOut>("B5child.ts", [filename, String(sessions), String(turns)], {
        exposeGc: true
      })
      out.push({ turns, ...r })
    } finally {
      tmp.dispose()
    }
  }
  return out
}
