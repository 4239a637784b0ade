/**
 * B7, the Lashlang interpreter: the two programs of lashlang §9 (`loop5`, `list100k`) parsed, linked and executed
 * in process with `@lash/lashlang`, against the fixed Rust figures quoted there (whole process, median of 5).
 * Our figure is parse + link + execute of one program (no process start), median over `n` runs after a warm-up.
 */
import { execute, HostCatalog, type HostEnvironment, LashlangAbilities, link, parse, Value } from "@lash/lashlang"
import { Effect } from "effect"
import { type Result, summarize } from "./Stats.js"

export const LOOP5 = `total = 0
i = 0
while i < 5000000 {
  total = total + i % 7
  i = i + 1
}
submit total
`

export const LIST100K = `xs = []
i = 0
while i < 100000 {
  xs = xs + [i * 2]
  i = i + 1
}
s = 0
for x in xs {
  s = s + x
}
submit s
`

/** The Rust reference figures of lashlang §9, in ms (fixed, not re-measured). */
export const RUST_MS = { loop5: 590, list100k: 64 } as const
const EXPECTED = { loop5: "14999995", list100k: "9999900000" } as const

const env: HostEnvironment = {
  catalog: HostCatalog.empty,
  abilities: LashlangAbilities.plain(LashlangAbilities.none),
  features: { labels: false },
  readOnlyBindings: {}
}

const host = { perform: () => Effect.succeed(null as Value.Value) }

/** Runs one program once; returns the submitted value as JSON text. */
export const runProgram = (source: string): string =>
  Effect.runSync(
    Effect.gen(function* () {
      const program = yield* parse(source)
      const linked = yield* link(program, env, { globals: new Map() })
      const outcome = yield* execute(linked, new Map(), host, { mode: "foreground", maxSteps: 1_000_000_000 })
      if (outcome._tag !== "Submitted") throw new Error(`B7: expected Submitted, got ${outcome._tag}${outcome._tag === "Errored" ? `: ${outcome.error.message}` : ""}`)
      return Value.toJsonText(outcome.value)
    })
  )

export const b7 = (runs: number): ReadonlyArray<Result> =>
  (["loop5", "list100k"] as const).map((name) => {
    const source = name === "loop5" ? LOOP5 : LIST100K
    const warm = runProgram(source)
    if (warm !== EXPECTED[name]) throw new Error(`B7 ${name}: submitted ${warm}, expected ${EXPECTED[name]}`)
    const samples: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint()
      const out = runProgram(source)
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6)
      if (out !== EXPECTED[name]) throw new Error(`B7 ${name}: wrong result ${out}`)
    }
    const summary = summarize(samples)
    return {
      id: "B7",
      variant: `lashlang/${name}`,
      unit: "ms",
      summary,
      baseline: `Rust ${RUST_MS[name]} ms`,
      ratio: summary.p50 / RUST_MS[name],
      gate: { max: 3 },
      note: name === "loop5" ? `${((5_000_000 / summary.p50) * 1000 / 1e6).toFixed(2)} M iterations/s` : "parse+link+execute, in process"
    }
  })
