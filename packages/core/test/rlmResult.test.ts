/** RLM turns with a result schema, and the budget lines of the final user message. */
import { describe, expect, it } from "@effect/vitest"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing"
import { Effect, Option } from "effect"
import { LashCore, TurnInput } from "../src/index.js"
import { rlmCore } from "./fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"
const lastUser = (messages: ReadonlyArray<{ readonly role: string; readonly content: string }>) =>
  messages.filter((m) => m.role === "user").at(-1)!.content

describe("RLM result schema and budget lines", () => {
  it.effect("a submit that does not match the result schema goes back to the model; the turn goes on", () => {
    const provider = TestProvider.builder()
      .reply(
        fence("submit { total: \"five\" }"),
        fence("r = await tools.add({ a: 2, b: 3 })?\nsubmit { total: r.sum }")
      )
      .build()
    const resultSchema = {
      type: "object",
      properties: { total: { type: "number" } },
      required: ["total"],
      additionalProperties: false
    }
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("schema-1")
      const out = yield* session.turn(TurnInput.text("add"), { resultSchema }).run
      expect(Option.getOrNull(out.submittedValue)).toEqual({ total: 5 })
      const requests = yield* provider.requests
      expect(requests).toHaveLength(2)
      // The model is told the schema, then why its first submit was refused.
      expect(lastUser(requests[0]!.request.messages)).toContain(
        "The submitted value must match this JSON Schema: {\"additionalProperties\":false"
      )
      const second = requests[1]!.request.messages.map((m) => m.content).join("\n")
      expect(second).toContain("the submitted value does not match the required result schema: /total")
      // The refused value is not the turn's answer: only the second one is settled in the transcript.
      const texts = session.readView().messages.flatMap((m) =>
        m.role === "assistant" ? m.parts.filter((p) => p.kind === "text").map((p) => p.content) : []
      )
      expect(texts.some((t) => t.includes("five"))).toBe(false)
      yield* provider.assertComplete
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("a result schema that cannot compile fails the turn before any model call", () => {
    const provider = TestProvider.builder().build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("schema-2")
      const error = yield* Effect.flip(
        session.turn(TurnInput.text("x"), { resultSchema: { type: "no-such-type" } }).run
      )
      expect(error).toMatchObject({ _tag: "LashConfigError", field: "resultSchema" })
      expect(yield* provider.requests).toHaveLength(0)
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })

  it.effect("every iteration ends with its budget: iterations left, the output cut, the context used", () => {
    const provider = TestProvider.builder()
      .reply({ text: fence("print 1"), usage: { input: 321, output: 5 } }, fence("submit 2"))
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("budget-1")
      yield* session.turn(TurnInput.text("go"), { maxIterations: 4 }).run
      const requests = yield* provider.requests
      expect(lastUser(requests[0]!.request.messages)).toContain(
        "Budget: 3 more iterations after this one; each block's output is cut to"
      )
      expect(lastUser(requests[0]!.request.messages)).toContain("context window 8192 tokens.")
      expect(lastUser(requests[1]!.request.messages)).toContain("Budget: 2 more iterations after this one")
      expect(lastUser(requests[1]!.request.messages)).toContain(
        "context window 8192 tokens, the last request used 321."
      )
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })
})

describe("RLM history", () => {
  it.effect("a long print is cut with its history[N].output[M] handle; the next block reads the whole text", () => {
    const provider = TestProvider.builder()
      .reply(
        fence("big = join(range(0, 5000), \",\")\nprint big"),
        fence("submit [len(history[0].output[0]), len(big), history[0].error, len(history)]")
      )
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("history-1")
      const out = yield* session.turn(TurnInput.text("go")).run
      const whole = Array.from({ length: 5000 }, (_, i) => String(i)).join(",").length
      expect(Option.getOrNull(out.submittedValue)).toEqual([whole, whole, null, 1])
      const requests = yield* provider.requests
      const second = requests[1]!.request.messages.map((m) => m.content).join("\n")
      expect(second).toContain("characters omitted; the whole text is history[0].output[0]")
      expect(requests[0]!.request.messages[0]!.content).toContain("`history` (read-only)")
      // `history` is not a persisted variable: the next turn's Bound Variables do not list it.
      expect(requests[1]!.request.messages[0]!.content).not.toContain("- history:")
    }).pipe(
      Effect.provide(rlmCore(provider.layer, { rlm: { abilities: LashlangAbilities.all, maxOutputChars: 50_000 } }))
    )
  })

  it.effect("history cannot be assigned", () => {
    const provider = TestProvider.builder().reply(fence("history = 1"), fence("submit len(history)")).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("history-2")
      const out = yield* session.turn(TurnInput.text("go")).run
      expect(Option.getOrNull(out.submittedValue)).toBe(1)
      const second = (yield* provider.requests)[1]!.request.messages.map((m) => m.content).join("\n")
      expect(second).toContain("`history` is a read-only projected binding")
    }).pipe(Effect.provide(rlmCore(provider.layer)))
  })
})
