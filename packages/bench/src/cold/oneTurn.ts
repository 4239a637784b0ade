/**
 * B9's measured app, run as `node dist/cold/oneTurn.js memory|sqlite` against the built packages (`dist/` of every
 * `@lash/*` package, no tsx, no source condition): build a runtime, open a session, run one standard turn in which
 * the scripted model calls a typed tool, print the answer, exit. Its whole-process time is what a user's CLI or
 * serverless handler pays on a cold start.
 */
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { defineTool, InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const backend = process.argv[2] === "sqlite" ? "sqlite" : "memory"
const directory = backend === "sqlite" ? fs.mkdtempSync(path.join(os.tmpdir(), "lash-b9-")) : undefined

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})
const model = TestProvider.builder().reply({ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, "2 + 3 = 5").build()
const storage = directory === undefined
  ? MemoryBackend.layer()
  : SqliteBackend.layer({ filename: path.join(directory, "b9.db") })

const Runtime = LashCore.layer({
  mode: "standard",
  model: { id: "b9", limits: { contextWindowTokens: 8192 } },
  tools: [add]
})
  .pipe(Layer.provide(Layer.mergeAll(storage, InlineEffectController.layer, model.layer)))

const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("b9")
  const out = yield* session.turn(TurnInput.text("what is 2 + 3?")).run
  const answer = Option.getOrNull(out.assistantMessage)
  if (answer !== "2 + 3 = 5") return yield* Effect.dieMessage(`B9: unexpected answer ${answer}`)
  console.log(answer)
})

Effect.runPromise(program.pipe(Effect.provide(Runtime)))
  .finally(() => directory !== undefined && fs.rmSync(directory, { recursive: true, force: true }))
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
