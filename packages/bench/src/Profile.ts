/**
 * `--profile`: where the time of a benchmark goes. Runs it under the V8 sampling profiler (`node:inspector`, in this
 * process) and splits the sampled self time into categories by the source of each frame, plus the top frames. The
 * numbers are shares of CPU samples, so they explain a ratio (what lash spends beyond the floor) without timing it.
 */
import { Session } from "node:inspector"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface CpuProfile {
  readonly startTime: number
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** The categories, first match wins. */
const CATEGORIES: ReadonlyArray<readonly [string, (f: CallFrame) => boolean]> = [
  // better-sqlite3 runs SQLite (and at FULL the WAL fsync) synchronously inside its native statement methods.
  [
    "SQLite engine (native statement calls, fsync included)",
    (f) => f.url === "" && /^(run|all|get|iterate|exec|prepare|pragma)$/.test(f.functionName)
  ],
  ["driver glue (sqlite-node, better-sqlite3 JS)", (f) => /sql-sqlite-node\/dist\/|better-sqlite3\//.test(f.url)],
  ["@effect/sql", (f) => /@effect\/sql\/dist/.test(f.url)],
  ["Schema encode/decode", (f) => /effect\/dist\/.*\/(ParseResult|Schema|SchemaAST)\.js/.test(f.url)],
  ["Effect runtime (fibers, combinators)", (f) => /\/effect\/dist\//.test(f.url)],
  ["canonical JSON + SHA-256", (f) => /lashlang\/src\/Canonical\.ts/.test(f.url) || /internal\/crypto/.test(f.url)],
  ["JSON.parse/stringify", (f) => f.url === "" && /^(parse|stringify)$/.test(f.functionName)],
  ["lash code", (f) => /\/packages\/(core|lashlang|backends|plugins)\//.test(f.url)],
  ["bench harness", (f) => /\/packages\/bench\//.test(f.url)],
  ["garbage collector", (f) => f.functionName === "(garbage collector)"],
  ["idle", (f) => f.functionName === "(idle)"]
]

/** One profiled run: shares by category and the top frames by self time. */
export interface ProfileReport {
  readonly label: string
  readonly totalMs: number
  readonly categories: ReadonlyArray<{ readonly name: string; readonly share: number }>
  readonly top: ReadonlyArray<{ readonly frame: string; readonly share: number }>
}

const post = <T>(session: Session, method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T)))
  )

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    .replace(/.*\/packages\//, "packages/")

/**
 * The timed regions of the running profile, as `process.hrtime` ns pairs (the same monotonic clock as V8's sample
 * timestamps): a benchmark records the span it times, and the report then counts only samples inside those spans,
 * so untimed setup (B1's enqueue + claim, the fixture's stamp hash) does not blur the picture.
 */
let regions: Array<readonly [bigint, bigint]> | undefined

/** Records one timed span; a no-op unless a profile is running. */
export const timed = (t0: bigint, t1: bigint): void => {
  regions?.push([t0, t1])
}

/** A running profiler; `stop` returns the report of everything sampled since it started. */
export interface RunningProfile {
  readonly stop: () => Promise<ProfileReport>
}

/** Starts the sampling profiler (100 µs interval) in this process. */
export const startProfile = async (label: string): Promise<RunningProfile> => {
  const session = new Session()
  session.connect()
  await post(session, "Profiler.enable")
  await post(session, "Profiler.setSamplingInterval", { interval: 100 })
  await post(session, "Profiler.start")
  regions = []
  return {
    stop: async () => {
      const spans = regions ?? []
      regions = undefined
      try {
        const { profile: p } = await post<{ profile: CpuProfile }>(session, "Profiler.stop")
        return report(label, p, spans)
      } finally {
        await post(session, "Profiler.disable").catch(() => undefined)
        session.disconnect()
      }
    }
  }
}

/** Runs `body` under the sampling profiler (the session is released even when `body` fails). */
export const profile = async (label: string, body: () => Promise<unknown>): Promise<ProfileReport> => {
  const running = await startProfile(label)
  const stopped = body().then(
    () => running.stop(),
    async (e) => {
      await running.stop()
      throw e
    }
  )
  return stopped
}

const report = (label: string, p: CpuProfile, spans: ReadonlyArray<readonly [bigint, bigint]>): ProfileReport => {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Samples taken while the profiler itself answers (serialising the profile at stop) are not the benchmark's.
  const isProfiler = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (frames.get(cur)?.url === "node:inspector") return true
    }
    return false
  }
  // Sample i is taken at startTime + Σ timeDeltas[0..i] µs; spans are sorted, so one cursor walks them.
  const us = spans.map(([a, b]) => [Number(a / 1000n), Number(b / 1000n)] as const)
  let at = p.startTime
  let cursor = 0
  const inTimed = (t: number): boolean => {
    if (us.length === 0) return true
    while (cursor < us.length && us[cursor]![1] < t) cursor++
    return cursor < us.length && us[cursor]![0] <= t
  }
  const self = new Map<number, number>()
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    at += dt
    if (!isProfiler(id) && inTimed(at)) self.set(id, (self.get(id) ?? 0) + dt)
  })
  let total = 0
  const byCategory = new Map<string, number>()
  const byFrame = new Map<string, number>()
  for (const [id, us] of self) {
    const f = frames.get(id)!
    total += us
    const category = CATEGORIES.find(([, test]) => test(f))?.[0] ?? "other (Node internals, native)"
    byCategory.set(category, (byCategory.get(category) ?? 0) + us)
    const key = `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}${f.url === "" ? "" : `:${f.lineNumber + 1}`}`
    byFrame.set(key, (byFrame.get(key) ?? 0) + us)
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])
  return {
    label: us.length === 0 ? label : `${label}, timed spans only`,
    totalMs: total / 1000,
    categories: sorted(byCategory).map(([name, us]) => ({ name, share: us / total })),
    top: sorted(byFrame)
      .slice(0, 8)
      .map(([frame, us]) => ({ frame, share: us / total }))
  }
}

/** `P B1 sqlite/normal (1234 ms sampled): SQLite engine 31%, Effect runtime 24%, ...`. */
export const profileLine = (r: ProfileReport): string =>
  `P ${r.label} (${r.totalMs.toFixed(0)} ms sampled): ${
    r.categories
      .filter((c) => c.share >= 0.01)
      .map((c) => `${c.name} ${(100 * c.share).toFixed(0)}%`)
      .join(", ")
  }`
