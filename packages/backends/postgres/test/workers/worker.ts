/**
 * A worker OS process on a Postgres schema: `tsx worker.ts`, configured by the environment (`LASH_PG_URL`,
 * `WORKER_SCHEMA`, `WORKER_TAG`, `WORKER_DELAY_MS`, `WORKER_NOTIFY`, `WORKER_LEASE_TTL_MS`, `WORKER_MAX_CONCURRENT`).
 * Prints `READY <tag> <core instance id>` once its core runs, and runs until killed.
 *
 * The failpoint `worker.before-complete` (always armed here): a process whose id contains `-stall-` is held, on its
 * first lease only (fencing 1), before its terminal write until another worker has finished it; then the write goes
 * through with the stale lease and the worker prints `LATE <id> <outcome>`: fencing must reject it (`LeaseLost`).
 */
import { LashCore, ProcessRegistry } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { PostgresBackend } from "../../src/index.js"
import { markerPool, markTool, workersCore } from "./runtime.js"

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`worker: ${name} is not set`)
  return value
}
const url = env("LASH_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
const schema = env("WORKER_SCHEMA")
const tag = env("WORKER_TAG", "w")
const leaseTtlMs = Number(env("WORKER_LEASE_TTL_MS", "10000"))

const print = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))

/** The storage of this worker, with the failpoint around the terminal write. */
const storage = PostgresBackend.layer({
  url,
  schema,
  poolSize: 6,
  notify: env("WORKER_NOTIFY", "1") === "1",
  applicationName: `lash-worker-${tag}`
}).pipe(
  Layer.map((ctx) => {
    const registry = Context.get(ctx, ProcessRegistry)
    const held = (lease: { readonly processId: string; readonly fencingToken: number }) =>
      lease.processId.includes("-stall-") && lease.fencingToken === 1
    const waitTerminal = (id: Parameters<typeof registry.get>[0]) =>
      Effect.gen(function*() {
        for (let waited = 0; waited < 120_000; waited += 100) {
          const record = yield* Effect.either(registry.get(id))
          if (record._tag === "Right" && record.right.status.state !== "running") return
          yield* Effect.sleep("100 millis")
        }
      })
    return Context.add(ctx, ProcessRegistry, {
      ...registry,
      renewLease: (lease, ttlMs) => (held(lease) ? Effect.succeed(lease) : registry.renewLease(lease, ttlMs)),
      completeWithLease: (lease, outcome) =>
        held(lease)
          ? Effect.gen(function*() {
            yield* print(`HELD ${lease.processId}`)
            yield* waitTerminal(lease.processId)
            const late = yield* Effect.either(registry.completeWithLease(lease, outcome))
            yield* print(`LATE ${lease.processId} ${late._tag === "Left" ? late.left._tag : "accepted"}`)
            return yield* late
          })
          : registry.completeWithLease(lease, outcome)
    })
  })
)

const program = Effect.gen(function*() {
  const pool = yield* markerPool(url, schema, `lash-worker-${tag}-markers`)
  const tools = [markTool(pool, tag, Number(env("WORKER_DELAY_MS", "20")))]
  const core = yield* Layer.build(workersCore(storage, tools, {
    enabled: true,
    leaseTtl: leaseTtlMs,
    renewEvery: Math.floor(leaseTtlMs / 3),
    sweepEvery: "200 millis",
    maxConcurrent: Number(env("WORKER_MAX_CONCURRENT", "8"))
  }))
  // The instance id is in every lease owner id of this worker (`worker:<instance>:<attempt>`).
  yield* print(`READY ${tag} ${Context.get(core, LashCore).instanceId}`)
  return yield* Effect.never
})

Effect.runPromise(Effect.scoped(program)).catch((e) => {
  process.stderr.write(`worker ${tag} failed: ${String(e)}\n`)
  process.exitCode = 1
})
