import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { TestProvider } from "@lash/testing/provider"
import { type Duration, Effect, Exit, Layer, Option, Schema } from "effect"
import {
  defineTool,
  InlineEffectController,
  LashCore,
  type Part,
  ToolDefinition,
  ToolError,
  ToolOutcome,
  ToolProvider,
  type ToolResult,
  ToolResults,
  TurnInput
} from "../src/index.js"
import { rlmCore, standardCore, testModel } from "./fixtures.js"
import { captureLogs } from "./logCapture.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

const toolResultParts = (parts: ReadonlyArray<Part>): ReadonlyArray<ToolResult> =>
  parts.filter((p) => p.kind === "tool_result").map((p) => JSON.parse(p.content) as ToolResult)

/** A raw tool whose `execute` is whatever the test hands it (misbehaving ones included). */
const rawTool = (
  name: string,
  execute: (args: unknown) => unknown,
  options: { readonly timeout?: Duration.DurationInput } = {}
) =>
  ToolProvider.fromDefinitions([{
    definition: ToolDefinition.raw({ name, description: name, inputSchema: { type: "object" }, ...options }),
    execute: execute as never
  }])

describe("typed tools", () => {
  it.effect("execute receives the decoded input (a DateFromString is a Date) and the output is encoded", () => {
    const seen: Array<unknown> = []
    const schedule = defineTool({
      name: "schedule",
      description: "Schedules a meeting a number of days after a date",
      input: Schema.Struct({ from: Schema.DateFromString, days: Schema.Number }),
      output: Schema.Struct({ at: Schema.DateFromString }),
      execute: ({ days, from }) => {
        seen.push(from)
        return Effect.succeed({ at: new Date(from.getTime() + days * 86_400_000) })
      }
    })
    const provider = TestProvider.builder()
      .reply({ toolCalls: [{ name: "schedule", args: { from: "2026-01-01T00:00:00.000Z", days: 2 } }] }, "done")
      .build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("typed")
      const out = yield* session.turn(TurnInput.text("schedule")).run
      expect(seen[0]).toBeInstanceOf(Date)
      expect(out.toolCalls[0]!.result).toEqual({ type: "ok", value: { at: "2026-01-03T00:00:00.000Z" } })
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [schedule] })))
  })

  it.effect("refinements are offered to the model and enforced; the model sees the ParseError and the turn goes on", () => {
    let runs = 0
    const greet = defineTool({
      name: "greet",
      description: "Greets someone a number of times",
      input: Schema.Struct({
        name: Schema.String.pipe(Schema.minLength(3)),
        times: Schema.Number.pipe(Schema.positive())
      }),
      output: Schema.String,
      execute: ({ name, times }) => Effect.sync(() => (runs++, `hello ${name} ×${times}`))
    })
    const provider = TestProvider.builder()
      .reply(
        { toolCalls: [{ callId: "bad", name: "greet", args: { name: "Al", times: -1 } }] },
        { toolCalls: [{ callId: "good", name: "greet", args: { name: "Alice", times: 2 } }] },
        "greeted"
      )
      .build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("refined")
      const out = yield* session.turn(TurnInput.text("greet")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("greeted")
      expect(runs).toBe(1)
      const [bad, good] = out.toolCalls
      expect(bad!.result.type).toBe("failure")
      const message = bad!.result.type === "failure" ? bad!.result.failure.message : ""
      expect(message).toContain("invalid arguments for greet")
      expect(message).toContain("at least 3 character(s)")
      expect(message).toContain("positive")
      expect(good!.result).toEqual({ type: "ok", value: "hello Alice ×2" })
      const requests = yield* provider.requests
      // The JSON Schema the model is offered carries the refinements.
      const schema = requests[0]!.request.tools[0]!.inputSchema as any
      expect(schema.properties.name.minLength).toBe(3)
      expect(schema.properties.times.exclusiveMinimum).toBe(0)
      // The model read the decoder's message as a failed tool result.
      const toolMessage = requests[1]!.request.messages.find((m) => m.role === "tool")!
      expect(toolMessage.isError).toBe(true)
      expect(toolMessage.content).toMatch(/^error \(invalid_tool_args\): invalid arguments for greet/)
      expect(toolMessage.content).toContain("at least 3 character(s)")
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [greet] })))
  })

  it.effect("a ToolError reaches the model with its code; ToolOutcome.finish ends the turn with the encoded value", () => {
    const lookup = defineTool({
      name: "lookup",
      description: "Looks a key up",
      input: Schema.Struct({ key: Schema.String }),
      output: Schema.Struct({ found: Schema.DateFromString }),
      execute: ({ key }) =>
        key === "missing"
          ? Effect.fail(new ToolError({ code: "not_found", message: `no entry ${key}` }))
          : Effect.succeed(ToolOutcome.finish({ found: new Date(0) }))
    })
    const provider = TestProvider.builder()
      .reply(
        { toolCalls: [{ name: "lookup", args: { key: "missing" } }] },
        { toolCalls: [{ name: "lookup", args: { key: "there" } }] }
      )
      .build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("finish")).turn(TurnInput.text("look")).run
      expect(out.toolCalls[0]!.result).toEqual({
        type: "failure",
        failure: { code: "not_found", message: "no entry missing" }
      })
      expect(out.outcome).toEqual({
        type: "finished",
        finish: { type: "tool_value", toolName: "lookup", value: { found: "1970-01-01T00:00:00.000Z" } }
      })
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [lookup] })))
  })

  it.live("the retry option retries only failures the tool marks retryable, under its schedule", () => {
    const attempts: Array<number> = []
    let flaky = 0
    const fetcher = defineTool({
      name: "fetch_page",
      description: "Fetches a page",
      input: Schema.Struct({ url: Schema.String }),
      output: Schema.String,
      retry: { maxAttempts: 4, backoff: "1 millis" },
      execute: ({ url }, ctx) => {
        attempts.push(ctx.attempt)
        if (url === "flaky" && ++flaky < 3) {
          return Effect.fail(new ToolError({ message: "upstream 503", retryable: true }))
        }
        if (url === "broken") return Effect.fail(new ToolError({ message: "404 not found" }))
        return Effect.succeed(`<html>${url}</html>`)
      }
    })
    const provider = TestProvider.builder()
      .reply(
        { toolCalls: [{ name: "fetch_page", args: { url: "flaky" } }] },
        { toolCalls: [{ name: "fetch_page", args: { url: "broken" } }] },
        "done"
      )
      .build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("retry-tool")).turn(TurnInput.text("fetch")).run
      expect(out.toolCalls[0]!.result).toEqual({ type: "ok", value: "<html>flaky</html>" })
      expect(out.toolCalls[1]!.result).toMatchObject({ type: "failure", failure: { message: "404 not found" } })
      // Three attempts for the flaky page (numbered in the context), one for the broken one.
      expect(attempts).toEqual([1, 2, 3, 1])
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [fetcher] })))
  })

  it.effect("a raw tool whose schema the validator cannot compile fails the layer with LashConfigError naming it", () =>
    Effect.gen(function*() {
      const broken = ToolProvider.fromDefinitions([{
        definition: ToolDefinition.raw({ name: "broken_tool", description: "x", inputSchema: { type: "bogus" } }),
        execute: () => Effect.succeed(ToolResults.ok(null))
      }])
      const layer = LashCore.layer({ mode: "standard", model: testModel, tools: [broken] }).pipe(
        Layer.provide(
          Layer.mergeAll(TestProvider.script([]).layer, InlineEffectController.layer, MemoryBackend.layer())
        )
      )
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error).toMatchObject({ _tag: "LashConfigError", reason: "invalid_tool_schema" })
      expect((error as { detail: string }).detail).toContain("broken_tool")
      expect((error as { detail: string }).detail).toContain("input schema")
    }))

  it.effect("a raw tool's value is checked against its output schema", () => {
    const liar = ToolProvider.fromDefinitions([{
      definition: ToolDefinition.raw({
        name: "liar",
        description: "Says it returns a number",
        inputSchema: { type: "object" },
        outputSchema: { type: "number" }
      }),
      execute: () => Effect.succeed(ToolResults.ok("not a number"))
    }])
    const provider = TestProvider.builder().reply({ toolCalls: [{ name: "liar", args: {} }] }, "ok").build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("liar")).turn(TurnInput.text("go")).run
      expect(out.toolCalls[0]!.result).toMatchObject({
        type: "failure",
        failure: { code: "invalid_tool_output", message: expect.stringContaining("/: must be number") }
      })
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [liar] })))
  })
})

describe("tool failures, honestly", () => {
  it.effect("a tool that throws synchronously is a one-line tool_defect; the host logs the cause with session, turn and tool", () => {
    const logs = captureLogs()
    const thrower = rawTool("thrower", () => {
      throw new Error("kaboom\n    at secret (/srv/host/file.ts:1:1)")
    })
    const provider = TestProvider.builder().reply({ toolCalls: [{ name: "thrower", args: {} }] }, "it broke").build()
    return Effect.gen(function*() {
      const session = yield* (yield* LashCore).openSession("throws")
      const out = yield* session.turn(TurnInput.text("go"), { turnId: "turn-throw" }).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("it broke")
      expect(out.toolCalls[0]!.result).toEqual({
        type: "failure",
        failure: { code: "tool_defect", message: "tool thrower crashed: kaboom" }
      })
      const seen = (yield* provider.requests)[1]!.request.messages.find((m) => m.role === "tool")!
      expect(seen.content).toBe("error (tool_defect): tool thrower crashed: kaboom")
      const logged = logs.lines.find((l) => l.level === "ERROR")!
      expect(logged.annotations).toMatchObject({ sessionId: "throws", turnId: "turn-throw", tool: "thrower" })
      expect(logged.cause).toContain("kaboom")
      expect(logged.cause).toContain("/srv/host/file.ts")
    }).pipe(Effect.provide(Layer.merge(standardCore(provider.layer, { tools: [thrower] }), logs.layer)))
  })

  it.effect("the same in rlm mode: the program sees the tool's one-line message and the host logs the cause", () => {
    const logs = captureLogs()
    const thrower = rawTool("thrower", () => {
      throw new Error("kaboom")
    })
    const provider = TestProvider.builder()
      .reply(
        fence("r = await tools.thrower({})\nprint(r)"),
        fence("submit \"recovered\"")
      )
      .build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("rlm-throws")).turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("recovered")
      const feedback = (yield* provider.requests)[1]!.request.messages.map((m) => m.content).join("\n")
      expect(feedback).toContain("tool thrower crashed: kaboom")
      expect(feedback).not.toContain("host operation failed")
      expect(logs.lines.some((l) => l.level === "ERROR" && l.annotations["tool"] === "thrower")).toBe(true)
    }).pipe(Effect.provide(Layer.merge(rlmCore(provider.layer, { tools: [thrower] }), logs.layer)))
  })

  it.effect("every way a provider can misbehave ends as a failure result the model sees, and the turn goes on", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    const cases: ReadonlyArray<readonly [string, (args: unknown) => unknown, string, string]> = [
      ["dies", () => Effect.die(new Error("bad state")), "tool_defect", "tool dies crashed: bad state"],
      ["interrupts", () => Effect.interrupt, "tool_defect", "tool interrupts was interrupted"],
      ["fails", () => Effect.fail({ message: "quota exceeded" }), "tool_error", "tool fails failed: quota exceeded"],
      [
        "no_effect",
        () => undefined,
        "tool_error",
        "tool no_effect failed: execute returned undefined instead of an Effect"
      ],
      [
        "promise",
        () => Promise.resolve(ToolResults.ok(1)),
        "tool_error",
        "tool promise failed: execute returned a Promise instead of an Effect"
      ],
      [
        "undefined",
        () => Effect.succeed(undefined),
        "invalid_tool_result",
        "tool undefined returned undefined, not a ToolResult"
      ],
      ["cyclic", () => Effect.succeed(ToolResults.ok(cyclic as never)), "invalid_tool_result", "(cyclic)"],
      ["a_date", () => Effect.succeed(ToolResults.ok(new Date(0) as never)), "invalid_tool_result", "not a ToolResult"]
    ]
    const tools = cases.map(([name, execute]) => rawTool(name, execute))
    const provider = TestProvider.builder()
      .reply({ toolCalls: cases.map(([name]) => ({ name, args: {} })) }, "survived")
      .build()
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("misbehave")).turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("survived")
      for (const [i, [, , code, message]] of cases.entries()) {
        const result = out.toolCalls[i]!.result
        expect(result.type, cases[i]![0]).toBe("failure")
        if (result.type === "failure") {
          expect(result.failure.code, cases[i]![0]).toBe(code)
          expect(result.failure.message, cases[i]![0]).toContain(message)
        }
      }
      expect(toolResultParts(out.messages.flatMap((m) => m.parts))).toHaveLength(cases.length)
    }).pipe(Effect.provide(standardCore(provider.layer, { tools })))
  })

  it.live("a hung tool fails as tool_timeout (per tool, and the core default), even one that ignores interruption", () => {
    const hung = rawTool("hung", () => Effect.never, { timeout: "50 millis" })
    const stubborn = rawTool("stubborn", () => Effect.uninterruptible(Effect.sleep("20 seconds")))
    const provider = TestProvider.builder()
      .reply({ toolCalls: [{ name: "hung", args: {} }, { name: "stubborn", args: {} }] }, "moved on")
      .build()
    return Effect.gen(function*() {
      const started = Date.now()
      const out = yield* (yield* (yield* LashCore).openSession("hung")).turn(TurnInput.text("go")).run
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(out.toolCalls.map((c) => c.result)).toEqual([
        { type: "failure", failure: { code: "tool_timeout", message: "tool hung did not finish within 50 ms" } },
        { type: "failure", failure: { code: "tool_timeout", message: "tool stubborn did not finish within 80 ms" } }
      ])
      expect(Option.getOrNull(out.assistantMessage)).toBe("moved on")
    }).pipe(Effect.provide(standardCore(provider.layer, { tools: [hung, stubborn], toolTimeout: "80 millis" })))
  })
})

describe("rlm output", () => {
  it.effect("rlm.maxOutputChars bounds what the model reads of a block's output, keeping its head and tail", () => {
    const provider = TestProvider.builder()
      .reply(
        fence("print(\"HEAD\")\nfor i in range(200) { print(\"0123456789\") }\nprint(\"TAIL\")"),
        fence("submit 1")
      )
      .build()
    return Effect.gen(function*() {
      yield* (yield* (yield* LashCore).openSession("bounded")).turn(TurnInput.text("go")).run
      const messages = (yield* provider.requests)[1]!.request.messages
      const feedback = messages.filter((m) => m.role === "user").map((m) => m.content).find((c) =>
        c.startsWith("Output:")
      )!
      expect(feedback.length).toBeLessThanOrEqual(300)
      expect(feedback).toContain("HEAD")
      expect(feedback).toContain("TAIL")
      expect(feedback).toMatch(/characters of output omitted/)
    }).pipe(Effect.provide(rlmCore(provider.layer, { rlm: { maxOutputChars: 300 } })))
  })

  it.effect("a bad rlm.maxOutputChars or toolTimeout fails the layer with LashConfigError", () =>
    Effect.gen(function*() {
      for (const config of [{ rlm: { maxOutputChars: Number.NaN } }, { toolTimeout: "-5 seconds" as const }]) {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(rlmCore(TestProvider.script([]).layer, config))))
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toMatchObject({ _tag: "LashConfigError", reason: "invalid_option" })
      }
    }))
})
