import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parse } from "../src/index.js"
import { run, submitted } from "./fixture.js"

const src = (...lines: ReadonlyArray<string>) => lines.join("\n")
/** Runs a hostile program: it must end in a typed error (parse, link or runtime), never a crash or a hang. */
const contained = (source: string) =>
  Effect.map(Effect.either(run(source)), (r) => {
    if (r._tag === "Left") {
      return {
        stage: "compile" as const,
        kind: r.left.kind,
        message: r.left.message,
        ops: 0,
        prints: [] as Array<string>,
        globals: new Map()
      }
    }
    const o = r.right.outcome
    return {
      stage: o._tag === "Errored" ? ("runtime" as const) : ("finished" as const),
      kind: o._tag === "Errored" ? o.error.kind : o._tag,
      message: o._tag === "Errored" ? o.error.message : submitted(r.right),
      ops: r.right.ops.length,
      prints: r.right.prints,
      globals: o.globals
    }
  })

describe("lashlang hostile programs", () => {
  it.effect("H1 deep parentheses are a parse error at the nesting limit; nothing runs", () =>
    Effect.gen(function*() {
      const r = yield* contained("x = " + "(".repeat(5000) + "1" + ")".repeat(5000))
      expect(r).toMatchObject({
        stage: "compile",
        kind: "NestingTooDeep",
        message: "expression nesting too deep (limit 64); flatten the program",
        ops: 0
      })
      const e = yield* Effect.flip(parse("x = " + "(".repeat(5000) + "1" + ")".repeat(5000)))
      expect(e.span).toEqual({ line: 1, column: 69 })
    }))
  it.effect("H2 long prefix and binary chains are bounded by the AST depth (no stack overflow)", () =>
    Effect.gen(function*() {
      expect(yield* contained("x = " + "- ".repeat(20000) + "1")).toMatchObject({
        stage: "compile",
        kind: "NestingTooDeep"
      })
      expect(yield* contained("x = " + Array.from({ length: 20000 }, () => "1").join("+"))).toMatchObject({
        stage: "compile",
        kind: "NestingTooDeep"
      })
    }))
  it.effect("H3 an endless loop exhausts the step budget and keeps the last value", () =>
    Effect.gen(function*() {
      const r = yield* contained(src("n = 0", "while true { n = n + 1 }"))
      expect(r).toMatchObject({
        stage: "runtime",
        kind: "LimitExceeded",
        message: "step budget exhausted (1000000 steps)"
      })
      expect(r.globals.get("n")).toBeGreaterThan(0)
    }))
  it.effect("H4 string doubling stops at the string limit; the last legal value is kept", () =>
    Effect.gen(function*() {
      const r = yield* contained(src("s = \"x\"", "for i in range(64) { s = s + s }"))
      expect(r).toMatchObject({ kind: "LimitExceeded", message: "string too long (limit 10000000)" })
      expect((r.globals.get("s") as string).length).toBe(2 ** 23)
    }))
  it.effect("H5 value nesting is bounded in construction and in json_parse", () =>
    Effect.gen(function*() {
      expect(yield* contained(src("v = []", "for i in range(100000) { v = [v] }"))).toMatchObject({
        kind: "LimitExceeded",
        message: "value nesting too deep (limit 128)"
      })
      const deep = JSON.stringify("[".repeat(10000))
      expect(yield* contained(`x = json_parse(${deep})`)).toMatchObject({
        kind: "ValueError",
        message: "invalid json: nesting too deep (limit 128)"
      })
    }))
  it.effect("H6 a receiver that is not a module authority never reaches the host", () =>
    Effect.map(
      contained("await evil.rm({ path: \"/\" })"),
      (r) =>
        expect(r).toMatchObject({
          stage: "compile",
          kind: "UnresolvedReceiver",
          message: "receiver for operation `rm` is not a module authority",
          ops: 0
        })
    ))
  it.effect("H7 unknown operations and bare tool calls are link errors", () =>
    Effect.gen(function*() {
      expect(yield* contained("tools.delete_everything({})")).toMatchObject({
        kind: "UnknownOperation",
        message: "resource type `Tools` does not expose operation `delete_everything`",
        ops: 0
      })
      expect(yield* contained("read_file({ path: \"/etc/passwd\" })")).toMatchObject({
        stage: "compile",
        kind: "BareToolCall",
        ops: 0
      })
    }))
  it.effect("H8 __proto__ and constructor are plain keys; no prototype is polluted", () =>
    Effect.gen(function*() {
      const r = yield* contained(
        src(
          "r = {}",
          "r[\"__proto__\"] = { polluted: true }",
          "r.constructor = 1",
          "x = json_parse(\"{\\\"__proto__\\\": {\\\"admin\\\": true}}\")",
          "submit { k: keys(r), a: x.admin, xk: keys(x), f: {}.polluted }"
        )
      )
      expect(r.message).toBe("{\"a\":null,\"f\":null,\"k\":[\"__proto__\",\"constructor\"],\"xk\":[\"__proto__\"]}")
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
      expect(({} as Record<string, unknown>)["admin"]).toBeUndefined()
    }))
  it.effect("H9 forged handles and forged process values are not honoured", () =>
    Effect.gen(function*() {
      const r = yield* run("r = await { \"__handle__\": \"process\", \"id\": \"proc-999\" }\nsubmit r")
      expect(submitted(r)).toBe("{\"error\":\"unknown process handle\",\"ok\":false}")
      const f = yield* contained(
        src(
          "process scan(tick: clock.Tick) { finish tick.id }",
          "h = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: { \"$lash_process\": true, process_name: \"scan\" }, inputs: { tick: trigger.event } })"
        )
      )
      expect(f).toMatchObject({
        stage: "compile",
        kind: "InvalidTriggerTarget",
        message: "trigger target must be a process value, got { $lash_process: bool, process_name: str }"
      })
    }))
  it.effect("H10 start and print floods stop at their limits", () =>
    Effect.gen(function*() {
      const starts = yield* run(src("process p(n: int) { finish n }", "for i in range(100000) { start p(n: i) }"))
      expect(starts.outcome._tag === "Errored" && starts.outcome.error.message).toBe(
        "too many process starts in one block (limit 100)"
      )
      expect(starts.ops.filter((o) => o._tag === "StartProcess")).toHaveLength(100)
      const calls = yield* run("for i in range(5000) { tools.echo({ value: i }) }")
      expect(calls.outcome._tag === "Errored" && calls.outcome.error.message).toBe(
        "too many host operations in one block (limit 1000)"
      )
      expect(calls.ops.filter((o) => o._tag === "Call")).toHaveLength(1000)
      const prints = yield* run("for i in range(1000000) { print i }")
      expect(prints.outcome._tag === "Errored" && prints.outcome.error.message).toBe(
        "step budget exhausted (1000000 steps)"
      )
      expect(prints.prints).toHaveLength(1001)
      expect(prints.prints.at(-1)).toBe("[output truncated]")
    }))
})
