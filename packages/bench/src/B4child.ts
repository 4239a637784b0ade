/**
 * Child process of B4: a fresh SqliteBackend + LashCore, `openSession` until the read view is ready, then `load`.
 * Before the timed open it opens the small warm-up session 30 times: a fresh process's first opens are mostly JIT
 * compilation of the open path (one open varied 7–38 ms between runs on the same file, bimodally, for 10² and 10⁴
 * turns alike), which says nothing about history length. The timed session's rows are untouched by this process.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { type SessionId, SessionStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { buildCore } from "./Core.js"

const [filename, sessionId, warmupSessionId] = process.argv.slice(2) as [string, string, string | undefined]
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6

const program = Effect.gen(function*() {
  const t0 = process.hrtime.bigint()
  const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
  const core = yield* buildCore(storage, { worker: { enabled: false, startupSweep: false } })
  const layerMs = ms(t0)
  if (warmupSessionId !== undefined) {
    for (let i = 0; i < 30; i++) yield* core.openSession(warmupSessionId, { create: false })
  }
  const t1 = process.hrtime.bigint()
  const session = yield* core.openSession(sessionId, { create: false })
  const view = session.readView()
  const openMs = ms(t1)
  const t2 = process.hrtime.bigint()
  yield* Context.get(storage, SessionStore).load(sessionId as SessionId)
  const loadMs = ms(t2)
  return { layerMs, openMs, loadMs, messages: view.messages.length }
})

Effect.runPromise(Effect.scoped(program)).then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
