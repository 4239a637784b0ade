/**
 * The provider and tool boundaries in both modes (docs/models.md, "Tool failures"): whatever a provider answers
 * (null, no text, NaN usage, a throw) is a typed `LlmTransportError` that commits nothing, never a defect; whatever a
 * tool does (return undefined, a Promise, a value that is not JSON or is circular, `Effect.fail`, die, hang past its
 * timeout, ignore interruption) is a tool failure the model sees, and the turn goes on within the timeout.
 */
import { describe, expect, it } from "@effect/vitest"
import { TestProvider } from "@lash/testing/provider"
import { Cause, type Duration, Effect, Exit, Option } from "effect"
import {
  LanguageModelProvider,
  LashCore,
  type LlmProvider,
  LlmTransportError,
  type SessionId,
  SessionStore,
  ToolDefinition,
  ToolProvider,
  ToolResults,
  TurnInput
} from "../../src/index.js"
import { rlmCore, standardCore } from "../fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"
const modes = [
  { name: "standard", core: standardCore, fine: "fine" },
  { name: "rlm", core: rlmCore, fine: fence("submit \"fine\"") }
] as const

/** A provider whose first call answers `first` (whatever it is) and later calls answer `fine`. */
const misbehaving = (first: () => unknown, fine: string): LlmProvider => {
  let calls = 0
  return {
    kind: "bad",
    complete: () => {
      if (calls++ > 0) return Effect.succeed({ text: fine, toolCalls: [], usage: { input: 1, output: 1 } })
      return first() as never
    }
  }
}

const providerCases: ReadonlyArray<readonly [string, () => unknown, string]> = [
  ["answers null", () => Effect.succeed(null), "malformed provider response"],
  ["answers undefined", () => Effect.succeed(undefined), "malformed provider response"],
  [
    "answers undefined text",
    () => Effect.succeed({ text: undefined, toolCalls: [], usage: { input: 0, output: 0 } }),
    "malformed provider response"
  ],
  [
    "reports NaN usage",
    () => Effect.succeed({ text: "x", toolCalls: [], usage: { input: Number.NaN, output: 0 } }),
    "malformed provider response"
  ],
  ["throws", () => {
    throw new Error("socket exploded")
  }, "socket exploded"],
  ["throws a non-Error", () => {
    throw "a string"
  }, "a string"],
  ["fails with Effect.fail", () => Effect.fail(new Error("raw")), "raw"],
  ["dies", () => Effect.die(new Error("bug in provider")), "bug in provider"],
  ["returns a Promise", () => Promise.resolve({ text: "x", toolCalls: [], usage: { input: 0, output: 0 } }), "Promise"]
]

describe("the provider boundary in both modes", () => {
  for (const mode of modes) {
    for (const [name, first, detail] of providerCases) {
      it.effect(`${mode.name}: a provider that ${name} fails the turn with LlmTransportError and commits nothing`, () =>
        Effect.gen(function*() {
          const session = yield* (yield* LashCore).openSession("boundary")
          const exit = yield* Effect.exit(session.turn(TurnInput.text("hello"), { turnId: "t1" }).run)
          const error = Exit.isFailure(exit) ? Option.getOrNull(Cause.failureOption(exit.cause)) : null
          expect(error, Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "succeeded").toBeInstanceOf(LlmTransportError)
          expect((error as LlmTransportError).detail).toContain(detail)
          const stored = yield* (yield* SessionStore).load("boundary" as SessionId)
          expect(Option.map(stored, (s) => s.headRevision)).toEqual(Option.some(0))
          // Resubmitted, the turn runs and commits.
          const out = yield* session.turn(TurnInput.text("hello"), { turnId: "t1" }).run
          expect(out.headRevision).toBe(1)
        }).pipe(Effect.provide(mode.core(LanguageModelProvider.single(misbehaving(first, mode.fine))))))
    }
  }
})

/** A raw tool whose `execute` is whatever the test hands it. */
const rawTool = (name: string, execute: (args: unknown) => unknown, timeout?: Duration.DurationInput) =>
  ToolProvider.fromDefinitions([{
    definition: ToolDefinition.raw({
      name,
      description: name,
      inputSchema: { type: "object" },
      ...(timeout === undefined ? {} : { timeout })
    }),
    execute: execute as never
  }])

const cyclic: Record<string, unknown> = {}
cyclic["self"] = cyclic
const toolCases: ReadonlyArray<readonly [string, (args: unknown) => unknown, string]> = [
  ["returns_undefined", () => undefined, "execute returned undefined instead of an Effect"],
  ["returns_promise", () => Promise.resolve(ToolResults.ok(1)), "execute returned a Promise instead of an Effect"],
  ["succeeds_undefined", () => Effect.succeed(undefined), "returned undefined, not a ToolResult"],
  ["not_json", () => Effect.succeed(ToolResults.ok((() => 1) as never)), "not a ToolResult"],
  ["bigint", () => Effect.succeed(ToolResults.ok(10n as never)), "not a ToolResult"],
  ["circular", () => Effect.succeed(ToolResults.ok(cyclic as never)), "(cyclic)"],
  ["effect_fail", () => Effect.fail(new Error("quota exceeded")), "quota exceeded"],
  ["dies", () => Effect.die(new Error("bad state")), "crashed: bad state"],
  ["throws", () => {
    throw new Error("kaboom")
  }, "crashed: kaboom"],
  ["hangs", () => Effect.never, "did not finish within 50 ms"],
  ["ignores_interruption", () => Effect.uninterruptible(Effect.sleep("20 seconds")), "did not finish within 50 ms"]
]
const tools = toolCases.map(([name, execute]) => rawTool(name, execute, "50 millis"))

describe("the tool boundary in both modes", () => {
  it.live(
    "standard: every misbehaving tool is a failure result the model sees; the turn goes on within the timeouts",
    () => {
      const provider = TestProvider.builder()
        .reply({ toolCalls: toolCases.map(([name]) => ({ name, args: {} })) }, "survived")
        .build()
      return Effect.gen(function*() {
        const started = Date.now()
        const out = yield* (yield* (yield* LashCore).openSession("tools")).turn(TurnInput.text("go")).run
        expect(Date.now() - started).toBeLessThan(10_000)
        expect(Option.getOrNull(out.assistantMessage)).toBe("survived")
        for (const [i, [name, , message]] of toolCases.entries()) {
          const result = out.toolCalls[i]!.result
          expect(result.type, name).toBe("failure")
          if (result.type === "failure") expect(result.failure.message, name).toContain(message)
        }
        // The model's second request carries every failure.
        const seen = JSON.stringify((yield* provider.requests)[1]!.request.messages)
        for (const [name] of toolCases) expect(seen).toContain(name)
      }).pipe(Effect.provide(standardCore(provider.layer, { tools })))
    },
    { timeout: 60_000 }
  )

  it.live(
    "rlm: a block calling every misbehaving tool sees each failure as a value; the turn goes on within the timeouts",
    () => {
      const calls = toolCases.map(([name]) => `r = await tools.${name}({})\nout = push(out, [r.ok, r.error])`).join(
        "\n"
      )
      const provider = TestProvider.builder()
        .reply(fence(`out = []\n${calls}\nsubmit out`))
        .build()
      return Effect.gen(function*() {
        const started = Date.now()
        const out = yield* (yield* (yield* LashCore).openSession("rlm-tools")).turn(TurnInput.text("go")).run
        expect(Date.now() - started).toBeLessThan(10_000)
        const seen = Option.getOrNull(out.submittedValue) as ReadonlyArray<readonly [boolean, string]>
        expect(seen).toHaveLength(toolCases.length)
        for (const [i, [name, , message]] of toolCases.entries()) {
          expect(seen[i]![0], name).toBe(false)
          expect(seen[i]![1], name).toContain(message)
        }
      }).pipe(Effect.provide(rlmCore(provider.layer, { tools })))
    },
    { timeout: 60_000 }
  )
})
