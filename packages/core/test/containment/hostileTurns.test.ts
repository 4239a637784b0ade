/**
 * Hostile Lashlang in real RLM turns (docs/lashlang.md, "Limits"), on the memory and SQLite backends: the model's
 * block ends with a clear error that goes back to the model (or with its bounded result), the turn goes on to submit,
 * the session's committed state stays bounded (a later turn opens and runs it), and a bystander session's turns
 * before and after succeed.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { type ExecLimits, LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { hostileCases } from "../../../lashlang/test/hostile/cases.js"
import { InlineEffectController, LashCore, type LashStorage, type StorageSignals, TurnInput } from "../../src/index.js"
import { mathTools, testModel } from "../fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** A fresh SQLite file, removed with the scope. */
const sqliteFile = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-containment-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  ),
  (dir) => path.join(dir, "lash.db")
)

type Storage = Layer.Layer<LashStorage | StorageSignals, unknown>
/** The storage of one test: a fresh memory backend, or a fresh SQLite file (deleted when the test's scope closes). */
const backends: ReadonlyArray<{ readonly name: string; readonly storage: Effect.Effect<Storage, never, Scope.Scope> }> =
  [
    { name: "memory", storage: Effect.sync(() => MemoryBackend.layer()) },
    { name: "sqlite", storage: Effect.map(sqliteFile, (filename): Storage => SqliteBackend.layer({ filename })) }
  ]

/** A sleep case needs a small total: the real clock runs in these tests. */
const limitsFor = (name: string): Partial<ExecLimits> | undefined =>
  name.startsWith("sleeps") ? { maxSleepMillis: 100 } : undefined
const sourceFor = (name: string, source: string) =>
  name.startsWith("sleeps") ? "for i in range(100) { sleep for 60 }" : source

describe("hostile Lashlang in RLM turns, next to a bystander session", () => {
  for (const backend of backends) {
    for (const c of hostileCases.filter((x) => x.representative === true)) {
      it.live(`${backend.name}: ${c.name}`, () =>
        Effect.gen(function*() {
          const fails = "error" in c.expect
          const provider = TestProvider.builder()
            .reply(fence("submit \"before\""))
            .reply(fence(sourceFor(c.name, c.source)), ...(fails ? [fence("submit \"recovered\"")] : []))
            .reply(fence("submit \"after\""))
            .reply(fence("submit \"still here\""))
            .build()
          const storage = yield* backend.storage
          const limits = limitsFor(c.name)
          const runtime = Layer.provideMerge(
            LashCore.layer({
              mode: "rlm",
              model: testModel,
              tools: [mathTools],
              rlm: { abilities: LashlangAbilities.all, ...(limits === undefined ? {} : { limits }) }
            }).pipe(Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer))),
            storage
          )
          yield* Effect.gen(function*() {
            const core = yield* LashCore
            const bystander = yield* core.openSession("bystander")
            const before = yield* bystander.turn(TurnInput.text("hello")).run
            expect(Option.getOrNull(before.submittedValue)).toBe("before")

            const hostile = yield* core.openSession("hostile")
            const out = yield* hostile.turn(TurnInput.text("do something large")).run
            if ("error" in c.expect) {
              expect(Option.getOrNull(out.submittedValue)).toBe("recovered")
              // The block's error went back to the model as the next request's feedback.
              const requests = yield* provider.requests
              const feedback = requests[2]!.request.messages.filter((m) => m.role === "user").map((m) => m.content)
                .join("\n")
              expect(feedback).toContain(
                c.name.startsWith("sleeps")
                  ? "too much sleep in one block (limit 100 ms in total)"
                  : typeof c.expect.message === "string"
                  ? c.expect.message
                  : c.expect.message.source
              )
            } else {
              expect(JSON.stringify(Option.getOrNull(out.submittedValue))).toBe(c.expect.value)
              if (c.expect.printed !== undefined) {
                const transcript = hostile.readView().messages.flatMap((m) => m.parts.map((p) => p.content)).join("\n")
                expect(transcript).toContain("[output truncated]")
              }
            }

            const after = yield* bystander.turn(TurnInput.text("hello again")).run
            expect(Option.getOrNull(after.submittedValue)).toBe("after")
            // The hostile session's committed state reopens and runs.
            const again = yield* (yield* core.openSession("hostile")).turn(TurnInput.text("still there?")).run
            expect(Option.getOrNull(again.submittedValue)).toBe("still here")
            yield* provider.assertComplete
          }).pipe(Effect.provide(runtime), Effect.scoped)
        }).pipe(Effect.scoped), { timeout: 120_000 })
    }
  }
})
