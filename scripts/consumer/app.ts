/**
 * The consumer check's application (scripts/consumer-check.ts copies it into a fresh npm project outside the
 * workspace, compiles it with the consumer's `tsc` and runs the output with plain `node`). What a user writes: a
 * runtime on an embedded SQLite file, a standard turn in which the scripted model calls a typed tool, then a second
 * runtime over the same file (a restart) that must find the committed transcript. Exits non-zero, saying what
 * differed, on any mismatch.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { defineTool, InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "lash-consumer-app-"))
const filename = path.join(directory, "app.db")

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})

const model = TestProvider.builder()
  .reply({ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, "2 + 3 = 5")
  .build()

/** A runtime over the file; every build opens it anew. */
const runtime = () =>
  LashCore.layer({ mode: "standard", model: { id: "consumer", limits: { contextWindowTokens: 8192 } }, tools: [add] })
    .pipe(Layer.provide(Layer.mergeAll(SqliteBackend.layer({ filename }), InlineEffectController.layer, model.layer)))

/** One line per message part, e.g. `assistant tool_call add {"a":2,"b":3}`. */
export interface TranscriptLine {
  readonly role: string
  readonly kind: string
  readonly text: string
}

const firstRun = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("consumer")
  const out = yield* session.turn(TurnInput.text("what is 2 + 3?")).run
  return Option.getOrNull(out.assistantMessage)
}).pipe(Effect.provide(runtime()))

const afterRestart = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("consumer", { create: false })
  return session.readView().messages.flatMap((message) =>
    message.parts.map((part): TranscriptLine => ({
      role: message.role,
      kind: part.kind,
      text: part.kind === "tool_call" ? `${part.toolName ?? "?"} ${part.content}` : part.content
    }))
  )
}).pipe(Effect.provide(runtime()))

const expectEqual = (what: string, actual: unknown, expected: unknown) =>
  JSON.stringify(actual) === JSON.stringify(expected)
    ? Effect.void
    : Effect.fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)

const main = Effect.gen(function*() {
  const answer = yield* firstRun
  yield* expectEqual("the answer", answer, "2 + 3 = 5")
  const transcript = yield* afterRestart
  yield* expectEqual("the transcript after the restart", transcript.map((line) => `${line.role} ${line.kind}`), [
    "user text",
    "assistant tool_call",
    "assistant tool_result",
    "assistant text"
  ])
  yield* expectEqual("the tool call", transcript[1]?.text, `add {"a":2,"b":3}`)
  yield* expectEqual("the tool result", JSON.parse(transcript[2]?.text ?? "null"), { type: "ok", value: 5 })
  console.log(JSON.stringify({ ok: true, filename, transcript }))
})

Effect.runPromise(main.pipe(Effect.ensuring(Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true })))))
  .catch((error: unknown) => {
    console.error(`consumer app failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
    process.exitCode = 1
  })
