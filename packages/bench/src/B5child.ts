/** Child process of B5 (`--expose-gc`): opens every session, keeps the handles, measures, closes, re-measures. */
import { SqliteBackend } from "@lash/backend-sqlite"
import { type LashSession, type SessionId, SessionStore } from "@lash/core"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { buildCore } from "./Core.js"
import { HISTORY_WINDOW } from "./Fixtures.js"

const [filename, sessionsArg, turnsArg] = process.argv.slice(2) as [string, string, string]
const sessions = Number(sessionsArg)
const turns = Number(turnsArg)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("B5child needs --expose-gc")
const used = () => {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

const program = Effect.gen(function*() {
  const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
  const coreScope = yield* Scope.make()
  const core = yield* buildCore(storage, { worker: { enabled: false, startupSweep: false } }).pipe(
    Scope.extend(coreScope)
  )
  // Warm the code paths once so that JIT / module state does not count as session memory.
  yield* core.openSession("b5-warm")
  let handles: Array<LashSession> = []
  const beforeOpen = used()
  const t0 = process.hrtime.bigint()
  for (let s = 0; s < sessions; s++) handles.push(yield* core.openSession(`b5-${s}`, { create: false }))
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6
  const afterOpen = used()
  // An opened session holds its recent active path only (at most HISTORY_WINDOW nodes; a turn loads the rest).
  if (handles.some((h) => h.readView().messages.length !== Math.min(2 * turns, HISTORY_WINDOW))) {
    throw new Error("B5: unexpected read view")
  }
  handles = []
  yield* Scope.close(coreScope, Exit.void)
  const afterClose = used()
  let json = 0
  const store = Context.get(storage, SessionStore)
  for (let s = 0; s < sessions; s++) {
    json += Buffer.byteLength(JSON.stringify(yield* store.load(`b5-${s}` as SessionId)))
  }
  return {
    bytesPerSession: (afterOpen - beforeOpen) / sessions,
    jsonBytesPerSession: json / sessions,
    beforeOpen,
    afterClose,
    openMs
  }
})

Effect.runPromise(Effect.scoped(program)).then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
