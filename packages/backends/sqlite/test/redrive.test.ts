/**
 * Exactly-once on re-drive (docs/architecture.md, "Effects and replay"): another writer commits to the session while a
 * turn waits for its model; the turn's block starts a process, its commit fails with `HeadRevisionConflict`, and the
 * host re-drives the same turn id. The re-drive adopts the process of the first attempt: one process per turn id,
 * with either controller, on memory (two cores on one store), on SQLite (two handles on one file) and with the other
 * writer in another OS process.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { LashCore, type LashStorage, type ProcessRecord, type StorageSignals, type TurnId, TurnInput } from "@lash/core"
import { Context, Deferred, Effect, Fiber, Layer, Option, type Scope } from "effect"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { SqliteBackend } from "../src/index.js"
import { tempDbFile } from "./helpers.js"
import { blockProvider, OTHER_BLOCK, redriveCore, SESSION, STARTING_BLOCK } from "./redrive/core.js"

type Storage = Context.Context<LashStorage | StorageSignals>

/** Two handles on one store: the second is the other writer's. */
const backends: ReadonlyArray<readonly [string, Effect.Effect<readonly [Storage, Storage], unknown, Scope.Scope>]> = [
  ["memory", Effect.map(Layer.build(MemoryBackend.layer()), (s) => [s, s] as const)],
  [
    "sqlite",
    Effect.flatMap(tempDbFile, (filename) =>
      Effect.all([
        Layer.build(SqliteBackend.layer({ filename })),
        Layer.build(SqliteBackend.layer({ filename }))
      ]))
  ]
]

const causedByTurn = (turnId: string) => (record: ProcessRecord) =>
  record.provenance.causedBy?.type === "turn" && record.provenance.causedBy.turnId === turnId

const buildCore = (storage: Storage, provider: Parameters<typeof redriveCore>[1], controller: "inline" | "journaled") =>
  Effect.map(Layer.build(redriveCore(storage, provider, controller)), Context.get(LashCore))

/**
 * Runs turn `t-1` until its model call, lets `otherWriter` commit, fails the first attempt with
 * `HeadRevisionConflict`, re-drives it and returns the processes caused by `t-1` after each attempt.
 */
const conflictThenRedrive = (
  storage: Storage,
  controller: "inline" | "journaled",
  otherWriter: Effect.Effect<void, unknown>
) =>
  Effect.gen(function*() {
    const entered = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const calls = { count: 0 }
    const core = yield* buildCore(storage, blockProvider(STARTING_BLOCK, { entered, release }, calls), controller)
    const session = yield* core.openSession(SESSION)
    const turn = session.turn(TurnInput.text("start one process"), { turnId: "t-1" as TurnId })
    const first = yield* Effect.fork(turn.run)
    yield* Deferred.await(entered)
    yield* otherWriter
    yield* Deferred.succeed(release, undefined)
    const failed = yield* Effect.flip(Fiber.join(first))
    expect(failed._tag).toBe("HeadRevisionConflict")
    const afterFirst = (yield* core.processes().list({})).processes.filter(causedByTurn("t-1"))
    // Until the turn id commits, the operator sees its process as started by an uncommitted turn.
    expect((yield* core.processes().uncommitted()).map((p) => p.id)).toEqual(afterFirst.map((p) => p.id))
    const output = yield* turn.run
    expect(yield* core.processes().uncommitted()).toEqual([])
    expect(Option.getOrNull(output.submittedValue)).toBe("started")
    const afterRedrive = (yield* core.processes().list({})).processes.filter(causedByTurn("t-1"))
    // The adopted process runs to its end once.
    const ended = yield* core.processes().await(afterRedrive[0]!.id).pipe(Effect.timeout("10 seconds"))
    expect(ended).toEqual({ type: "success", value: 1 })
    return { afterFirst, afterRedrive, modelCalls: calls.count, headRevision: output.headRevision }
  })

describe.each(backends)("%s: re-driving a turn id after HeadRevisionConflict", (_name, open) => {
  for (const controller of ["inline", "journaled"] as const) {
    it.scopedLive(`${controller} controller: the re-drive adopts the first attempt's process`, () =>
      Effect.gen(function*() {
        const [mine, theirs] = yield* open
        const other = yield* buildCore(theirs, blockProvider(OTHER_BLOCK), "inline")
        const otherWriter = Effect.flatMap(
          other.openSession(SESSION),
          (s) => s.turn(TurnInput.text("meanwhile"), { turnId: "t-other" as TurnId }).run
        )
        const result = yield* conflictThenRedrive(mine, controller, otherWriter)
        expect(result.afterFirst.map((p) => p.id)).toHaveLength(1)
        expect(result.afterRedrive.map((p) => p.id)).toEqual(result.afterFirst.map((p) => p.id))
        expect(result.headRevision).toBe(2)
        // The journaled controller replays the recorded model call; the inline one asks the model again.
        expect(result.modelCalls).toBe(controller === "journaled" ? 1 : 2)
      }))
  }
})

const here = path.dirname(fileURLToPath(import.meta.url))

/** Runs the writer script in a child process; fails unless it commits. */
const writeFromAnotherProcess = (filename: string, turnId: string) =>
  Effect.async<void, Error>((resume) => {
    const child = spawn(process.execPath, [
      "--import",
      "tsx",
      path.join(here, "redrive", "writer.ts"),
      filename,
      turnId
    ], {
      cwd: here,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout!.on("data", (chunk: Buffer) => void (out += chunk.toString()))
    child.stderr!.on("data", (chunk: Buffer) => void (out += chunk.toString()))
    child.once(
      "exit",
      (code) =>
        resume(code === 0 && out.includes("COMMITTED") ? Effect.void : Effect.fail(new Error(`writer: ${code} ${out}`)))
    )
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

describe("sqlite: the other writer in another OS process", () => {
  for (const controller of ["inline", "journaled"] as const) {
    it.scopedLive(`${controller} controller: one process per turn id`, () =>
      Effect.gen(function*() {
        const filename = yield* tempDbFile
        const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
        const result = yield* conflictThenRedrive(storage, controller, writeFromAnotherProcess(filename, "t-other"))
        expect(result.afterFirst).toHaveLength(1)
        expect(result.afterRedrive.map((p) => p.id)).toEqual(result.afterFirst.map((p) => p.id))
      }), 60_000)
  }
})
