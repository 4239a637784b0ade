/**
 * Child process of B4: a fresh SqliteBackend + LashCore; opens the small warm-up session 30 times, then opens each
 * measured session once, in the order given, timing `openSession` until the read view is ready; then the full `load`
 * of each. A fresh process's first opens are mostly JIT compilation of the open path (one open varied 7–38 ms between
 * runs on the same file, bimodally, for 10² and 10⁴ turns alike), which says nothing about history length: the
 * warm-up pays that. The measured sessions' rows are untouched before their timed open in this process.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { type SessionId, SessionStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import type { B4ChildOut } from "./B4.js"
import { buildCore } from "./Core.js"

const [filename, warmupSessionId, ...sessionIds] = process.argv.slice(2) as [string, string, ...Array<string>]
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6

const program = Effect.gen(function*() {
  const t0 = process.hrtime.bigint()
  const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
  const core = yield* buildCore(storage, { worker: { enabled: false, startupSweep: false } })
  const layerMs = ms(t0)
  for (let i = 0; i < 30; i++) yield* core.openSession(warmupSessionId, { create: false })
  const out: Record<string, B4ChildOut> = {}
  for (const sessionId of sessionIds) {
    const t1 = process.hrtime.bigint()
    const session = yield* core.openSession(sessionId, { create: false })
    const view = session.readView()
    out[sessionId] = { layerMs, openMs: ms(t1), loadMs: 0, messages: view.messages.length }
  }
  for (const sessionId of sessionIds) {
    const t2 = process.hrtime.bigint()
    yield* Context.get(storage, SessionStore).load(sessionId as SessionId)
    out[sessionId] = { ...out[sessionId]!, loadMs: ms(t2) }
  }
  return out
})

Effect.runPromise(Effect.scoped(program)).then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
