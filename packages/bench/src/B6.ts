/**
 * B6, worker scaling on Postgres (docs/performance.md): `processes` `tool_call` echo processes registered on a fresh
 * schema, then 1, 2 and 4 worker OS processes (B6child.ts, `maxConcurrent` 8 each) run them; the tool sleeps 20 ms
 * (simulated I/O) or answers at once, with LISTEN/NOTIFY on and off. Timed from `GO` (every worker connected and
 * idle; its core and worker are built on `GO`, so every worker starts together) to the last process terminal, polled
 * every 25 ms. S(N) = completions/s with N workers ÷ with 1, same tool and notify setting, same run.
 *
 * Per configuration it also reports `xact_commit` per completed process: the delta of `pg_stat_database` for the
 * database over the run (after a 1.2 s quiet period at both ends, so every backend has flushed its counters), less
 * the monitor's own queries. Every client of the database counts there, so the figure is marked disturbed when
 * another client was connected to the database at any poll; point `LASH_PG_URL` at a database of its own for a clean
 * one. And the workers' user + system CPU per completed process, with the machine's CPU busy share over the run: on
 * a machine with fewer free cores than workers, S(N) is bounded by CPU, not by lash.
 *
 * Exactly-once, every run: each process terminal with exactly one `process.completed` event and no other terminal
 * event, and the workers' tool executions summing to the process count (a completed `tool_call` ran its tool at
 * least once, so the sum says none ran twice).
 */
import { PostgresBackend } from "@lash/backend-postgres"
import { persistProcessExecutionEnv, ProcessRegistry } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { cpus } from "node:os"
import type * as Pg from "pg"
import { spawnChild } from "./Child.js"
import { echoRegistration, emptyEnv } from "./Core.js"
import { connectPg, pgSchema, pgUrl } from "./Postgres.js"
import type { Result } from "./Stats.js"

/** One configuration's figures. */
export interface B6Run {
  readonly workers: number
  readonly delayMs: number
  readonly notify: boolean
  readonly processes: number
  readonly ms: number
  readonly perSecond: number
  readonly xactPerProcess: number
  /** Most other clients of the database seen at one poll (0 = the xact_commit delta is this run's alone). */
  readonly otherClients: number
  readonly workerCpuMsPerProcess: number
  readonly machineBusy: number
}

interface Worker {
  readonly tag: string
  readonly send: (line: string) => void
  /** The next line starting with `prefix` (lines before it are skipped); dies past `timeoutMs` or if the child exits. */
  readonly next: (prefix: string, timeoutMs: number) => Effect.Effect<string>
  readonly alive: () => boolean
  readonly stderr: () => string
}

const startWorker = (tag: string) =>
  Effect.acquireRelease(
    Effect.sync((): Worker & { readonly stop: () => Promise<void> } => {
      const child = spawnChild("B6child.ts", [pgUrl(), tag])
      const lines: Array<string> = []
      let consumed = 0
      let buffer = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => {
        const parts = (buffer + chunk.toString()).split("\n")
        buffer = parts.pop() ?? ""
        lines.push(...parts)
      })
      child.stderr.on("data", (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)))
      const alive = () => child.exitCode === null && child.signalCode === null
      const next = (prefix: string, timeoutMs: number) =>
        Effect.gen(function*() {
          const deadline = Date.now() + timeoutMs
          for (;;) {
            while (consumed < lines.length) {
              const line = lines[consumed++]!
              if (line.startsWith(prefix)) return line
            }
            if (!alive() || Date.now() > deadline) {
              return yield* Effect.dieMessage(
                `B6 worker ${tag}: no ${prefix} (${alive() ? "timed out" : "exited"})\n${stderr}`
              )
            }
            yield* Effect.sleep("20 millis")
          }
        })
      return {
        tag,
        send: (line) => void child.stdin.write(`${line}\n`),
        next,
        alive,
        stderr: () => stderr,
        // stdin's end asks the worker to exit; SIGKILL if it has not within 10 s.
        stop: () =>
          new Promise<void>((resolve) => {
            if (!alive()) return resolve()
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
            child.once("exit", () => {
              clearTimeout(timer)
              resolve()
            })
            child.stdin.end()
          })
      }
    }),
    (w) => Effect.promise(w.stop)
  )

const query = (client: Pg.Client, text: string) =>
  Effect.promise(() => client.query(text)).pipe(Effect.map((r) => r.rows[0] as Record<string, unknown>))

const cpuTimes = () => {
  let busy = 0
  let total = 0
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq
    busy += t
    total += t + c.times.idle
  }
  return { busy, total }
}

/** Registers `processes` echo processes on `schema` from a handle of its own, closed before the workers start. */
const register = (schema: string, processes: number) =>
  Effect.scoped(Effect.gen(function*() {
    const storage = yield* Layer.build(
      PostgresBackend.layer({ url: pgUrl(), schema, poolSize: 8, applicationName: "lash-b6-register" })
    )
    const envRef = yield* Effect.provide(persistProcessExecutionEnv(emptyEnv), storage)
    const registry = Context.get(storage, ProcessRegistry)
    yield* Effect.forEach(
      Array.from({ length: processes }, (_, i) => `b6-${String(i).padStart(5, "0")}`),
      (id) => registry.register(echoRegistration(id, envRef)),
      { concurrency: 8, discard: true }
    )
  }))

const runOnce = (
  pool: ReadonlyArray<Worker>,
  config: { readonly workers: number; readonly delayMs: number; readonly notify: boolean; readonly processes: number }
) =>
  Effect.scoped(Effect.gen(function*() {
    const schema = yield* pgSchema()
    yield* register(schema, config.processes)
    const workers = pool.slice(0, config.workers)
    for (const w of workers) w.send(`OPEN ${schema} ${config.notify ? 1 : 0} ${config.delayMs}`)
    for (const w of workers) yield* w.next("READY", 300_000)
    const monitor = yield* Effect.acquireRelease(
      Effect.promise(() => connectPg("lash-b6-monitor")),
      (client) => Effect.promise(() => client.end().catch(() => undefined))
    )
    const xactCommit = Effect.map(
      query(monitor, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"),
      (row) => Number(row.xact_commit)
    )
    // Every backend flushes its counters within a second of going idle (PostgreSQL 15's pgstat): wait that out.
    yield* Effect.sleep("1200 millis")
    const x0 = yield* xactCommit
    const cpu0 = cpuTimes()
    const t0 = process.hrtime.bigint()
    for (const w of workers) w.send("GO")
    let polls = 0
    let otherClients = 0
    const deadline = Date.now() + Math.max(120_000, config.processes * 200)
    for (;;) {
      yield* Effect.sleep("25 millis")
      polls++
      const row = yield* query(
        monitor,
        `SELECT (SELECT count(*) FROM "${schema}".lash_processes WHERE terminal = 1) AS done,
                (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                   AND backend_type = 'client backend' AND application_name NOT LIKE 'lash-b6%') AS others`
      )
      otherClients = Math.max(otherClients, Number(row.others))
      if (Number(row.done) >= config.processes) break
      const dead = workers.find((w) => !w.alive())
      if (dead !== undefined || Date.now() > deadline) {
        return yield* Effect.dieMessage(
          `B6: ${row.done} of ${config.processes} done; ${
            dead === undefined ? "timed out" : `worker ${dead.tag} exited`
          }\n${workers.map((w) => `${w.tag}: ${w.stderr()}`).join("\n")}`
        )
      }
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    const cpu1 = cpuTimes()
    for (const w of workers) w.send("STOP")
    let executions = 0
    let workerCpuMicros = 0
    for (const w of workers) {
      const [, count, cpuMicros] = (yield* w.next("DONE", 120_000)).split(" ")
      executions += Number(count)
      workerCpuMicros += Number(cpuMicros)
    }
    yield* Effect.sleep("1200 millis")
    // The monitor's own transactions in between: the x0 read and every poll.
    const xacts = (yield* xactCommit) - x0 - 1 - polls
    const audit = yield* query(
      monitor,
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE p.terminal = 1 AND e.completed = 1 AND e.other = 0) AS once
         FROM "${schema}".lash_processes p LEFT JOIN (
           SELECT process_id,
                  count(*) FILTER (WHERE event_type = 'process.completed') AS completed,
                  count(*) FILTER (WHERE event_type IN ('process.failed', 'process.cancelled')) AS other
             FROM "${schema}".lash_process_events GROUP BY process_id) e USING (process_id)`
    )
    if (
      Number(audit.total) !== config.processes || Number(audit.once) !== config.processes ||
      executions !== config.processes
    ) {
      return yield* Effect.dieMessage(
        `B6 exactly-once violated (${config.workers} workers, ${config.delayMs} ms, notify ${config.notify}): ${audit.once} of ${audit.total} processes completed exactly once, ${executions} tool executions for ${config.processes}`
      )
    }
    return {
      ...config,
      ms,
      perSecond: config.processes / (ms / 1000),
      xactPerProcess: xacts / config.processes,
      otherClients,
      workerCpuMsPerProcess: workerCpuMicros / 1000 / config.processes,
      machineBusy: (cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total)
    } satisfies B6Run
  }))

const one = (v: number) => ({ n: 1, p50: v, p95: v, p99: v, mean: v })

/** The report line of one configuration: S(N) against its 1-worker run; the goal's gates on the 20 ms tool. */
const resultOf = (r: B6Run, base: B6Run): Result => {
  const cores = cpus().length
  const goal = r.delayMs === 20 ? (r.workers === 2 ? 1.7 : r.workers === 4 ? 3.0 : undefined) : undefined
  return {
    id: "B6",
    variant: `postgres ${r.delayMs} ms tool, notify ${r.notify ? "on" : "off"}, ${r.workers} worker${
      r.workers > 1 ? "s" : ""
    }`,
    unit: "completions/s",
    summary: { ...one(r.perSecond), n: r.processes },
    baseline: "1 worker",
    ratio: r.perSecond / base.perSecond,
    // A goal of issue 15; enforced only where every worker can have a core of its own.
    ...(goal === undefined ? {} : { gate: { min: goal, enforced: cores >= 4 } }),
    note: `${(r.ms / 1000).toFixed(2)} s; xact_commit ${r.xactPerProcess.toFixed(2)}/process${
      r.otherClients > 0 ? ` (disturbed: ${r.otherClients} other client(s) on the database)` : ""
    }; worker CPU ${r.workerCpuMsPerProcess.toFixed(2)} ms/process; machine CPU busy ${
      (100 * r.machineBusy).toFixed(0)
    }% of ${cores} cores`
  }
}

/**
 * B6 over `processes` processes per configuration (after one unreported warm-up configuration that JIT-compiles
 * every worker), 4 worker processes started once and reused with a fresh schema per configuration; `report` gets
 * each configuration's line as it ends.
 */
export const b6 = (processes: number, report: (result: Result) => void): Promise<void> =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const pool = yield* Effect.all(["w1", "w2", "w3", "w4"].map(startWorker), { concurrency: "unbounded" })
    yield* runOnce(pool, { workers: 4, delayMs: 0, notify: true, processes: Math.min(200, processes) })
    for (const delayMs of [20, 0]) {
      for (const notify of [true, false]) {
        // Each line is reported as its configuration ends; the 1-worker run comes first and is the baseline.
        const base = yield* runOnce(pool, { workers: 1, delayMs, notify, processes })
        report(resultOf(base, base))
        for (const workers of [2, 4]) {
          report(resultOf(yield* runOnce(pool, { workers, delayMs, notify, processes }), base))
        }
      }
    }
  })))
