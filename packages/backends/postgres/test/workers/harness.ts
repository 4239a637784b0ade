/**
 * What the multi-worker tests share (workers.test.ts, termination.test.ts, restart.test.ts): worker OS processes
 * (`worker.ts`) on a schema, waits that name what did not happen, and the parent's view of the schema (registering
 * `mark` processes, counting terminal ones, auditing each process's terminal events and tool executions).
 */
import { type LashStorage, persistProcessExecutionEnv, ProcessRegistry, type StorageSignals } from "@lash/core"
import { type ChildHandle, killChild, spawnChild } from "@lash/testing/processes"
import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { PostgresBackend, PostgresBackendInternals } from "../../src/index.js"
import { emptyEnv, MARKERS_DDL, markRegistration } from "./runtime.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const workerScript = path.join(here, "worker.ts")

/** A worker OS process and what it printed. */
export interface Worker extends ChildHandle {
  readonly tag: string
}

/**
 * Spawns a worker OS process on `schema` (`env`: more of the fixture's settings); SIGKILLed when the scope closes if
 * still alive. `LASH_PG_WORKERS_LOG=<dir>`: each worker's whole output in `<dir>/<tag>.log`, for a post-mortem.
 */
export const spawnWorker = (schema: string, tag: string, env: Record<string, string> = {}) => {
  const logDir = process.env.LASH_PG_WORKERS_LOG
  const logFile = logDir === undefined ? undefined : path.join(logDir, `${tag}.log`)
  if (logDir !== undefined && logFile !== undefined) {
    fs.mkdirSync(logDir, { recursive: true })
    fs.writeFileSync(logFile, "")
  }
  return Effect.map(
    spawnChild({
      script: workerScript,
      cwd: here,
      env: { LASH_PG_URL: PostgresBackend.testing.url(), WORKER_SCHEMA: schema, WORKER_TAG: tag, ...env },
      ...(logFile === undefined ? {} : { onChunk: (chunk: Buffer) => fs.appendFileSync(logFile, chunk) })
    }),
    (handle): Worker => ({ ...handle, tag })
  )
}

/** SIGKILLs a worker and waits for it to exit. */
export const kill = killChild

const logsOf = (workers: ReadonlyArray<Worker>) =>
  workers.map((w) => `${w.tag}: ${w.stderr.join("").slice(-1500)} ${w.lines.slice(-8).join("\n").slice(-1500)}`)
    .join("\n")

/** Polls `check` until it holds; past `timeoutMs`, dies naming `what` with the workers' last output. */
export const until = (
  what: string,
  check: Effect.Effect<boolean, unknown>,
  timeoutMs: number,
  workers: ReadonlyArray<Worker>
) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}\n${logsOf(workers)}`)
      yield* Effect.sleep("100 millis")
    }
  })

/** Spawns workers `tags` on `schema` and waits until each printed `READY <tag> <core instance id>`. */
export const spawnReady = (schema: string, tags: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const workers = yield* Effect.all(tags.map((tag) => spawnWorker(schema, tag, env)), { concurrency: "unbounded" })
    yield* until(
      "every worker to be ready",
      Effect.sync(() => workers.every((w) => w.lines.some((l) => l.startsWith(`READY ${w.tag} `)))),
      // Four processes starting from TypeScript sources take 20-35 s at a load of 15-20 on 2 cores, more when busier.
      300_000,
      workers
    )
    return workers
  })

/** The core instance id a worker printed (it is in every lease owner id of the worker: `worker:<instance>:…`). */
export const instanceOf = (w: Worker): string => w.lines.find((l) => l.startsWith(`READY ${w.tag} `))!.split(" ")[2]!

/** `n` process ids `<prefix>00000`, `<prefix>00001`, … */
export const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`)

/**
 * The schema, a parent handle on it (registry, env store, internals) and the markers table; `options`: the parent
 * handle's (an `applicationName` of its own, say).
 */
export const setupWith = (options: Parameters<typeof PostgresBackend.testing.reopenable>[0] = {}) =>
  Effect.gen(function*() {
    const db = yield* PostgresBackend.testing.reopenable(options)
    const ctx: Context.Context<LashStorage | StorageSignals | PostgresBackendInternals> = yield* Layer.build(db.open())
    const internals = Context.get(ctx, PostgresBackendInternals)
    yield* internals.query(MARKERS_DDL)
    const envRef = yield* Effect.provide(persistProcessExecutionEnv(emptyEnv), ctx)
    const registry = Context.get(ctx, ProcessRegistry)
    const register = (processIds: ReadonlyArray<string>) =>
      Effect.forEach(processIds, (id) => registry.register(markRegistration(id, envRef)), {
        concurrency: 4,
        discard: true
      })
    const terminalCount = (prefix: string) =>
      Effect.map(
        internals.query("SELECT count(*) AS n FROM lash_processes WHERE terminal = 1 AND process_id LIKE $1", [
          `${prefix}%`
        ]),
        (rows) => Number(rows[0]!.n)
      )
    /** Per process: terminal events, completions, fencing and the workers that left markers (tool executions). */
    const audit = (prefix: string) =>
      Effect.map(
        internals.query(
          `SELECT p.process_id, p.terminal, p.lease_fencing,
           (SELECT count(*) FROM lash_process_events e WHERE e.process_id = p.process_id
              AND e.event_type IN ('process.completed', 'process.failed', 'process.cancelled')) AS terminal_events,
           (SELECT count(*) FROM lash_process_events e WHERE e.process_id = p.process_id
              AND e.event_type = 'process.completed') AS completed,
           (SELECT string_agg(m.worker, ',' ORDER BY m.at) FROM lash_markers m WHERE m.process_id = p.process_id) AS markers,
           (SELECT string_agg(e.event_json, ' ' ORDER BY e.sequence) FROM lash_process_events e
              WHERE e.process_id = p.process_id AND e.event_type = 'process.failed') AS failure
         FROM lash_processes p WHERE p.process_id LIKE $1 ORDER BY p.process_id`,
          [`${prefix}%`]
        ),
        (rows) =>
          rows.map((r) => ({
            id: String(r.process_id),
            terminal: Number(r.terminal),
            fencing: Number(r.lease_fencing),
            terminalEvents: Number(r.terminal_events),
            completed: Number(r.completed),
            markers: r.markers === null ? [] : String(r.markers).split(","),
            /** The stored `process.failed` event, for a failure's message (absent when none). */
            ...(r.failure === null ? {} : { failure: String(r.failure).slice(0, 600) })
          }))
      )
    /** Server connections of a worker (by `application_name`). */
    const connectionsOf = (tag: string) =>
      Effect.map(
        internals.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [
          `lash-worker-${tag}`
        ]),
        (rows) => Number(rows[0]!.n)
      )
    /** The unfinished processes whose lease a core instance holds, with their fencing tokens. */
    const heldBy = (instance: string) =>
      Effect.map(
        internals.query(
          "SELECT process_id, lease_fencing FROM lash_processes WHERE terminal = 0 AND lease_owner_id LIKE $1",
          [`worker:${instance}:%`]
        ),
        (rows) => new Map(rows.map((r) => [String(r.process_id), Number(r.lease_fencing)]))
      )
    return { schema: db.schema, internals, register, terminalCount, audit, connectionsOf, heldBy }
  })

/** {@link setupWith} with the default options. */
export const setup = setupWith()
