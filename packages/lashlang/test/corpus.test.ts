import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { formatDiagnostic, LashlangAbilities, Value } from "../src/index.js"
import { env, lines, run, submitted } from "./fixture.js"

const expectSubmit = (source: string, json: string) =>
  Effect.gen(function*() {
    const r = yield* run(source)
    expect(submitted(r)).toBe(json)
    return r
  })
const linkError = (source: string) =>
  Effect.flatMap(
    Effect.either(run(source)),
    (r) =>
      r._tag === "Left" ? Effect.succeed(r.left) : Effect.dieMessage(`expected a link error, got ${submitted(r.right)}`)
  )
const runtimeError = (source: string) =>
  Effect.map(run(source), (r) => {
    if (r.outcome._tag !== "Errored") throw new Error(`expected a runtime error, got ${submitted(r)}`)
    return r.outcome.error
  })

describe("lashlang corpus (docs/lashlang.md, The conformance corpus)", () => {
  it.effect("C1 arithmetic and format", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        `total = 1 + 2 * 3\nhalf = total / 2\nsubmit format("total={} half={} mod={}", total, half, 7 % 3)`,
        "\"total=7 half=3.5 mod=1\""
      )
      expect(r.outcome.globals.get("total")).toBe(7)
      expect(r.outcome.globals.get("half")).toBe(3.5)
    }))
  it.effect("C2 histogram, insertion order vs sorted JSON", () =>
    expectSubmit(
      lines(
        `labels = ["a", "b", "a", "c", "b", "a"] / counts = {} / for label in labels { counts[label] = counts[label] + 1 } / submit { counts: counts, order: keys(counts), n: len(labels), text: to_string(counts) }`
      ),
      "{\"counts\":{\"a\":3,\"b\":2,\"c\":1},\"n\":6,\"order\":[\"a\",\"b\",\"c\"],\"text\":\"{\\\"a\\\":3,\\\"b\\\":2,\\\"c\\\":1}\"}"
    ))
  it.effect("C3 truthiness and boolean operators", () =>
    expectSubmit(
      lines(
        `score = 7 / if score > 10 { size = "large" } else if score > 5 { size = "medium" } else { size = "small" } / flags = [0 ? "t" : "f", "" ? "t" : "f", [] ? "t" : "f", null ? "t" : "f", !0, not "x"] / submit { size: size, flags: flags, mixed: 1 == "1", and_or: [1 and "x", null or 0] }`
      ),
      "{\"and_or\":[true,false],\"flags\":[\"f\",\"f\",\"t\",\"f\",true,false],\"mixed\":false,\"size\":\"medium\"}"
    ))
  it.effect("C4 loops and loop-variable restore", () =>
    expectSubmit(
      lines(
        `item = "outer" / seen = [] / for item in [1, 2, 3, 4, 5] { if item == 2 { continue }  if item == 4 { break }  seen = push(seen, item) } / n = 0 / while n < 3 { n = n + 1 } / submit { seen: seen, item: item, n: n }`
      ),
      "{\"item\":\"outer\",\"n\":3,\"seen\":[1,3]}"
    ))
  it.effect("C5 strings and lists", () =>
    expectSubmit(
      lines(
        `parts = [] / for p in split(trim("  alpha, beta ,gamma  "), ",") { parts = push(parts, trim(p)) } / submit { parts: parts, joined: join(parts, "|"), first3: slice(parts[0], 0, 3), last: parts[-1], oob: parts[10], / up_to_last: slice(parts, null, -1), found: find("hello world", "o", 5), n: len("héllo"), concat: "n=" + 2 + " ok=" + true }`
      ),
      "{\"concat\":\"n=2 ok=true\",\"first3\":\"alp\",\"found\":7,\"joined\":\"alpha|beta|gamma\",\"last\":\"gamma\",\"n\":5,\"oob\":null,\"parts\":[\"alpha\",\"beta\",\"gamma\"],\"up_to_last\":[\"alpha\",\"beta\"]}"
    ))
  it.effect("C6 copy-on-write path assignment (and its companions)", () =>
    Effect.gen(function*() {
      yield* expectSubmit(
        lines(
          `state = { groups: { a: { counts: [1, 2] } }, tags: [] } / alias = state / state.groups.a.counts[1] = 5 / state.groups["b"] = { counts: [] } / state.tags = push(state.tags, "x") / submit { state: state, alias: alias }`
        ),
        "{\"alias\":{\"groups\":{\"a\":{\"counts\":[1,2]}},\"tags\":[]},\"state\":{\"groups\":{\"a\":{\"counts\":[1,5]},\"b\":{\"counts\":[]}},\"tags\":[\"x\"]}}"
      )
      const e = yield* runtimeError(lines(`items = [1] / items[2] = 5`))
      expect([e.kind, e.message, e.span?.line]).toEqual(["ValueError", "list assignment index out of bounds", 2])
      expect(yield* linkError("r.x = 1")).toMatchObject({ kind: "UnknownName", message: "unknown name `r`" })
    }))
  it.effect("C7 wrappers without `?`, values with `?`", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        lines(
          `ok = await tools.echo({ value: "hi" }) / bad = await tools.fail({}) / v = await tools.echo({ value: "direct" })? / submit { ok: ok, bad: bad, v: v, msg: bad.ok ? "fine" : format("failed: {}", bad.error) }`
        ),
        "{\"bad\":{\"error\":\"boom\",\"ok\":false},\"msg\":\"failed: boom\",\"ok\":{\"ok\":true,\"value\":\"hi\"},\"v\":\"direct\"}"
      )
      expect(r.ops.filter((o) => o._tag === "Call").map((o) => (o._tag === "Call" ? Value.toJsonText(o.args[0]!) : "")))
        .toEqual(["{\"value\":\"hi\"}", "{}", "{\"value\":\"direct\"}"])
    }))
  it.effect("C8 `?` aborts; earlier assignments persist; exact rendering", () =>
    Effect.gen(function*() {
      const source = "x = 1\ncontent = await tools.read_file({ path: \"missing.txt\" })?\nsubmit content"
      const r = yield* run(source)
      expect(r.outcome._tag).toBe("Errored")
      if (r.outcome._tag !== "Errored") return
      expect(r.outcome.error.kind).toBe("UnwrapFailed")
      expect(formatDiagnostic(r.outcome.error, source)).toBe(
        "`?` unwrapped failed module operation: missing file: missing.txt\n--> line 2, column 1\ncontent = await tools.read_file({ path: \"missing.txt\" })?\n^"
      )
      expect(r.outcome.globals.get("x")).toBe(1)
      expect(r.outcome.globals.has("content")).toBe(false)
    }))
  it.effect("C9 aggregate await", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        "results = await { first: tools.echo({ value: \"a\" })?, second: tools.echo({ value: \"b\" }),\n  label: \"kept\", nested: [tools.echo({ value: \"c\" })?, 42] }\nsubmit results",
        "{\"first\":\"a\",\"label\":\"kept\",\"nested\":[\"c\",42],\"second\":{\"ok\":true,\"value\":\"b\"}}"
      )
      expect(r.ops.filter((o) => o._tag === "Call")).toHaveLength(3)
      const e = yield* run("r = await { a: tools.fail({})?, b: tools.echo({ value: 1 })? }")
      expect(e.ops.filter((o) => o._tag === "Call")).toHaveLength(2)
      expect(submitted(e)).toBe("UnwrapFailed: `?` unwrapped failed module operation: boom")
    }))
  it.effect("C10 persistence across two blocks", () =>
    Effect.gen(function*() {
      const b1 = yield* run(lines(`counter = 1 / print counter / print { note: "step", items: [1, 2.5] }`))
      expect(b1.prints).toEqual(["1", "{\"items\":[1,2.5],\"note\":\"step\"}"])
      expect(b1.outcome._tag).toBe("Continued")
      const b2 = yield* run(lines(`counter = counter + 1 / submit counter`), { globals: b1.outcome.globals })
      expect(submitted(b2)).toBe("2")
    }))
  it.effect("C11 processes, joins, failures (and gating)", () =>
    Effect.gen(function*() {
      yield* expectSubmit(
        "process double(n: int) -> int { finish n * 2 }\nprocess reject(reason: str) { fail { reason: reason } }\na = start double(n: 4)\nb = start double(n: 5)\nr = start reject(reason: \"nope\")\njoined = await { a: a, b: b, r: r }\nsubmit { a: (await a)?, joined_b: joined.b, r_ok: joined.r.ok, r_err: joined.r.error }",
        "{\"a\":8,\"joined_b\":{\"ok\":true,\"value\":10},\"r_err\":\"process failed: {\\\"reason\\\":\\\"nope\\\"}\",\"r_ok\":false}"
      )
      const off = yield* Effect.flip(
        run("process double(n: int) { finish n * 2 }", { env: env(LashlangAbilities.none) })
      )
      expect(off).toMatchObject({
        kind: "FeatureDisabled",
        message: "lashlang feature `processes` is disabled by this host"
      })
    }))
  it.effect("C12 clock trigger registration", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        "process remember(tick: clock.Tick) {\n  wake { id: tick.id, scheduled_at: tick.scheduled_at }\n  finish { id: tick.id, ok: true }\n}\nsource = clock.Alarm({ at: \"08:00\" })\nhandle = await triggers.register({ source: source, target: remember, inputs: { tick: trigger.event }, name: \"remembered\" })?\nsubmit \"registered\"",
        "\"registered\""
      )
      const reg = r.ops.filter((o) => o._tag === "TriggerRegister")
      expect(reg).toHaveLength(1)
      if (reg[0]?._tag !== "TriggerRegister") return
      expect(reg[0].inputs).toEqual([{ name: "tick", binding: { kind: "event" } }])
      expect(Value.toJsonText(reg[0].source)).toBe(
        "{\"$lash_host_descriptor_type\":\"clock.Alarm\",\"$lash_host_descriptor_value\":{\"at\":\"08:00\"}}"
      )
      expect(reg[0].name).toBe("remembered")
    }))
  it.effect("C14 trigger and link errors", () =>
    Effect.gen(function*() {
      const scan = "process scan(tick: clock.Tick) { finish tick.id }\n"
      const cases: ReadonlyArray<readonly [string, string, string?]> = [
        [
          scan + "await triggers.register({ source: clock.Alarm({at:\"08:00\"}), target: scan, inputs: {} })?",
          "MissingTriggerInput",
          "trigger target `scan` input `tick` is not mapped"
        ],
        [
          "process scan(tick: str) { finish tick }\nawait triggers.register({ source: clock.Alarm({at:\"08:00\"}), target: scan, inputs: { tick: trigger.event } })?",
          "TriggerEventMismatch",
          "trigger source emits { id: str, scheduled_at: str }, but target input `tick` expects str"
        ],
        [scan + "submit trigger.event", "TriggerEventOutsideInputs"],
        [
          scan +
          "await triggers.register({ source: clock.Alarm({at:\"08:00\"}), target: scan, inputs: { tick: trigger.event.id } })?",
          "TriggerEventProjection"
        ],
        [
          scan + "source = clock.Alarm({ at: 8 })",
          "IncompatibleConstructorInput",
          "constructor `clock.Alarm` expects { at: str }, got { at: int }"
        ],
        [
          "submit read_file({ path: \"a.txt\" })",
          "BareToolCall",
          "tools must be called through module paths, e.g. `tools.read_file`"
        ],
        ["await tools.nothing({})", "UnknownOperation", "resource type `Tools` does not expose operation `nothing`"],
        ["submit nope.op({})", "UnresolvedReceiver", "receiver for operation `op` is not a module authority"],
        ["process p() { finish missing_name }", "UnknownName", "unknown name `missing_name`"]
      ]
      for (const [source, kind, message] of cases) {
        const e = yield* linkError(source)
        expect({ source, kind: e.kind }).toEqual({ source, kind })
        if (message !== undefined) expect(e.message).toBe(message)
      }
    }))
  it.effect("C15 diagnostics", () =>
    Effect.gen(function*() {
      expect(yield* linkError("submit if true { 1 }")).toMatchObject({
        kind: "Unexpected",
        message: "unexpected `if`",
        span: { line: 1, column: 8 },
        hint: "use `cond ? yes : no` for inline conditionals"
      })
      expect(yield* linkError("x = 1\nwake x")).toMatchObject({
        kind: "ProcessStatementOutsideProcess",
        span: { line: 2, column: 1 }
      })
      expect(yield* linkError("process p() {\n  print \"hi\"\n}")).toMatchObject({
        kind: "ForegroundStatementInsideProcess",
        message: "`print` can't be used inside a `process` body",
        span: { line: 2, column: 3 }
      })
      expect(yield* linkError("if true {\n  x = 1")).toMatchObject({
        kind: "Expected",
        message: "expected `}`, found end of input",
        span: { line: 2, column: 8 }
      })
      expect(yield* linkError("break")).toMatchObject({ kind: "LoopControlOutsideLoop" })
      const len = yield* runtimeError("a = 1\nb = len(true)")
      expect([len.kind, len.message, len.span?.line]).toEqual([
        "TypeError",
        "`len` requires a string, list, record, or null; use `.size` for images",
        2
      ])
      expect(yield* linkError("submit missing")).toMatchObject({ kind: "UnknownName" })
      expect((yield* runtimeError("for x in { a: 1 } { print x }")).kind).toBe("NotIterable")
      expect((yield* runtimeError("submit format(\"{} {1}\", \"x\", \"y\")")).message).toBe(
        "can't mix `{}` and indexed format placeholders"
      )
      expect(yield* runtimeError("submit ({ ok: false, error: \"boom\" })?")).toMatchObject({
        kind: "UnwrapFailed",
        message: "`?` unwrapped failed tool result: boom"
      })
      expect((yield* runtimeError("submit (5)?")).message).toBe("`?` expected a tool result wrapper, got number")
      const v = yield* run(
        "Item = Type { name: str, qty: int, tags: list[str]?, note: str | null }\ngood = validate({ name: \"bolt\", qty: 3, note: null }, Item)\nbad = validate({ name: \"nut\", qty: 1.5, note: \"x\" }, Item)"
      )
      expect(v.outcome._tag === "Errored" && v.outcome.error.message).toBe(
        "validation failed: $.qty: expected integer, got number"
      )
      expect(Value.toJsonText(v.outcome.globals.get("good")!)).toBe("{\"name\":\"bolt\",\"note\":null,\"qty\":3}")
      const p = yield* run("Item = Type { name: str, qty: int, tags: list[str]?, note: str | null }\nprint Item")
      expect(p.prints[0]).toBe(
        "{\"$lash_type\":{\"additionalProperties\":false,\"properties\":{\"name\":{\"type\":\"string\"},\"note\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},\"qty\":{\"type\":\"integer\"},\"tags\":{\"items\":{\"type\":\"string\"},\"type\":\"array\"}},\"required\":[\"name\",\"qty\",\"note\"],\"type\":\"object\"}}"
      )
    }))
})
