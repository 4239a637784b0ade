import Database from "better-sqlite3"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MemoryBackend } from "@lash/backend-memory"
import { SessionStore } from "@lash/core"
import { Context, Effect, Layer, Option } from "effect"
import { rootSession, turnCommit, userBatch } from "./src/Fixtures.js"
const dir = mkdtempSync(join(tmpdir(), "amp-"))
const db = new Database(join(dir, "a.db"))
db.pragma("journal_mode = WAL")
db.exec("CREATE TABLE t (x TEXT)")
const ins = db.prepare("INSERT INTO t VALUES (?)")
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(1)
const program = Effect.gen(function*() {
  const storage = yield* Layer.build(MemoryBackend.layer())
  const store = Context.get(storage, SessionStore)
  const sessionId = "amp"
  yield* store.create(rootSession(sessionId))
  let i = 0
  const one = (mode: "FULL" | "NORMAL" | "none") => Effect.gen(function*() {
    yield* store.enqueue(userBatch(sessionId, i))
    const claim = Option.getOrThrow(yield* store.claimReady({ sessionId: sessionId as never, ownerId: "b", boundary: "idle", ttlMs: 60_000, maxBatches: 1 }))
    const commit = turnCommit(sessionId, i, { claim })
    i++
    if (mode !== "none") { db.pragma(`synchronous = ${mode}`); ins.run("x".repeat(512)) }
    const t0 = process.hrtime.bigint()
    yield* store.commit(commit)
    return Number(process.hrtime.bigint() - t0) / 1e3
  })
  for (let w = 0; w < 500; w++) yield* one("none")
  for (let r = 0; r < 3; r++) {
    const out: Record<string, number[]> = { FULL: [], NORMAL: [], none: [] }
    for (let k = 0; k < 1500; k++) for (const m of ["FULL", "NORMAL", "none"] as const) out[m]!.push(yield* one(m))
    console.log("memory-backend commit p50 µs after: FULL insert", p50(out.FULL!), "| NORMAL insert", p50(out.NORMAL!), "| nothing", p50(out.none!))
  }
})
await Effect.runPromise(Effect.scoped(program))
