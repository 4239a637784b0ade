/**
 * A session whose parent chain does not reach its root (a node lost or rewritten by corruption) fails with
 * `CorruptRecord` naming the node instead of opening on a cut history, and no turn ever commits on top of one: a cut
 * inside the open window fails the open, a deeper cut fails the next turn before its commit. Other sessions go on.
 * docs/storage-contract.md, "Session store".
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend, MemoryBackendInternals } from "@lash/backend-memory"
import { SqliteBackend, SqliteBackendInternals } from "@lash/backend-sqlite"
import { Cause, Context, Effect, Exit, Layer, Option, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  type LashStorage,
  type LlmProvider,
  type SessionId,
  SessionNode,
  SessionStore,
  type StorageSignals,
  TurnInput
} from "../../src/index.js"
import { HISTORY_WINDOW } from "../../src/internal/sessionState.js"
import { buildCore } from "../fixtures.js"

const provider: LlmProvider = {
  kind: "echo",
  complete: () => Effect.succeed({ text: "ok", toolCalls: [], usage: { input: 1, output: 1 } })
}

interface Opened {
  readonly storage: Context.Context<LashStorage | StorageSignals>
  /** Rewrites a node's record (its JSON), as a torn page could. */
  readonly rewriteNode: (sessionId: string, seq: number, node: SessionNode) => Effect.Effect<void>
  /** SQLite only: raw SQL on the file, to drop or re-point a node row. */
  readonly sql?: (statement: string) => Effect.Effect<void>
}

const encodeNode = (node: SessionNode) => JSON.stringify(Schema.encodeSync(SessionNode)(node))

const backends: ReadonlyArray<readonly [string, Effect.Effect<Opened, unknown, Scope.Scope>]> = [
  [
    "memory",
    Effect.map(Layer.build(MemoryBackend.layerWithInternals()), (ctx) => ({
      storage: ctx,
      rewriteNode: (sessionId, seq, node) =>
        Context.get(ctx, MemoryBackendInternals).corrupt("nodes", `${sessionId}#${seq}`, encodeNode(node))
    }))
  ],
  [
    "sqlite",
    Effect.flatMap(
      Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-parent-chain-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      ),
      (dir) =>
        Effect.map(
          Layer.build(SqliteBackend.layerWithInternals({ filename: path.join(dir, "lash.db") })),
          (ctx) => {
            const internals = Context.get(ctx, SqliteBackendInternals)
            return {
              storage: ctx,
              rewriteNode: (sessionId, seq, node) =>
                internals.corrupt("nodes", `${sessionId}#${seq}`, encodeNode(node)),
              sql: (statement) => Effect.orDie(Effect.asVoid(internals.sql.unsafe(statement)))
            }
          }
        )
    )
  ]
]

/** Runs `turns` turns on `sessionId` with a fresh core. */
const runTurns = (storage: Opened["storage"], sessionId: string, turns: number) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* (yield* buildCore(storage, provider)).openSession(sessionId)
    for (let i = 0; i < turns; i++) yield* session.turn(TurnInput.text(`turn ${i}`)).run
  }))

const headRevision = (storage: Opened["storage"], sessionId: string) =>
  Effect.map(
    Context.get(storage, SessionStore).loadHead(sessionId as SessionId),
    (head) => Option.getOrThrow(head).headRevision
  )

const failureOf = <A, E>(
  exit: Exit.Exit<A, E>
) => (Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none())

/** After the cut: the victim fails with CorruptRecord naming a node, commits nothing; the bystander goes on. */
const expectContained = (opened: Opened, victim: string, attempt: Effect.Effect<unknown, unknown, Scope.Scope>) =>
  Effect.gen(function*() {
    const before = yield* headRevision(opened.storage, victim)
    const exit = yield* Effect.exit(Effect.scoped(attempt))
    expect(Option.getOrNull(failureOf(exit))).toMatchObject({
      _tag: "CorruptRecord",
      port: "SessionStore",
      key: expect.stringMatching(new RegExp(`^session:${victim}(/node:\\d+)?$`))
    })
    expect(yield* headRevision(opened.storage, victim)).toBe(before)
    // A bystander session opens and runs a turn on the same store.
    yield* runTurns(opened.storage, "bystander", 1)
  })

const openAndRun = (storage: Opened["storage"], sessionId: string) =>
  Effect.gen(function*() {
    const session = yield* (yield* buildCore(storage, provider)).openSession(sessionId)
    return yield* session.turn(TurnInput.text("on top of a cut history?")).run
  })

describe("a session whose parent chain does not reach its root", () => {
  for (const [name, open] of backends) {
    it.live(`${name}: a node record rewritten to another parent fails the open with CorruptRecord`, () =>
      Effect.gen(function*() {
        const opened = yield* open
        yield* runTurns(opened.storage, "bystander", 1)
        yield* runTurns(opened.storage, "victim", 3)
        const stored = Option.getOrThrow(yield* Context.get(opened.storage, SessionStore).load("victim" as SessionId))
        const seq = 3
        const node = stored.graph.nodes[seq]!
        yield* opened.rewriteNode("victim", seq, { ...node, parentNodeId: "node-that-never-was" })
        yield* expectContained(opened, "victim", openAndRun(opened.storage, "victim"))
      }).pipe(Effect.scoped))
  }

  it.live("sqlite: a lost node row fails the open with CorruptRecord naming the node whose parent is gone", () =>
    Effect.gen(function*() {
      const opened = yield* backends[1]![1]
      yield* runTurns(opened.storage, "victim", 3)
      yield* opened.sql!("DELETE FROM lash_graph_nodes WHERE session_id = 'victim' AND seq = 2")
      yield* expectContained(opened, "victim", openAndRun(opened.storage, "victim"))
      const exit = yield* Effect.exit(Effect.scoped(openAndRun(opened.storage, "victim")))
      expect(Option.getOrNull(failureOf(exit))).toMatchObject({ key: "session:victim/node:3" })
    }).pipe(Effect.scoped))

  it.live("sqlite: a parent column re-pointed to a newer node (a cycle) is refused, never walked forever", () =>
    Effect.gen(function*() {
      const opened = yield* backends[1]![1]
      yield* runTurns(opened.storage, "victim", 3)
      yield* opened.sql!(
        "UPDATE lash_graph_nodes SET parent_node_id = (SELECT node_id FROM lash_graph_nodes WHERE session_id = 'victim' ORDER BY seq DESC LIMIT 1) WHERE session_id = 'victim' AND seq = 1"
      )
      yield* expectContained(opened, "victim", openAndRun(opened.storage, "victim"))
    }).pipe(Effect.scoped))

  it.live(
    "sqlite: a cut deeper than the open window lets the session open but fails its next turn before the commit",
    () =>
      Effect.gen(function*() {
        const opened = yield* backends[1]![1]
        // Enough turns that the active path is longer than the window an open reads.
        const turns = Math.ceil(HISTORY_WINDOW / 2) + 4
        yield* runTurns(opened.storage, "victim", turns)
        yield* opened.sql!("DELETE FROM lash_graph_nodes WHERE session_id = 'victim' AND seq = 1")
        yield* expectContained(opened, "victim", openAndRun(opened.storage, "victim"))
      }).pipe(Effect.scoped),
    { timeout: 120_000 }
  )
})
