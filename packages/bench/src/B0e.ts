/**
 * B0e, the floor of a one-row-per-commit layout: B1's whole payload (the two nodes, the next head with its 4 KiB plugin
 * snapshot, the turn stamp, the claim completion) as one JSON row appended to one table keyed by `(session, revision)`,
 * raw better-sqlite3, inside `BEGIN IMMEDIATE … COMMIT` after reading the session's latest revision (the head check).
 * It is what LangGraph's checkpoint put writes (one row and its key index) and the least any layout that stores
 * B1's payload durably can write; a real one-row layout would add at least an index for the stamp dedupe and the
 * claim check, and the reads that derive a head from the log.
 *
 * B0e / B0a answers "what would one row per commit give against the B0a gate": when B0e alone is above the gate, no
 * layout meets it. As in B0c and B1, an untimed autocommit write (standing in for the claim) comes before each timed
 * commit, so every commit runs right after a sync of its own database.
 */
import { Effect } from "effect"
import { openRawDatabase } from "./B0.js"
import { turnCommit, userBatch } from "./Fixtures.js"
import type { Floor } from "./Paired.js"
import { timeSelf } from "./Stats.js"

/** Opens a B0e floor at one synchronous level, warmed by `warmup` commits, in a temp directory of its own. */
export const openOneRowFloor = (
  synchronous: "full" | "normal",
  warmup: number
): Floor & { readonly file: string } => {
  const { db, file, dispose } = openRawDatabase("b0e", "log.db", synchronous)
  db.exec(
    `CREATE TABLE commit_log (session_id TEXT NOT NULL, revision INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (session_id, revision)) STRICT;
     CREATE TABLE claims (id INTEGER PRIMARY KEY, batch TEXT NOT NULL) STRICT`
  )
  const st = {
    begin: db.prepare("BEGIN IMMEDIATE"),
    commit: db.prepare("COMMIT"),
    claim: db.prepare("INSERT INTO claims (batch) VALUES (?)"),
    latest: db.prepare(
      "SELECT revision FROM commit_log WHERE session_id = ? ORDER BY revision DESC LIMIT 1"
    ),
    append: db.prepare("INSERT INTO commit_log (session_id, revision, record) VALUES (?, ?, ?)")
  }
  const sessionId = "bench-b0e"
  let i = 0
  const one = (): number => {
    const c = turnCommit(sessionId, i)
    st.claim.run(JSON.stringify(userBatch(sessionId, i)))
    const t0 = process.hrtime.bigint()
    st.begin.run()
    const latest = st.latest.get(sessionId) as { readonly revision: number } | undefined
    const revision = (latest?.revision ?? 0) + 1
    const record = {
      nodes: c.graph.type === "append" ? c.graph.nodes : [],
      head: {
        sessionId,
        headRevision: revision,
        relation: { type: "root" },
        config: c.config,
        frames: c.frames,
        currentFrameId: c.currentFrameId,
        checkpoint: c.checkpoint,
        leafNodeId: c.graph.leafNodeId
      },
      stamp: { turnId: c.turnStamp!.turnId, hash: c.turnStamp!.hash, result: { headRevision: revision } },
      completed: [`b0e-batch-${i}`]
    }
    st.append.run(sessionId, revision, JSON.stringify(record))
    st.commit.run()
    i++
    return Number(process.hrtime.bigint() - t0) / 1e6
  }
  timeSelf(0, warmup, one)
  return {
    file,
    block: (k) => Effect.sync(() => timeSelf(k, 0, one)),
    close: dispose
  }
}
