// The README's example, type-checked and run against the fake server (its Config comes from a map instead of the
// environment, and its printed deltas are collected). Keep the two in sync.
import { expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { defineTool, InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { OpenAi } from "../src/index.js"
import { FakeModelServer, FakeReply } from "../src/testing/index.js"

const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})

const App = LashCore.layer({
  mode: "standard",
  model: { id: "gpt-4.1-mini", limits: { contextWindowTokens: 128_000 } },
  tools: [add]
})
  .pipe(Layer.provide(Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, OpenAi.layerConfig())))

const printed: Array<string> = []
const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("demo")
  yield* session.turn(TurnInput.text("What is 2 + 3?")).stream.pipe(
    Stream.runForEach((
      event
    ) => (event.type === "text_delta" ? Effect.sync(() => printed.push(event.text)) : Effect.void))
  )
})

it.scopedLive("the README's example runs: OpenAI through Config, a typed tool, a streamed turn", () =>
  Effect.gen(function*() {
    const server = yield* FakeModelServer.make
    server.reply(
      FakeReply.toolCalls([{ id: "call_1", name: "add", args: { a: 2, b: 3 } }]),
      FakeReply.text("2 + 3 = 5")
    )
    const config = ConfigProvider.fromMap(
      new Map([["OPENAI_API_KEY", "sk-readme"], ["OPENAI_BASE_URL", `${server.url}/v1`]])
    )
    yield* program.pipe(Effect.provide(App), Effect.withConfigProvider(config))
    expect(printed.join("")).toBe("2 + 3 = 5")
    expect(server.requests().map((r) => [r.body.model, r.headers["authorization"]])).toEqual([
      ["gpt-4.1-mini", "Bearer sk-readme"],
      ["gpt-4.1-mini", "Bearer sk-readme"]
    ])
  }))
