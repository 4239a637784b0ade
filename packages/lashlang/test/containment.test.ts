import { describe, expect, it } from "@effect/vitest"
import { Clock, Data, Effect, Either } from "effect"
import {
  type ExecLimits,
  type ExecOutcome,
  execute,
  formatType,
  HostFailure,
  type HostOperation,
  link,
  parse,
  renderBoundVariables,
  typeOfValue,
  Value
} from "../src/index.js"
import { env, run, submitted } from "./fixture.js"

const src = (...lines: ReadonlyArray<string>) => lines.join("\n")
const outcome = (source: string) => Effect.map(run(source), submitted)

/** Runs a foreground program with its own host and limits. */
const exec = <E = HostFailure>(
  source: string,
  options: {
    readonly limits?: Partial<ExecLimits>
    readonly perform?: (op: HostOperation) => Effect.Effect<Value.Value, E>
    readonly globals?: ReadonlyMap<string, Value.Value>
  } = {}
) =>
  Effect.gen(function*() {
    const linked = yield* link(yield* parse(source), env(), { globals: options.globals ?? new Map() })
    const ops: Array<HostOperation> = []
    const perform = options.perform ?? (() => Effect.succeed(null))
    const out = yield* execute(linked, options.globals ?? new Map(), {
      perform: (op: HostOperation) => {
        ops.push(op)
        return perform(op)
      }
    }, { mode: "foreground", ...options.limits })
    return { out, ops }
  })

const errorOf = (o: ExecOutcome) => (o._tag === "Errored" ? o.error : undefined)

describe("every value has a size, counted once per reference", () => {
  it.effect("sharing cannot hide an expansion: the list that would pass the size limit fails where it is built", () =>
    Effect.gen(function*() {
      const r = yield* run(src(
        "x0 = range(1000000)",
        "x1 = [x0, x0, x0, x0, x0, x0, x0, x0, x0, x0]",
        "submit \"kept\""
      ))
      expect(errorOf(r.outcome)).toMatchObject({ kind: "LimitExceeded", message: "value too large (limit 16000000)" })
      expect(r.outcome._tag === "Errored" && r.outcome.error.span?.line).toBe(2)
      expect([...r.outcome.globals.keys()]).toEqual(["x0"])
    }))
  it.effect("pushing large lists into a list fails at the push that passes the limit", () =>
    Effect.gen(function*() {
      const r = yield* run(src("l = []", "for i in range(1000) { l = push(l, range(1000000)) }"))
      expect(errorOf(r.outcome)?.message).toBe("value too large (limit 16000000)")
      expect((r.outcome.globals.get("l") as ReadonlyArray<unknown>).length).toBe(1)
    }))
  it.effect("records, descriptors and type values count their parts; nested records through shared parts", () =>
    Effect.gen(function*() {
      expect(
        yield* outcome(src(
          "s = \"x\"",
          "for i in range(22) { s = s + s }",
          "r = { a: s }",
          "r2 = { a: r, b: r, c: r, d: r }"
        ))
      ).toBe("LimitExceeded: value too large (limit 16000000)")
      // Type values that embed each other twice per level double their size per level.
      expect(
        yield* outcome(src(
          "t = Type { a: str, b: str, c: str, d: str }",
          "for i in range(40) {",
          "  u = t",
          "  t = Type { x: u, y: u }",
          "}"
        ))
      ).toBe("LimitExceeded: value too large (limit 16000000)")
    }))
  it.effect("to_string, format and join of a value whose text passes the string limit fail with the string limit", () =>
    Effect.gen(function*() {
      const six = src("s = \"x\"", "for i in range(23) { s = s + s }", "s = slice(s, 0, 6000000)")
      expect(yield* outcome(src(six, "x = to_string([s, s])"))).toBe("LimitExceeded: string too long (limit 10000000)")
      expect(yield* outcome(src(six, "x = format(\"{}{}\", s, s)"))).toBe(
        "LimitExceeded: string too long (limit 10000000)"
      )
      expect(yield* outcome(src(six, "x = join([s, s], \"\")"))).toBe("LimitExceeded: string too long (limit 10000000)")
      expect(yield* outcome(src(six, "x = s + s"))).toBe("LimitExceeded: string too long (limit 10000000)")
      expect(yield* outcome(src(six, "x = s + [s]"))).toBe("LimitExceeded: string too long (limit 10000000)")
    }))
  it.effect("split, range and grep_text respect the list and size limits", () =>
    Effect.gen(function*() {
      const commas = src("s = \"a,\"", "for i in range(21) { s = s + s }")
      expect(yield* outcome(src(commas, "x = split(s, \",\")"))).toBe("LimitExceeded: list too long (limit 1000000)")
      expect(yield* outcome("x = range(2000000)")).toBe(
        "LimitExceeded: `range` would create more than 1000000 items"
      )
      const lines = src("s = \"hit\\n\"", "for i in range(21) { s = s + s }")
      expect(yield* outcome(src(lines, "x = grep_text(s, \"hit\")"))).toMatch(/^LimitExceeded: /)
    }))
  it.effect("json_parse respects the list, record, string and nesting limits", () =>
    Effect.gen(function*() {
      // 2,097,153 items.
      const list = src("s = \"0,\"", "for i in range(21) { s = s + s }", "x = json_parse(\"[\" + s + \"0]\")")
      expect(yield* outcome(list)).toBe("LimitExceeded: list too long (limit 1000000)")
      const record = src(
        "parts = []",
        "for i in range(120000) { parts = push(parts, format(\"\\\"k{}\\\": 1\", i)) }",
        "x = json_parse(\"{\" + join(parts, \",\") + \"}\")"
      )
      expect(yield* outcome(record)).toBe("LimitExceeded: record too large (limit 100000)")
      const r = yield* run(src("deep = \"\"", "for i in range(129) { deep = deep + \"[\" }", "x = json_parse(deep)"))
      expect(submitted(r)).toBe("ValueError: invalid json: nesting too deep (limit 128)")
      expect(yield* outcome("x = json_parse(\"[1, 2\")")).toBe(
        "ValueError: invalid json: unexpected end of input at position 5"
      )
      expect(yield* outcome("x = json_parse(\"{\\\"a\\\" 1}\")")).toBe(
        "ValueError: invalid json: expected `:` at position 5"
      )
      expect(
        yield* outcome(
          "submit json_parse(\"{\\\"b\\\": [1, 2.5e1, -0.5, true, null], \\\"a\\\": \\\"\\\\u00e9\\\\n\\\"}\")"
        )
      )
        .toBe("{\"a\":\"é\\n\",\"b\":[1,25,-0.5,true,null]}")
      expect(
        yield* outcome(
          "x = json_parse(\"{\\\"z\\\": 1, \\\"__proto__\\\": 2, \\\"a\\\": 3, \\\"z\\\": 4}\")\nsubmit [keys(x), x.z]"
        )
      ).toBe("[[\"__proto__\",\"a\",\"z\"],4]")
    }))
})

describe("every unit of work is charged", () => {
  it.effect("comparing large values repeatedly runs out of steps instead of time", () =>
    Effect.gen(function*() {
      const r = yield* run(src(
        "x0 = range(100000)",
        "y0 = range(100000)",
        "x1 = [x0, x0, x0, x0, x0, x0, x0, x0, x0, x0]",
        "y1 = [y0, y0, y0, y0, y0, y0, y0, y0, y0, y0]",
        "n = 0",
        "while true { if x1 == y1 { n = n + 1 } }"
      ))
      expect(errorOf(r.outcome)?.message).toBe("step budget exhausted (1000000 steps)")
      // Each comparison visits a million parts: at most a few dozen fit in the budget.
      expect(r.outcome.globals.get("n")).toBeLessThan(60)
      expect(r.outcome.globals.get("n")).toBeGreaterThan(5)
    }))
  it.effect("find of a 16k needle in a 4M haystack is linear: it completes within the step budget", () =>
    Effect.gen(function*() {
      const setup = src(
        "s = \"a\"",
        "for i in range(22) { s = s + s }",
        "n = \"a\"",
        "for i in range(13) { n = n + n }",
        "n = n + \"b\" + n"
      )
      expect(yield* outcome(src(setup, "submit [find(s, n), contains(s, n), len(split(s, n))]"))).toBe("[null,false,1]")
      expect(yield* outcome(src(setup, "s = s + n", "submit find(s, n)"))).toBe(String(2 ** 22))
    }))
  it.effect("building a record key by key and overwriting list items are linear (in place while one variable owns them)", () =>
    Effect.gen(function*() {
      expect(yield* outcome(src("r = {}", "for i in range(50000) { r[to_string(i)] = i }", "submit len(r)"))).toBe(
        "50000"
      )
      expect(
        yield* outcome(
          src(
            "l = range(1000000)",
            "i = 0",
            "while i < 50000 { l[i] = 0\n i = i + 1 }",
            "submit [l[0], l[49999], l[50000]]"
          )
        )
      ).toBe("[0,0,50000]")
      expect(
        yield* outcome(src(
          "counts = {}",
          "for i in range(60000) { k = to_string(i % 30000)\n counts[k] = counts[k] + 1 }",
          "submit [len(counts), counts[\"7\"]]"
        ))
      ).toBe("[30000,2]")
      expect(
        yield* outcome(src(
          "state = { groups: {} }",
          "for i in range(20000) { state.groups[to_string(i)] = { n: i } }",
          "submit len(state.groups)"
        ))
      ).toBe("20000")
    }))
  it.effect("indexing a string with surrogate pairs by code point is constant time after one scan", () =>
    Effect.gen(function*() {
      expect(
        yield* outcome(src(
          "s = \"😀a\"",
          "for i in range(15) { s = s + s }",
          "n = 0",
          "for i in range(len(s)) { if s[i] == \"a\" { n = n + 1 } }",
          "submit [len(s), n, s[-1], slice(s, 1, 3), find(s, \"a😀\", 2)]"
        ))
      ).toBe("[65536,32768,\"a\",\"a😀\",3]")
    }))
  it.effect("in-place changes are unobservable: every alias keeps its value", () =>
    Effect.gen(function*() {
      expect(
        yield* outcome(src("r = {}", "r.a = 1", "alias = r", "r.b = 2", "r.a = 3", "submit [alias, r]"))
      ).toBe("[{\"a\":1},{\"a\":3,\"b\":2}]")
      expect(
        yield* outcome(src(
          "r = { a: { b: [1, 2] } }",
          "r.a.b[0] = 5",
          "inner = r.a",
          "r.a.b[1] = 6",
          "items = r.a.b",
          "r.a.b[0] = 7",
          "submit [inner, items, r]"
        ))
      ).toBe("[{\"b\":[5,2]},[5,6],{\"a\":{\"b\":[7,6]}}]")
      expect(
        yield* outcome(src(
          "xs = [[1], [2]]",
          "xs[0][0] = 9",
          "for x in xs { x[0] = 0 }",
          "copy = []",
          "for x in xs { copy = push(copy, x) }",
          "xs[1][0] = 8",
          "submit [xs, copy]"
        ))
      ).toBe("[[[9],[8]],[[9],[2]]]")
      expect(
        yield* outcome(src("r = {}", "r.k = 1", "l = values({ x: r })", "r.k = 2", "submit [l, r]"))
      ).toBe("[[{\"k\":1}],{\"k\":2}]")
    }))
})

describe("the block's budgets", () => {
  it.effect("the first print is bounded too: an 8.4M-character string shows its first million, then the marker", () =>
    Effect.gen(function*() {
      const r = yield* run(
        src("s = \"x\"", "for i in range(23) { s = s + s }", "print s", "print \"after\"", "submit len(s)")
      )
      expect(submitted(r)).toBe("8388608")
      expect(r.prints.map((p) => p.length)).toEqual([1_000_000, "[output truncated]".length])
      expect(r.prints[1]).toBe("[output truncated]")
    }))
  it.effect("sleeps are capped per block in total, not per sleep", () =>
    Effect.gen(function*() {
      const { ops, out } = yield* exec("sleep for 200000\nsleep for \"100s\"\nsleep for \"1s\"")
      expect(errorOf(out)).toMatchObject({
        kind: "LimitExceeded",
        message: "too much sleep in one block (limit 300000 ms in total)"
      })
      expect(ops.filter((o) => o._tag === "Sleep").map((o) => (o as { millis: number }).millis)).toEqual([
        200000,
        100000
      ])
      expect(errorOf((yield* exec("sleep for \"soon\"")).out)?.message).toBe(
        "sleep failed: `sleep for` expects a non-negative millisecond number or duration string, got soon"
      )
    }))
  it.effect("the variables of a block are bounded in total; shrinking is always allowed", () =>
    Effect.gen(function*() {
      const r = yield* run(src(
        "a = \"x\"",
        "for i in range(23) { a = a + a }",
        "b = a + \"1\"",
        "c = a + \"2\"",
        "d = a + \"3\"",
        "e = a + \"4\""
      ))
      expect(errorOf(r.outcome)).toMatchObject({
        kind: "LimitExceeded",
        message: "variables too large (limit 32000000 in total)"
      })
      expect(r.outcome._tag === "Errored" && r.outcome.error.span?.line).toBe(5)
      expect([...r.outcome.globals.keys()]).toEqual(["a", "b", "c"])
      const later = yield* run(src("e = 1", "a = null", "e = b + \"4\"", "submit len(e)"), {
        globals: r.outcome.globals
      })
      expect(submitted(later)).toBe("8388610")
    }))
  it.effect("a block has a wall-clock deadline (time inside perform excluded)", () =>
    Effect.gen(function*() {
      // Every read of the clock advances it by one second.
      const slow = yield* exec("n = 0\nwhile true { n = n + 1 }", { limits: { maxSteps: 1_000_000_000 } }).pipe(
        Effect.withClock(steppingClock(1000))
      )
      expect(errorOf(slow.out)?.message).toBe("execution timed out (limit 10000 ms of interpreter time)")
      // A host that takes a minute per call does not use up the interpreter's time.
      const clock = steppingClock(0)
      const patient = yield* exec("for i in range(3) { tools.echo({ value: i }) }\nsubmit \"done\"", {
        perform: () => Effect.sync(() => clock.advance(60_000)).pipe(Effect.as(null))
      }).pipe(Effect.withClock(clock))
      expect(patient.out._tag).toBe("Submitted")
    }))
  it.effect("a limit that is not a positive integer is refused by name, never lifted", () =>
    Effect.gen(function*() {
      const nan = yield* exec("while true {}", { limits: { maxSteps: Number.NaN } })
      expect(errorOf(nan.out)).toMatchObject({
        kind: "ValueError",
        message: "execution limit `maxSteps` must be a positive integer, got NaN"
      })
      const negative = yield* exec("x = 1", { limits: { maxListLength: -5 } })
      expect(errorOf(negative.out)?.message).toBe("execution limit `maxListLength` must be a positive integer, got -5")
    }))
})

class StoreDown extends Data.TaggedError("StoreDown")<{ readonly detail: string }> {}

describe("the host boundary", () => {
  it.effect("a host failure other than HostFailure ends the execution as a typed failure, not a defect", () =>
    Effect.gen(function*() {
      const failed = yield* Effect.either(
        exec<HostFailure | StoreDown>("x = 1\ntools.echo({ value: 1 })", {
          perform: () => Effect.fail(new StoreDown({ detail: "disk gone" }))
        })
      )
      expect(Either.isLeft(failed) && failed.left).toBeInstanceOf(StoreDown)
      const seen = yield* exec<HostFailure | StoreDown>("r = tools.echo({ value: 1 })\nsubmit r", {
        perform: () => Effect.fail(new HostFailure({ message: "boom" }))
      })
      expect(seen.out._tag === "Submitted" && Value.toJsonText(seen.out.value)).toBe(
        "{\"error\":\"boom\",\"ok\":false}"
      )
    }))
  it.effect("host results are admitted within the limits and made well formed", () =>
    Effect.gen(function*() {
      const big = yield* exec("r = tools.echo({})\nsubmit r", {
        perform: () => Effect.succeed(Array.from({ length: 1_000_001 }, () => 0) as Value.Value)
      })
      expect(big.out._tag === "Submitted" && Value.toJsonText(big.out.value)).toBe(
        "{\"error\":\"the result is not usable: list too long (limit 1000000)\",\"ok\":false}"
      )
      const strange = yield* exec("r = await tools.echo({})?\nsubmit [r, keys(r)]", {
        perform: () => Effect.succeed(Value.RecordValue.of([["k\udc00", "a\ud800b"]]))
      })
      expect(strange.out._tag === "Submitted" && Value.toJsonText(strange.out.value)).toBe(
        "[{\"k\uFFFD\":\"a\uFFFDb\"},[\"k\uFFFD\"]]"
      )
    }))
})

describe("what the prompt shows of large globals is bounded", () => {
  it.effect("Bound Variables show a prefix and the size; the static type of a wide, shared value stays small", () =>
    Effect.gen(function*() {
      const r = yield* run(src(
        "row = {}",
        "for i in range(60) { row[format(\"field{}\", i)] = i }",
        "rows = []",
        "for i in range(1000) { rows = push(rows, row) }",
        "nested = { a: rows, b: rows, c: { d: rows } }"
      ))
      const text = renderBoundVariables(r.outcome.globals)
      expect(text.length).toBeLessThan(20_000)
      expect(text).toMatch(/- rows: .* \(about \d+ chars\) \[\{"field0":0,/)
      expect(formatType(typeOfValue(r.outcome.globals.get("nested")!)).length).toBeLessThan(10_000)
    }))
})

describe("lone surrogates are normalised on entry into every value", () => {
  it.effect("string literals, json_parse, host results and globals read back identical after a UTF-8 round trip", () =>
    Effect.gen(function*() {
      const r = yield* run(
        "lit = \"a\udc00b\"\nparsed = json_parse(\"\\\"c\\\\ud800d\\\"\")\nsubmit [lit, parsed, lit + parsed, slice(lit, 1, 2), len(lit)]",
        { globals: new Map([["old", "x\ud800" as Value.Value]]) }
      )
      expect(submitted(r)).toBe("[\"a\uFFFDb\",\"c\uFFFDd\",\"a\uFFFDbc\uFFFDd\",\"\uFFFD\",3]")
      const text = JSON.stringify(Value.toJson(r.outcome.globals.get("old")!))
      expect(Buffer.from(text, "utf8").toString("utf8")).toBe(text)
      for (const v of r.outcome.globals.values()) {
        const json = Value.toJsonText(v)
        expect(Buffer.from(json, "utf8").toString("utf8")).toBe(json)
      }
    }))
})

/** A clock whose every read advances it by `step` ms; `advance` moves it by hand. */
const steppingClock = (step: number) => {
  let now = 1_700_000_000_000
  const read = () => {
    const t = now
    now += step
    return t
  }
  const clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: read,
    unsafeCurrentTimeNanos: () => BigInt(read()) * 1_000_000n,
    currentTimeMillis: Effect.sync(read),
    currentTimeNanos: Effect.sync(() => BigInt(read()) * 1_000_000n),
    sleep: () => Effect.void
  } satisfies Clock.Clock
  return Object.assign(clock, {
    advance: (ms: number) => {
      now += ms
    }
  })
}
