/**
 * A worker of the two-worker demo: `pnpm demo:worker <name>` (or `pnpm worker <name>` in this folder). It builds a
 * runtime on the Postgres schema at `LASH_PG_URL` (`LASH_PG_SCHEMA`, default `lash_quickstart_workers`) whose worker
 * claims the schema's runnable processes, at most 4 at a time, under leases of 5 s renewed every second, and prints
 * one line per process it runs. It runs until Ctrl-C, which ends it at once, as a crash would: the leases it held
 * expire and another worker takes their processes over.
 */
import { Console, Effect, Layer, Logger, LogLevel } from "effect"
import * as url from "node:url"
import { postgres } from "./backend.js"
import { napRuntime, WORKERS_SCHEMA } from "./naps.js"

/** The worker options of the demo: short leases, so a stopped worker's processes move on within seconds. */
const options = {
  enabled: true,
  maxConcurrent: 4,
  leaseTtl: "5 seconds",
  renewEvery: "1 second",
  sweepEvery: "1 second"
} as const

/**
 * What the worker logs, one line each, after its name: a warning names the process it is about (a lease lost while
 * the process ran, or before its result was written: the result is dropped and the process runs again elsewhere).
 * Below warnings, nothing.
 */
const workerLogger = (name: string) =>
  Logger.make(({ logLevel, message }) => {
    if (LogLevel.lessThan(logLevel, LogLevel.Warning)) return
    const first = Array.isArray(message) ? message[0] : message
    console.log(`[${name}] ${logLevel.label.toLowerCase()}: ${String(first)}`)
  })

/** Runs worker `name` until interrupted. */
export const worker = (name: string) =>
  Effect.gen(function*() {
    const storage = yield* postgres(WORKERS_SCHEMA)
    yield* Layer.build(napRuntime(storage, name, options))
    yield* Console.log(
      `[${name}] ready on ${storage.location}: ${options.maxConcurrent} processes at a time, leases of ${options.leaseTtl}; Ctrl-C to stop`
    )
    return yield* Effect.never
  }).pipe(Effect.scoped)

if (process.argv[1] !== undefined && import.meta.url === url.pathToFileURL(process.argv[1]).href) {
  const name = process.argv[2] ?? `worker-${process.pid}`
  process.once("SIGINT", () => {
    // No clean shutdown on purpose: the leases this worker holds are left to expire, as after a crash.
    process.stdout.write(
      `\n[${name}] stopped; its leases expire within ${options.leaseTtl} and another worker takes over\n`,
      () => process.exit(0)
    )
  })
  const program = worker(name).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, workerLogger(name))))
  Effect.runPromise(program).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
