/**
 * Lone surrogates (docs/configuration.md, "Run-time arguments"; docs/lashlang.md, "Values and types"): a string
 * holding one (`"a\udc00b"`) reads back identical after a restart on every backend, and a replay sees the same value
 * as the first run. Stored records are canonical JSON, which escapes a lone surrogate (`\udc00`), so the text a
 * backend stores is ASCII there and nothing is lost even where the column is UTF-8 (SQLite, Postgres); Lashlang
 * replaces a lone surrogate by U+FFFD on entry into a value, the same way in the first run and in a replay. Session
 * ids, which backends keep in key columns, refuse lone surrogates (`LashConfigError`).
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { LashlangAbilities } from "@lash/lashlang"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Option, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  type LashStorage,
  type LlmProvider,
  type StorageSignals,
  ToolDefinition,
  ToolProvider,
  ToolResults,
  TurnInput
} from "../../src/index.js"
import { testModel } from "../fixtures.js"

const LONE = "a\udc00b"
const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** `echo({ s })` → `{ echo: s }`, counting its executions. */
const echoTool = (calls: { n: number }) =>
  ToolProvider.fromDefinitions([{
    definition: ToolDefinition.raw({
      name: "echo",
      description: "Echoes s",
      inputSchema: { type: "object", properties: { s: { type: "string" } }, required: ["s"] }
    }),
    execute: (args) =>
      Effect.sync(() => {
        calls.n++
        return ToolResults.ok({ echo: (args as { s: string }).s, lone: LONE })
      })
  }])

/** A provider answering from `replies` in order; a function reply may fail. */
const scripted = (replies: ReadonlyArray<(() => Effect.Effect<unknown>) | object>): LlmProvider => {
  let i = 0
  return {
    kind: "scripted",
    complete: () =>
      Effect.suspend(() => {
        const reply = replies[i++]
        if (reply === undefined) return Effect.die(new Error("no reply left"))
        return (typeof reply === "function" ? reply() : Effect.succeed(reply)) as never
      })
  }
}
const text = (t: string) => ({ text: t, toolCalls: [], usage: { input: 1, output: 1 } })

type Storage = Context.Context<LashStorage | StorageSignals>
/** Each backend as a factory of storage handles on one store: a new handle is a restart (memory: the same store). */
const backends: ReadonlyArray<{
  readonly name: string
  readonly store: Effect.Effect<Effect.Effect<Storage, unknown, Scope.Scope>, never, Scope.Scope>
}> = [
  {
    name: "memory",
    store: Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      return Effect.succeed(storage)
    })
  },
  {
    name: "sqlite",
    store: Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-surrogates-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      ),
      (dir) => Layer.build(SqliteBackend.layer({ filename: path.join(dir, "lash.db") }))
    )
  }
]

const coreOver = (
  storage: Storage,
  provider: LlmProvider,
  mode: "standard" | "rlm",
  tools: ToolProvider
) =>
  Effect.map(
    Layer.build(
      LashCore.layer({
        mode,
        model: testModel,
        tools: [tools],
        rlm: { abilities: LashlangAbilities.none },
        worker: { startupSweep: false }
      }).pipe(
        Layer.provide(
          Layer.mergeAll(
            LanguageModelProvider.single(provider),
            JournaledEffectController.layer.pipe(Layer.provide(Layer.succeedContext(storage))),
            Layer.succeedContext(storage)
          )
        )
      )
    ),
    Context.get(LashCore)
  )

describe("lone surrogates read back identical after a restart, and a replay sees the same value", () => {
  for (const backend of backends) {
    it.live(`${backend.name}: a standard turn's user text, tool arguments, tool result and reply`, () =>
      Effect.gen(function*() {
        const open = yield* backend.store
        const calls = { n: 0 }
        const provider = scripted([
          { text: "", toolCalls: [{ callId: "c1", name: "echo", args: { s: LONE } }], usage: { input: 1, output: 1 } },
          text(`reply ${LONE}`)
        ])
        const before = yield* Effect.scoped(Effect.gen(function*() {
          const core = yield* coreOver(yield* open, provider, "standard", echoTool(calls))
          const session = yield* core.openSession("s")
          const out = yield* session.turn(TurnInput.text(`user ${LONE}`), { turnId: "t1" }).run
          expect(Option.getOrNull(out.assistantMessage)).toBe(`reply ${LONE}`)
          expect(out.toolCalls[0]!.result).toEqual({ type: "ok", value: { echo: LONE, lone: LONE } })
          return session.readView().messages
        }))
        expect(JSON.stringify(before)).toContain("\\udc00")
        // A restart: a new handle on the store, a new core.
        const after = yield* Effect.scoped(Effect.gen(function*() {
          const core = yield* coreOver(yield* open, scripted([]), "standard", echoTool(calls))
          return (yield* core.openSession("s")).readView().messages
        }))
        expect(after).toEqual(before)
        expect(after.flatMap((m) => m.parts.map((p) => p.content)).join("\n")).toContain(`user ${LONE}`)
        expect(calls.n).toBe(1)
      }).pipe(Effect.scoped))

    it.live(`${backend.name}: Lashlang sees the same value in the first run and in a replay after a restart`, () =>
      Effect.gen(function*() {
        const open = yield* backend.store
        const calls = { n: 0 }
        const block = fence(`r = await tools.echo({ s: "x" })?\ng = r.lone\nprint len(g)`)
        // First attempt: the block calls the tool, then the process dies during the next model call (the turn is
        // interrupted there): nothing commits.
        const entered = yield* Deferred.make<void>()
        const hang = () => Effect.zipRight(Deferred.succeed(entered, undefined), Effect.never)
        const first = yield* Effect.scoped(Effect.gen(function*() {
          const core = yield* coreOver(yield* open, scripted([text(block), hang]), "rlm", echoTool(calls))
          const session = yield* core.openSession("r")
          const fiber = yield* Effect.fork(session.turn(TurnInput.text("go"), { turnId: "t1" }).run)
          yield* Deferred.await(entered)
          return yield* Fiber.interrupt(fiber)
        }))
        expect(Exit.isFailure(first)).toBe(true)
        expect(calls.n).toBe(1)
        // After a restart, the same turn id again: the model call and the tool call replay from the journal.
        const out = yield* Effect.scoped(Effect.gen(function*() {
          const core = yield* coreOver(
            yield* open,
            scripted([text(fence("submit [g, len(g)]"))]),
            "rlm",
            echoTool(calls)
          )
          const session = yield* core.openSession("r")
          return yield* session.turn(TurnInput.text("go"), { turnId: "t1" }).run
        }))
        expect(calls.n).toBe(1)
        expect(Option.getOrNull(out.submittedValue)).toEqual(["a\ufffdb", 3])
        // The committed global reads back the same after another restart.
        const later = yield* Effect.scoped(Effect.gen(function*() {
          const core = yield* coreOver(yield* open, scripted([text(fence("submit g"))]), "rlm", echoTool(calls))
          return yield* (yield* core.openSession("r")).turn(TurnInput.text("again"), { turnId: "t2" }).run
        }))
        expect(Option.getOrNull(later.submittedValue)).toBe("a\ufffdb")
      }).pipe(Effect.scoped))
  }
})
