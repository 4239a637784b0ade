import { expect, it } from "@effect/vitest"
import type { Console } from "effect"
import { ConfigProvider, Effect } from "effect"
import { App, program } from "../README.js"
import { FakeModelServer, FakeReply } from "../src/testing/index.js"

/** The current Console, collecting what `Console.log` prints. */
const collecting = (lines: Array<string>) =>
  Effect.map(Effect.console, (base): Console.Console => ({
    ...base,
    log: (...args) => Effect.sync(() => void lines.push(args.map(String).join(" "))),
    unsafe: { ...base.unsafe, log: (...args) => void lines.push(args.map(String).join(" ")) }
  }))

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
    const printed: Array<string> = []
    const console = yield* collecting(printed)
    yield* program.pipe(Effect.provide(App), Effect.withConfigProvider(config), Effect.withConsole(console))
    expect(printed).toEqual(["2 + ", "3 = ", "5", "(committed at revision 1)"])
    expect(server.requests().map((r) => [r.body.model, r.body.max_output_tokens, r.headers["authorization"]])).toEqual([
      ["gpt-4.1-mini", 1024, "Bearer sk-readme"],
      ["gpt-4.1-mini", 1024, "Bearer sk-readme"]
    ])
  }))
