import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import {
  type ExecLimits,
  type ExecOutcome,
  execute,
  HostFailure,
  type HostOperation,
  link,
  parse,
  Value
} from "../src/index.js"
import { BUILTINS } from "../src/internal/Builtins.js"
import { env } from "./fixture.js"

// A grammar-based fuzzer of Lashlang programs (docs/lashlang.md, "Limits"): random programs over the whole
// expression and statement grammar, biased towards what grows values (doubling, appending, keys in loops, nesting,
// large numbers, odd strings), run with small limits so that random programs reach them. Every run must end in an
// outcome or a typed parse/link error (never a defect, never an `Internal` error), within a bounded time, and what it
// leaves behind (globals, the submitted value, prints) must be within every limit, measured here from scratch.
// `LASH_FUZZ_RUNS` raises the number of programs (default 150).

const RUNS = Number(process.env["LASH_FUZZ_RUNS"] ?? "150")

const limits: Partial<ExecLimits> = {
  maxSteps: 40_000,
  maxStringLength: 20_000,
  maxListLength: 2_000,
  maxRecordEntries: 300,
  maxValueDepth: 12,
  maxValueSize: 60_000,
  maxGlobalsSize: 150_000,
  maxHostOperations: 30,
  maxPrints: 20,
  maxPrintedChars: 3_000,
  maxBlockMillis: 3_000
}

// ---- the grammar ------------------------------------------------------------------------------------------------

const VARS = ["a", "b", "s", "xs", "r", "t"]
const name = fc.constantFrom(...VARS)
const key = fc.constantFrom("k", "if", "__proto__", "constructor", "\"with space\"", "value", "ok")
const digits = fc.oneof(
  fc.integer({ min: 0, max: 20 }).map(String),
  fc.constantFrom("0.5", "1.", "255", "65536", "1000000", "9007199254740993", "100000000000000000000000", "3.25")
)
const stringBody = fc.array(
  fc.constantFrom(
    "a",
    "b",
    " ",
    ",",
    "{",
    "}",
    "{}",
    "{0}",
    "\\n",
    "\\\"",
    "é",
    "😀",
    "\udc00",
    "\ud800",
    "1",
    "-",
    "\\\\"
  ),
  { maxLength: 6 }
).map((parts) => parts.join(""))
const literal = fc.oneof(
  digits,
  stringBody.map((s) => `"${s}"`),
  fc.constantFrom("null", "true", "false", "[]", "{}", "\"\"")
)
const builtinNames = Object.keys(BUILTINS)
const binaryOps = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or"]

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    name,
    name,
    fc.array(tie("expr"), { maxLength: 4 }).map((xs) => `[${xs.join(", ")}]`),
    fc.array(fc.tuple(key, tie("expr")), { maxLength: 3 }).map((es) =>
      `{ ${es.map(([k, v]) => `${k}: ${v}`).join(", ")} }`
    ),
    fc.tuple(tie("expr"), fc.constantFrom(...binaryOps), tie("expr")).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(fc.constantFrom("-", "!", "not "), tie("expr")).map(([op, e]) => `${op}${e}`),
    fc.tuple(fc.constantFrom(...builtinNames), fc.array(tie("expr"), { minLength: 1, maxLength: 3 })).map((
      [f, args]
    ) => {
      const [min, max] = BUILTINS[f]!.arity
      const n = Math.max(min, Math.min(max, args.length))
      return `${f}(${Array.from({ length: n }, (_, i) => args[i % args.length]).join(", ")})`
    }),
    fc.tuple(tie("expr"), key).map(([o, k]) => `(${o}).${k}`),
    fc.tuple(tie("expr"), tie("expr")).map(([o, i]) => `(${o})[${i}]`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    tie("expr").map((e) => `(${e})?`),
    tie("expr").map((e) => `await tools.echo({ value: ${e} })`),
    tie("expr").map((e) => `await tools.echo({ value: ${e} })?`),
    fc.constant("await tools.fail({})"),
    fc.constant("Type { a: str, b: int?, c: list[float] | null }"),
    tie("expr").map((e) => `validate(${e}, Type { a: str })`),
    tie("expr").map((e) => `json_parse(to_string(${e}))`)
  )
}))

/** Statements that grow values towards the limits. */
const growth = fc.oneof(
  fc.tuple(name, fc.integer({ min: 1, max: 40 })).map(([v, n]) =>
    `${v} = "ab"\nfor i in range(${n}) { ${v} = ${v} + ${v} }`
  ),
  fc.tuple(name, fc.integer({ min: 1, max: 40 })).map(([v, n]) =>
    `${v} = [1]\nfor i in range(${n}) { ${v} = ${v} + ${v} }`
  ),
  fc.tuple(name, fc.integer({ min: 1, max: 400 })).map(([v, n]) =>
    `${v} = {}\nfor i in range(${n}) { ${v}[to_string(i)] = [i, ${v}] }`
  ),
  fc.tuple(name, fc.integer({ min: 1, max: 40 })).map(([v, n]) =>
    `${v} = []\nfor i in range(${n}) { ${v} = [${v}, ${v}] }`
  ),
  fc.tuple(name, fc.integer({ min: 1, max: 3000 })).map(([v, n]) =>
    `${v} = []\nfor i in range(${n}) { ${v} = push(${v}, i) }`
  ),
  fc.tuple(name, name).map(([v, w]) => `${v} = format("{}{}{}", ${w}, ${w}, ${w})`),
  fc.tuple(name, name).map(([v, w]) => `${v} = split(to_string(${w}), ",")`)
)

const { stmt } = fc.letrec<{ stmt: string; loopStmt: string; block: string; loopBlock: string }>((tie) => ({
  stmt: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(name, expr).map(([v, e]) => `${v} = ${e}`),
    fc.tuple(name, key, expr).map(([v, k, e]) => `${v}.${k} = ${e}`),
    fc.tuple(name, expr, expr).map(([v, i, e]) => `${v}[${i}] = ${e}`),
    fc.tuple(expr, tie("block"), tie("block")).map(([c, a, b]) => `if ${c} ${a} else ${b}`),
    fc.tuple(name, expr, tie("loopBlock")).map(([v, e, b]) => `for ${v} in ${e} ${b}`),
    fc.tuple(fc.integer({ min: 0, max: 50 }), tie("loopBlock")).map(([n, b]) => `for i in range(${n}) ${b}`),
    tie("loopBlock").map((b) => `n = 0\nwhile n < 30 { n = n + 1\n${b.slice(1, -1)} }`),
    tie("loopBlock").map((b) => `while true ${b}`),
    expr.map((e) => `print ${e}`),
    expr.map((e) => `${e}`),
    growth,
    fc.constant("sleep for 10")
  ),
  loopStmt: fc.oneof(
    { depthSize: "small" },
    tie("stmt"),
    fc.tuple(expr, fc.constantFrom("break", "continue")).map(([c, k]) => `if ${c} { ${k} }`)
  ),
  block: fc.array(tie("stmt"), { maxLength: 3 }).map((ss) => `{\n${ss.join("\n")}\n}`),
  loopBlock: fc.array(tie("loopStmt"), { maxLength: 3 }).map((ss) => `{\n${ss.join("\n")}\n}`)
}))

/** Every variable is bound first, so that programs link and run. */
const PRELUDE = "a = 1\nb = \"x\"\ns = \"s\"\nxs = [1, 2]\nr = { k: 1 }\nt = null"

/**
 * A program is a sequence of blocks run one after the other with the globals carried over, as in an RLM turn, so a
 * block that stops at an error does not hide what the next ones do.
 */
const program = fc.tuple(
  fc.array(fc.array(fc.oneof(stmt, stmt, growth), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
  fc.option(expr, { nil: undefined })
).map(([blocks, result]) => [
  PRELUDE,
  ...blocks.map((ss) => ss.join("\n")),
  ...(result === undefined ? [] : [`submit ${result}`])
])

// ---- running and checking ---------------------------------------------------------------------------------------

const host = (prints: Array<string>) => ({
  perform: (op: HostOperation): Effect.Effect<Value.Value, HostFailure> => {
    switch (op._tag) {
      case "Call":
        if (op.operation === "fail") return Effect.fail(new HostFailure({ message: "boom" }))
        return Effect.succeed(Value.isRecord(op.args[0]) ? (op.args[0].get("value") ?? null) : null)
      case "Print":
        return Effect.sync(() => {
          prints.push(Value.toText(op.value))
          return null
        })
      default:
        return Effect.succeed(null)
    }
  }
})

/** Size, depth, lengths and well-formedness of a value, measured from scratch (never from the interpreter's cache). */
const measure = (v: Value.Value, problems: Array<string>, where: string, depth = 1): number => {
  const ok = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
  if (typeof v === "string") {
    if (v.length > limits.maxStringLength!) problems.push(`${where}: string of ${v.length}`)
    if (!ok(v)) problems.push(`${where}: lone surrogate`)
    return v.length + 2
  }
  if (v === null || typeof v !== "object") return 8
  if (depth > limits.maxValueDepth!) problems.push(`${where}: depth ${depth}`)
  if (Value.isList(v)) {
    if (v.length > limits.maxListLength!) problems.push(`${where}: list of ${v.length}`)
    let size = 2
    for (const x of v) size += measure(x, problems, where, depth + 1) + 1
    return size
  }
  if (Value.isRecord(v)) {
    if (v.size > limits.maxRecordEntries!) problems.push(`${where}: record of ${v.size}`)
    let size = 2
    for (const [k, x] of v.entries) {
      if (!ok(k)) problems.push(`${where}: lone surrogate in a key`)
      size += k.length + 4 + measure(x, problems, where, depth + 1)
    }
    return size
  }
  return Value.toJsonText(v).length
}

const checkOutcome = (o: ExecOutcome, prints: ReadonlyArray<string>): Array<string> => {
  const problems: Array<string> = []
  if (o._tag === "Errored" && o.error.kind === "Internal") problems.push(`internal error: ${o.error.message}`)
  let total = 0
  for (const [k, v] of o.globals) {
    const size = measure(v, problems, `global ${k}`)
    if (size > limits.maxValueSize!) problems.push(`global ${k}: size ${size}`)
    total += k.length + 4 + size
  }
  if (total > limits.maxGlobalsSize!) problems.push(`globals: total size ${total}`)
  if (o._tag === "Submitted") {
    const size = measure(o.value, problems, "submitted")
    if (size > limits.maxValueSize!) problems.push(`submitted: size ${size}`)
  }
  const printed = prints.filter((p) => p !== "[output truncated]")
  if (printed.length > limits.maxPrints!) problems.push(`${printed.length} prints`)
  if (printed.reduce((n, p) => n + p.length, 0) > limits.maxPrintedChars!) problems.push("printed too much")
  return problems
}

interface BlockRun {
  readonly source: string
  readonly compiled: boolean
  readonly kind?: string
  readonly outcome?: ExecOutcome
  readonly prints: ReadonlyArray<string>
}

/** Runs the blocks in order, each linked against the globals the previous ones left. */
const runBlocks = (blocks: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let globals: ReadonlyMap<string, Value.Value> = new Map()
    const out: Array<BlockRun> = []
    for (const source of blocks) {
      const compiled = yield* Effect.either(Effect.flatMap(parse(source), (p) => link(p, env(), { globals })))
      if (compiled._tag === "Left") {
        out.push({ source, compiled: false, kind: compiled.left._tag, prints: [] })
        continue
      }
      const prints: Array<string> = []
      const outcome = yield* execute(compiled.right, globals, host(prints), { mode: "foreground", ...limits })
      out.push({ source, compiled: true, outcome, prints })
      globals = outcome.globals
      if (outcome._tag === "Submitted") break
    }
    return out
  })

const describeOutcome = (o: ExecOutcome) =>
  o._tag === "Errored" && !o.error.message.startsWith("execution timed out")
    ? `${o.error.kind}: ${o.error.message}`
    : o._tag

describe("grammar-based fuzzing of Lashlang programs", () => {
  it("no crash, no hang, no limit bypass", { timeout: 3_600_000 }, async () => {
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(program, async (blocks) => {
        // Let the test runner's own messages through between programs (a long run is otherwise one long task).
        await new Promise((resolve) => setImmediate(resolve))
        const listing = blocks.join("\n---\n")
        const started = performance.now()
        const exit = Effect.runSyncExit(runBlocks(blocks))
        const ms = performance.now() - started
        if (Exit.isFailure(exit)) throw new Error(`defect for program:\n${listing}\n${String(exit.cause)}`)
        for (const r of exit.value) {
          if (!r.compiled) {
            expect(["LashlangParseError", "LashlangLinkError"]).toContain(r.kind)
            continue
          }
          seen.add(describeOutcome(r.outcome!).replace(/\d+/g, "N"))
          expect(checkOutcome(r.outcome!, r.prints), `block:\n${r.source}\nof program:\n${listing}`).toEqual([])
        }
        expect(ms, `program:\n${listing}`).toBeLessThan(20_000)
        // Deterministic: the same program gives the same outcomes (unless the wall-clock deadline struck).
        const again = Effect.runSync(runBlocks(blocks))
        expect(again.map((r) => (r.outcome === undefined ? r.kind : describeOutcome(r.outcome)))).toEqual(
          exit.value.map((r) => (r.outcome === undefined ? r.kind : describeOutcome(r.outcome)))
        )
      }),
      { numRuns: RUNS }
    )
    // The grammar reaches the limits it is meant to probe.
    for (
      const reached of [
        "LimitExceeded: step budget exhausted (N steps)",
        "LimitExceeded: list too long (limit N)",
        "LimitExceeded: value nesting too deep (limit N)",
        "LimitExceeded: string too long (limit N)",
        "Submitted"
      ]
    ) expect([...seen]).toContain(reached)
  })
})
