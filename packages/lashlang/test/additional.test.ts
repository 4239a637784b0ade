import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execute, LashlangAbilities, link, parse, Value } from "../src/index.js"
import { env, run, submitted } from "./fixture.js"

const src = (...lines: ReadonlyArray<string>) => lines.join("\n")
const expectSubmit = (source: string, json: string) =>
  Effect.map(run(source), (r) => {
    expect(submitted(r)).toBe(json)
    return r
  })
/** The error kind and message of a program that fails to parse or link, or errors at run time. */
const failure = (source: string, options?: Parameters<typeof run>[1]) =>
  Effect.map(Effect.either(run(source, options)), (r) => {
    if (r._tag === "Left") return { kind: r.left.kind, message: r.left.message, ran: false }
    if (r.right.outcome._tag !== "Errored") throw new Error(`expected an error, got ${submitted(r.right)}`)
    return {
      kind: r.right.outcome.error.kind,
      message: r.right.outcome.error.message,
      ran: true,
      line: r.right.outcome.error.span?.line
    }
  })

describe("lashlang additional programs", () => {
  it.effect("S1 lexical forms", () =>
    expectSubmit(
      src(
        "# line comment",
        "raw = r\"\"\"a\\nb \"q\" {x}\"\"\"   // trailing comment",
        "esc = \"tab\\tq\\q\"; rec = { if: 1, \"with space\": 2, for: 3 }",
        "submit { raw: raw, esc: esc, keys: keys(rec), n: len(raw), w: rec.\"with space\", kw: rec.if }"
      ),
      "{\"esc\":\"tab\\tqq\",\"keys\":[\"if\",\"with space\",\"for\"],\"kw\":1,\"n\":12,\"raw\":\"a\\\\nb \\\"q\\\" {x}\",\"w\":2}"
    ))
  it.effect("S2 `?` as unwrap vs ternary", () =>
    expectSubmit(
      src(
        "ok = { ok: true, value: 5 }",
        "a = ok? + 1",
        "b = ok.ok ? \"yes\" : \"no\"",
        "c = { u: ok?, t: ok.value > 3 ? \"big\" : \"small\" }",
        "d = false or true ? \"y\" : \"n\"",
        "submit [a, b, c, d]"
      ),
      "[6,\"yes\",{\"t\":\"big\",\"u\":5},\"y\"]"
    ))
  it.effect("S3 record order, number printing, comparisons", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        src(
          "r = { zeta: 1, alpha: 2 }",
          "r.zeta = 10",
          "r[\"mid\"] = 3",
          "print r",
          "print keys(r)",
          "submit { div0: 1 / 0, rem: -7 % 3, big: 10000000000 * 1000000000, frac: 0.1 + 0.2, cmp: [null < 1, 2 > \"10\", \"b\" > \"a\", 1 == 1.0] }"
        ),
        "{\"big\":10000000000000000000,\"cmp\":[true,false,true,true],\"div0\":null,\"frac\":0.30000000000000004,\"rem\":-1}"
      )
      expect(r.prints).toEqual(["{\"alpha\":2,\"mid\":3,\"zeta\":10}", "[\"zeta\",\"alpha\",\"mid\"]"])
    }))
  it.effect("S4 while, break, continue, range, integer division", () =>
    expectSubmit(
      src(
        "total = 0",
        "i = 0",
        "while true { i = i + 1  if i > 10 { break }  if i % 2 == 0 { continue }  total = total + i }",
        "submit { total: total, i: i, r: range(10, 0, -3), cd: [ceil_div(7, 2), floor_div(-10, 3)] }"
      ),
      "{\"cd\":[4,-4],\"i\":11,\"r\":[10,7,4,1],\"total\":25}"
    ))
  it.effect("S5 format", () =>
    Effect.gen(function*() {
      const r = yield* run(
        src(
          "a = format(\"{1}-{0} {{x}}\", \"a\", \"b\")",
          "b = format(\"{} and {}\", [1, 2], { k: null })",
          "print a",
          "print b",
          "c = format(\"{}\", 1, 2)"
        )
      )
      expect(r.prints).toEqual(["b-a {x}", "[1,2] and {\"k\":null}"])
      expect(
        r.outcome._tag === "Errored" && [r.outcome.error.kind, r.outcome.error.message, r.outcome.error.span?.line]
      ).toEqual(["ValueError", "format argument `1` is unused", 5])
      expect([...r.outcome.globals.keys()].sort()).toEqual(["a", "b"])
    }))
  it.effect("S6 text search builtins", () =>
    expectSubmit(
      src(
        "text = \"alpha\\nbeta gamma\\nalphabet\"",
        "submit { hits: grep_text(text, \"alpha\"), f: find(text, \"beta\"), none: find(text, \"zzz\"),",
        "  c: [contains([1, 2], 2), contains({ a: 1 }, \"a\"), contains(null, 1), contains(\"abc\", \"bc\")] }"
      ),
      "{\"c\":[true,true,false,true],\"f\":6,\"hits\":[{\"end\":5,\"line\":1,\"match\":\"alpha\",\"start\":0,\"text\":\"alpha\"},{\"end\":5,\"line\":3,\"match\":\"alpha\",\"start\":0,\"text\":\"alphabet\"}],\"none\":null}"
    ))
  it.effect("S7 conversions and json_parse", () =>
    expectSubmit(
      src(
        "v = json_parse(\"{\\\"b\\\": [1, 2.5, null], \\\"a\\\": {\\\"__proto__\\\": 1}}\")",
        "submit { v: v, k: keys(v), i: to_int(\"-3.9\"), f: to_float(\" 2.5 \"), s: to_string([1, \"x\", null]), t: to_string(\"plain\") }"
      ),
      "{\"f\":2.5,\"i\":-3,\"k\":[\"a\",\"b\"],\"s\":\"[1,\\\"x\\\",null]\",\"t\":\"plain\",\"v\":{\"a\":{\"__proto__\":1},\"b\":[1,2.5,null]}}"
    ))
  it.effect("S8 authority parameter and await forms", () =>
    Effect.gen(function*() {
      const r = yield* expectSubmit(
        src(
          "process relay(t: Tools, v: str) { r = await t.echo({ value: v })?  finish { got: r } }",
          "h = start relay(t: tools, v: \"hi\")",
          "out = await h",
          "submit { out: out, direct: (await h)?.got }"
        ),
        "{\"direct\":\"hi\",\"out\":{\"ok\":true,\"value\":{\"got\":\"hi\"}}}"
      )
      expect(r.ops.filter((o) => o._tag === "Call")).toHaveLength(1)
      yield* expectSubmit("submit [await 5, await { a: 1 }]", "[5,{\"a\":1}]")
    }))
  it.effect("S9 start argument checks", () =>
    Effect.gen(function*() {
      const decls = src("process double(n: int) { finish n * 2 }", "process relay(t: Tools) { finish null }")
      expect(yield* failure(src(decls, "start double(x: 1)"))).toMatchObject({
        kind: "UnexpectedProcessArgument",
        message: "process `double` does not accept argument `x`"
      })
      expect(yield* failure(src(decls, "start double()"))).toMatchObject({
        kind: "MissingProcessArgument",
        message: "process `double` is missing argument `n`"
      })
      expect(yield* failure(src(decls, "start relay(t: \"tools\")"))).toMatchObject({
        kind: "IncompatibleProcessArgument",
        message: "process `relay` argument `t` has incompatible authority type: expected Tools, got value"
      })
      expect(yield* failure("x = len(1, 2)")).toMatchObject({
        kind: "BuiltinArity",
        message: "`len` takes 1 arg(s), got 2",
        ran: false
      })
    }))
  it.effect("S10 ability gating", () =>
    Effect.gen(function*() {
      const r = yield* failure(src("x = 1", "sleep for \"1s\""), { env: env(LashlangAbilities.none) })
      expect(r).toEqual({
        kind: "FeatureDisabled",
        message: "lashlang feature `sleep` is disabled by this host",
        ran: false
      })
    }))
  it.effect("S11 authorities as values", () =>
    Effect.gen(function*() {
      yield* expectSubmit(src("r = tools", "submit await r.echo({ value: 1 })?"), "1")
      const b1 = yield* run("r = tools")
      const b2 = yield* run("submit await r.echo({ value: 2 })?", { globals: b1.outcome.globals })
      expect(submitted(b2)).toBe("2")
      const p = yield* run("print tools")
      expect(p.prints).toEqual(["{\"__resource__\":true,\"alias\":\"tools\",\"type\":\"Tools\"}"])
    }))
  it.effect("S12 cross-block typed constructor", () =>
    Effect.gen(function*() {
      const b1 = yield* run("t = \"08:00\"")
      const b2 = yield* run(src("s = clock.Alarm({ at: t })", "submit s"), { globals: b1.outcome.globals })
      expect(submitted(b2)).toBe(
        "{\"$lash_host_descriptor_type\":\"clock.Alarm\",\"$lash_host_descriptor_value\":{\"at\":\"08:00\"}}"
      )
      const bad = yield* run("t = 8")
      expect(yield* failure(src("s = clock.Alarm({ at: t })", "submit s"), { globals: bad.outcome.globals }))
        .toMatchObject({
          message: "constructor `clock.Alarm` expects { at: str }, got { at: int }",
          ran: false
        })
    }))
  it.effect("S13 process events", () =>
    Effect.gen(function*() {
      const program = yield* parse(
        src(
          "process step(n: int) {",
          "yield { n: n }",
          "if n > 1 { fail format(\"too big: {}\", n) }",
          "wake \"small\"",
          "}"
        )
      )
      const linked = yield* link(program, env())
      const entry = linked.artifact.exports.processes["step"]!.ref
      const runWith = (n: number) =>
        Effect.gen(function*() {
          const emits: Array<string> = []
          const outcome = yield* execute(
            linked,
            new Map([["n", n]]),
            {
              perform: (op) =>
                Effect.sync(() =>
                  (op._tag === "Emit" ? void emits.push(`${op.kind} ${Value.toJsonText(op.value)}`) : undefined) ?? null
                )
            },
            { mode: "process", entry }
          )
          return {
            emits,
            outcome: outcome._tag === "Errored"
              ? outcome.error.message
              : `${outcome._tag} ${"value" in outcome ? Value.toJsonText(outcome.value) : ""}`
          }
        })
      expect(yield* runWith(1)).toEqual({ emits: ["yield {\"n\":1}", "wake \"small\""], outcome: "Finished null" })
      expect(yield* runWith(2)).toEqual({ emits: ["yield {\"n\":2}"], outcome: "Failed \"too big: 2\"" })
    }))
  it.effect("S14 more trigger errors", () =>
    Effect.gen(function*() {
      const scan = "process scan(tick: clock.Tick) { finish tick.id }"
      const reg = (fields: string, decl = scan) =>
        src(decl, `h = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: scan, ${fields} })`)
      expect(yield* failure(reg("inputs: { tick: trigger.event, tick: trigger.event }"))).toMatchObject({
        kind: "DuplicateTriggerInput",
        message: "trigger registration input `tick` is duplicated"
      })
      expect(
        yield* failure(
          src(
            scan,
            "ins = { tick: 1 }",
            "h = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: scan, inputs: ins })"
          )
        )
      ).toMatchObject({ kind: "InvalidTriggerInputs" })
      expect(
        yield* failure(
          reg("inputs: { tick: 1, label: \"x\" }", "process scan(tick: clock.Tick, label: str) { finish tick.id }")
        )
      ).toMatchObject({ kind: "MissingTriggerEventInput" })
      expect(
        yield* failure(
          src(scan, "h = await triggers.register({ source: \"clock\", target: scan, inputs: { tick: trigger.event } })")
        )
      ).toMatchObject({
        kind: "UnknownTriggerSource",
        message: "trigger source type `str` is not registered as a TriggerSource"
      })
      expect(
        yield* failure(
          src(
            scan,
            "h = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: \"scan\", inputs: { tick: trigger.event } })"
          )
        )
      ).toMatchObject({
        kind: "InvalidTriggerTarget",
        message: "trigger target must be a process value, got str"
      })
      expect(yield* failure(src("s = clock.Alarm({ at: \"08:00\" })", "submit s.at"))).toMatchObject({
        kind: "OpaqueHostDescriptorAccess",
        message: "cannot access `.at` on opaque host descriptor `clock.Alarm`"
      })
      expect(yield* failure(reg("inputs: { tick: trigger.event }, extra: 1"))).toMatchObject({
        kind: "InvalidTriggerRegistration"
      })
    }))
  it.effect("S15 runtime assignment errors and newline continuation", () =>
    Effect.gen(function*() {
      expect(yield* failure(src("s = \"abc\"", "s[0] = \"x\""))).toMatchObject({
        kind: "TypeError",
        message: "can't assign index on string",
        line: 2
      })
      expect(yield* failure(src("xs = [1, 2, 3]", "a = xs[1.5]"))).toMatchObject({
        kind: "TypeError",
        message: "index must be an integer"
      })
      expect(yield* failure(src("r = { a: { b: 1 } }", "r.x.y = 2"))).toMatchObject({
        kind: "TypeError",
        message: "can't assign through missing field `.x`"
      })
      expect(yield* failure(src("n = 5", "n.x = 1"))).toMatchObject({
        kind: "TypeError",
        message: "can't assign `.x` on number"
      })
      expect(yield* failure("x = [1] - 1")).toMatchObject({ kind: "TypeError", message: "expected a number, got list" })
      expect(yield* failure("t = \"x\" * 2")).toMatchObject({ kind: "TypeError", message: "expected a number" })
      yield* expectSubmit(src("xs = [1, 2]", "xs[-1] = 9", "submit xs"), "[1,9]")
      yield* expectSubmit(
        src("x = 1", "y = x", "-1", "z = [1, 2]", "[0]", "submit { y: y, z: z }"),
        "{\"y\":0,\"z\":1}"
      )
      yield* expectSubmit(src("field = 1", "submit 5.field"), "5")
      yield* expectSubmit(
        "submit [slice(\"héllo\", -3, null), slice([1,2,3], 5, 9), \"ab\"[-1], \"héllo\"[1], range(3), values({ b: 1, a: 2 })]",
        "[\"llo\",[],\"b\",\"é\",[0,1,2],[1,2]]"
      )
    }))
})
