/**
 * Every claim the generated prompt makes (docs/lashlang.md, "The RLM turn protocol"), tied to a program that shows
 * it holds. The last test fails when `renderHostSurface` gains a line no claim here covers, so a new sentence in the
 * prompt needs its proof.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import {
  extractFirstLashlangFence,
  HostCatalog,
  type HostEnvironment,
  LashlangAbilities,
  link,
  parse,
  renderHostSurface
} from "../src/index.js"
import { BUILTINS } from "../src/internal/Builtins.js"
import { catalog, env, run, submitted } from "./fixture.js"

const BUILTIN_NAMES = Object.keys(BUILTINS)

const all: HostEnvironment = {
  ...env(LashlangAbilities.all),
  catalog: Either.getOrThrow(HostCatalog.addRuntimeModules(catalog, { processes: true, triggers: true }))
}
const surface = renderHostSurface(all)

const submits = (source: string, json: string) =>
  Effect.map(run(source, { env: all }), (r) => expect(submitted(r)).toBe(json))
const links = (source: string) => Effect.flatMap(parse(source), (p) => link(p, all, { globals: new Map() }))
const linkFails = (source: string, kind: string) =>
  Effect.map(Effect.flip(links(source)), (e) => expect(e.kind).toBe(kind))

/** Each prompt line (exact text) and the program that proves it. */
const claims: ReadonlyArray<readonly [string, () => Effect.Effect<unknown, unknown>]> = [
  ["You act by writing Lashlang programs.", () => submits("submit 1", "1")],
  [
    "- Every action happens inside one ```lashlang block per reply; the runtime runs the first closed block and ignores anything after it.",
    () =>
      Effect.sync(() => {
        const found = extractFirstLashlangFence("a\n```lashlang\nsubmit 1\n```\n```lashlang\nsubmit 2\n```")
        expect(found).toMatchObject({ _tag: "Closed", code: "submit 1", hadExtraFences: true })
        expect(extractFirstLashlangFence("```lashlang\nsubmit 1")._tag).toBe("Unclosed")
      })
  ],
  [
    "- `print v` shows a value on the next step; `submit v` ends the turn (strings are the reply as-is, other values are JSON).",
    () =>
      Effect.gen(function*() {
        const r = yield* run("print { a: 1 }\nsubmit \"done\"\nprint 2", { env: all })
        expect(r.prints).toEqual(["{\"a\":1}"])
        expect(r.outcome._tag === "Submitted" && r.outcome.value).toBe("done")
      })
  ],
  [
    "- Keep blocks small and focused; variables persist across the blocks of one turn. Other fence tags are prose.",
    () =>
      Effect.gen(function*() {
        const first = yield* run("x = 41", { env: all })
        expect(first.outcome._tag).toBe("Continued")
        yield* Effect.map(
          run("submit x + 1", { env: all, globals: first.outcome.globals }),
          (r) => expect(submitted(r)).toBe("42")
        )
        expect(extractFirstLashlangFence("```python\nx = 1\n```")._tag).toBe("NoFence")
      })
  ],
  [
    "- Example:",
    () => Effect.map(run("items = [3, 1, 2]\nprint len(items)", { env: all }), (r) => expect(r.prints).toEqual(["3"]))
  ],
  [
    "- Values: null, true/false, numbers, strings (\"…\", \"\"\"…\"\"\", r\"\"\"…\"\"\"), lists [..], records { key: value }.",
    () =>
      submits(
        "submit [null, true, false, 1, 2.5, \"a\", \"\"\"b\nc\"\"\", r\"\"\"d\\n\"\"\", [1], { k: 1 }]",
        "[null,true,false,1,2.5,\"a\",\"b\\nc\",\"d\\\\n\",[1],{\"k\":1}]"
      )
  ],
  [
    "- Assignment `x = e`; path assignment `r.a = 1`, `r[k] = v` (records insert or replace), lists replace existing indexes only.",
    () =>
      Effect.gen(function*() {
        yield* submits(
          "r = { a: 0 }\nr.a = 1\nk = \"b\"\nr[k] = 2\nxs = [1, 2]\nxs[1] = 5\nsubmit [r, xs]",
          "[{\"a\":1,\"b\":2},[1,5]]"
        )
        const r = yield* run("xs = [1]\nxs[3] = 2", { env: all })
        expect(r.outcome._tag).toBe("Errored")
      })
  ],
  [
    "- Control flow: `if c { } else { }`, `for x in list { }`, `while c { }`, `break`, `continue`, ternary `c ? a : b`.",
    () =>
      submits(
        "n = 0\nfor x in [1, 2, 3, 4] { if x == 2 { continue } else { n = n + x }\n if x == 3 { break } }\nwhile n < 10 { n = n + 1 }\nsubmit n > 5 ? n : 0",
        "10"
      )
  ],
  [
    "- Module calls: `await alias.op({...})?` unwraps the result (failure aborts the block); without `?` you get `{ ok, value | error }`. Bare calls `name(...)` are builtins only.",
    () =>
      Effect.gen(function*() {
        yield* submits(
          "v = await tools.echo({ value: 3 })?\nw = await tools.fail({})\nsubmit [v, w.ok, w.error]",
          "[3,false,\"boom\"]"
        )
        const r = yield* run("v = await tools.fail({})?\nsubmit 1", { env: all })
        expect(r.outcome._tag).toBe("Errored")
        yield* linkFails("echo({})", "BareToolCall")
        yield* linkFails("nothing({})", "UnknownBuiltin")
      })
  ],
  [
    "- Processes: `process name(p: T) { ... wake v; yield v; finish v / fail v }`, `h = start name(p: v)`, `await h`, `(await h)?`, `cancel h`. Start several before awaiting to run them in parallel.",
    () =>
      Effect.gen(function*() {
        yield* submits(
          "process double(n: int) { yield n\n finish n * 2 }\nprocess bad() { fail \"no\" }\na = start double(n: 2)\nb = start double(n: 5)\nc = start bad()\nr = await c\nsubmit [(await a)?, (await b)?, r.ok]",
          "[4,10,false]"
        )
        yield* links("process p() { wake 1 }\nh = start p()\ncancel h")
      })
  ],
  [
    "- Sleep: `sleep for 500` (ms) or `sleep for \"2s\"`; `sleep until <time>`.",
    () =>
      Effect.gen(function*() {
        const r = yield* run("sleep for 500\nsleep for \"2s\"\nsleep until 0\nsubmit 1", { env: all })
        expect(r.ops.filter((op) => op._tag === "Sleep").map((op) => op._tag === "Sleep" && op.millis)).toEqual([
          500,
          2000,
          0
        ])
      })
  ],
  [
    "- Signals: `signals { name: T }` on a process, `wait_signal(\"name\")`, `signal_run(h, \"name\", payload)`.",
    () =>
      Effect.gen(function*() {
        yield* links(
          "process p() signals { go: { who: str } } { s = wait_signal(\"go\")\n finish s.who }\nh = start p()\nsignal_run(h, \"go\", { who: \"a\" })"
        )
        yield* linkFails("process p() signals { go: str } { s = wait_signal(\"stop\") }", "UnknownProcessSignal")
      })
  ],
  [
    "- Triggers: `await triggers.register({ source: <trigger source>, target: <process>, inputs: { param: trigger.event }, name: \"…\" })?`; every parameter is mapped exactly once and at least one to `trigger.event`.",
    () =>
      Effect.gen(function*() {
        yield* links(
          "process r(tick: clock.Tick) { finish tick.id }\nh = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: r, inputs: { tick: trigger.event }, name: \"daily\" })?"
        )
        yield* linkFails(
          "process r(tick: clock.Tick, n: int) { finish tick.id }\nh = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: r, inputs: { tick: trigger.event } })",
          "MissingTriggerInput"
        )
        yield* linkFails(
          "process r(n: int) { finish n }\nh = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: r, inputs: { n: 1 } })",
          "MissingTriggerEventInput"
        )
      })
  ],
  [
    BUILTIN_NAMES.join(" "),
    () =>
      Effect.gen(function*() {
        // Every builtin the prompt names exists (an unknown name is a link error, not UnknownBuiltin).
        for (const name of BUILTIN_NAMES) {
          const e = yield* Effect.either(links(`x = ${name}()`))
          if (Either.isLeft(e)) expect(e.left.kind).toBe("BuiltinArity")
        }
        yield* linkFails("x = no_such_builtin()", "UnknownBuiltin")
      })
  ]
]

/** A host-surface line proven generically: the operation links with its printed input, the type or constructor exists. */
const surfaceClaim = (line: string): Effect.Effect<unknown, unknown> | undefined => {
  const op = /^- `await ([\w.]+)\.(\w+)\((.*)\)\?` -> (.*?)( — .*)?$/.exec(line)
  if (op !== undefined && op !== null) {
    const [, alias, name] = op
    const spec = all.catalog.resourceTypes[all.catalog.modules.find((m) => m.path.join(".") === alias)!.resourceType]?.[
      name!
    ]
    expect(spec).toBeDefined()
    const arg = name === "cancel" ? "{ handle: \"t\" }" : name === "register" ? undefined : "{}"
    return arg === undefined ? Effect.void : links(`x = await ${alias}.${name}(${arg})`)
  }
  const type = /^- `type ([\w.]+) = /.exec(line)
  if (type !== null) return links(`process p(e: ${type[1]}) { finish e }`)
  const ctor = /^- `([\w.]+)\((.*)\)` -> /.exec(line)
  if (ctor !== null) {
    return Effect.map(
      run(`d = ${ctor[1]}(${ctor[2] === "{}" ? "{}" : "{ at: \"08:00\" }"})\nsubmit 1`, { env: all }),
      (r) => expect(submitted(r)).toBe("1")
    )
  }
  if (/^ {2}- can be passed to `triggers.register` as `source`; emits `([\w.]+)`$/.test(line)) return Effect.void
  return undefined
}

describe("the prompt's claims", () => {
  for (const [line, check] of claims) it.effect(line.slice(0, 90), () => Effect.asVoid(check()))

  it.effect("every host-surface line states what links", () =>
    Effect.gen(function*() {
      const start = surface.split("\n").indexOf("## Host surface")
      const end = surface.split("\n").indexOf("## Builtins")
      for (const line of surface.split("\n").slice(start + 1, end)) {
        const check = surfaceClaim(line)
        expect(check, line).toBeDefined()
        yield* check!
      }
    }))

  it("every line of the prompt is covered by a claim", () => {
    const covered = new Set(claims.map(([line]) => line))
    const lines = surface.split("\n")
    const hostStart = lines.indexOf("## Host surface")
    const hostEnd = lines.indexOf("## Builtins")
    const uncovered = lines.filter((line, i) =>
      !(i > hostStart && i < hostEnd) && !line.startsWith("## ") && !line.startsWith("```") &&
      !["items = [3, 1, 2]", "print len(items)"].includes(line) && !covered.has(line)
    )
    expect(uncovered).toEqual([])
  })
})
