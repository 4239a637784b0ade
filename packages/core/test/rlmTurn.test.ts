import { describe, expect, it } from "@effect/vitest"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing"
import { Effect, Option } from "effect"
import { LashCore, ToolDefinition, ToolProvider, TurnInput } from "../src/index.js"
import { rlmCore } from "./fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

describe("RLM turns", () => {
  it.effect("a link error is fed back, the second block submits, both steps are committed", () => {
    const provider = TestProvider.builder()
      .reply(
        "Let me add.\n" + fence("r = await tools.add({ a: 2, b: 3 })?\nsubmit total"),
        fence("r = await tools.add({ a: 2, b: 3 })?\nsubmit { sum: r.sum, doubled: r.sum * 2 }")
      )
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-1")
      const out = yield* session.turn(TurnInput.text("add 2 and 3")).run
      expect(Option.getOrNull(out.submittedValue)).toEqual({ sum: 5, doubled: 10 })
      const requests = yield* provider.requests
      expect(requests).toHaveLength(2)
      // The second request shows the first step's diagnostic, with its line and column.
      const feedback = requests[1]!.request.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")
      expect(feedback).toContain("unknown name `total`")
      expect(feedback).toMatch(/line 2/)
      // No native tools in RLM mode; the system prompt renders the host surface.
      expect(requests[0]!.request.tools).toEqual([])
      expect(requests[0]!.request.messages[0]!.content).toContain("tools.add")
      // Both steps and the settled answer are in the committed transcript, and survive a cold reopen.
      const reopened = yield* core.openSession("rlm-1")
      const codes = reopened.readView().messages.flatMap((m) =>
        m.parts.filter((p) => p.kind === "code").map((p) => p.content)
      )
      expect(codes).toHaveLength(2)
      expect(codes[0]).toContain("submit total")
      yield* provider.assertComplete
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("variables persist across blocks and across turns; prints reach the model", () => {
    const provider = TestProvider.builder()
      .reply(
        fence("counter = 41\nprint counter"),
        fence("counter = counter + 1\nsubmit counter"),
        fence("submit counter * 2")
      )
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-2")
      const first = yield* session.turn(TurnInput.text("count")).run
      expect(Option.getOrNull(first.submittedValue)).toBe(42)
      const requests = yield* provider.requests
      expect(requests[1]!.request.messages.some((m) => m.role === "user" && m.content.includes("Output:\n41"))).toBe(
        true
      )
      expect(requests[1]!.request.messages[0]!.content).toContain("counter")
      const second = yield* session.turn(TurnInput.text("double it")).run
      expect(Option.getOrNull(second.submittedValue)).toBe(84)
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("unknown tools, bad arguments, runtime errors and missing fences never fail the turn", () => {
    const provider = TestProvider.builder()
      .reply(
        "I think the answer is 4.",
        fence("x = await tools.nope({})"),
        fence("bad = await tools.add({ a: \"two\", b: 3 })\nprint bad.ok\nprint bad.error"),
        fence("boom = \"a\" - 1\nsubmit boom"),
        "```lashlang\nsubmit 1",
        fence("submit \"done\"")
      )
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-3")
      const out = yield* session.turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("done")
      const requests = yield* provider.requests
      const seen = (i: number) =>
        requests[i]!.request.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")
      expect(seen(1)).toContain("No ```lashlang block was found")
      expect(seen(2)).toContain("resource type `Tools` does not expose operation `nope`")
      expect(seen(3)).toContain("Output:\nfalse")
      expect(seen(3)).toContain("invalid arguments for add: /a: must be number")
      expect(seen(4)).toContain("expected a number")
      expect(seen(5)).toContain("was not closed")
      // The settled submission is the transcript's last assistant message (strings pass through unchanged).
      expect(session.readView().messages.at(-1)?.parts.map((p) => p.content)).toEqual(["done"])
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("the iteration limit stops the turn as max_turns and still commits", () => {
    const provider = TestProvider.builder().complete(() => fence("print 1")).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-4")
      const out = yield* session.turn(TurnInput.text("loop")).run
      expect(out.outcome).toEqual({ type: "stopped", stop: "max_turns" })
      expect(out.headRevision).toBe(1)
      expect((yield* provider.requests).length).toBe(3)
    }).pipe(Effect.provide(rlmCore(provider.layer, { maxIterations: 3 })))
  })

  it.effect("per-runtime Lashlang limits: a runaway block is stopped by the configured step budget and the turn goes on", () => {
    const provider = TestProvider.builder().reply(fence("n = 0\nwhile true { n = n + 1 }"), fence("submit n")).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-5")
      const out = yield* session.turn(TurnInput.text("spin")).run
      const requests = yield* provider.requests
      expect(requests[1]!.request.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")).toContain(
        "step budget exhausted (500 steps)"
      )
      // Globals assigned before the limit hit are kept.
      expect(Option.getOrNull(out.submittedValue)).toBeGreaterThan(0)
    }).pipe(
      Effect.provide(rlmCore(provider.layer, { rlm: { abilities: LashlangAbilities.all, limits: { maxSteps: 500 } } }))
    )
  })

  it.effect("a tool's finish control inside a block ends the turn with its value", () => {
    const finisher = ToolProvider.fromDefinitions([
      {
        definition: ToolDefinition.raw({ name: "done", description: "Ends the turn", inputSchema: { type: "object" } }),
        execute: () =>
          Effect.succeed({
            type: "ok" as const,
            value: "ack",
            control: { type: "finish" as const, value: { final: true } }
          })
      }
    ])
    const provider = TestProvider.builder().reply(fence("r = await tools.done({})?\nprint r")).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-6")
      const out = yield* session.turn(TurnInput.text("finish")).run
      expect(out.outcome).toEqual({
        type: "finished",
        finish: { type: "tool_value", toolName: "done", value: { final: true } }
      })
      yield* provider.assertComplete
    }).pipe(Effect.provide(rlmCore(provider.layer, { tools: [finisher] })))
  })

  it.effect("prose_or_submit: prose ends the turn; at the step limit one grace iteration asks for prose", () => {
    const provider = TestProvider.builder().reply(fence("x = 1"), fence("x = 2"), "Here is my answer.").build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-7")
      const out = yield* session.turn(TurnInput.text("answer")).run
      expect(out.outcome).toEqual({
        type: "finished",
        finish: { type: "assistant_message", text: "Here is my answer." }
      })
      const requests = yield* provider.requests
      expect(requests).toHaveLength(3)
      expect(requests[2]!.request.messages.at(-1)?.content).toContain("step limit")
    }).pipe(
      Effect.provide(
        rlmCore(provider.layer, {
          maxIterations: 2,
          rlm: { abilities: LashlangAbilities.all, termination: "prose_or_submit" }
        })
      )
    )
  })

  it.effect("a block that would sleep longer than 300 s in total is refused and reported to the model", () => {
    const provider = TestProvider.builder().reply(fence("r = await sleep for 400000"), fence("submit \"ok\"")).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("rlm-8")
      const out = yield* session.turn(TurnInput.text("nap")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("ok")
      const seen = (yield* provider.requests)[1]!.request.messages.filter((m) => m.role === "user").map((m) =>
        m.content
      ).join("\n")
      expect(seen).toContain("too much sleep in one block (limit 300000 ms in total)")
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })
})
