/**
 * The enqueuer of the two-worker demo: `pnpm demo:enqueue [count] [ms]` (default 40 processes of 1000 ms). On the
 * Postgres schema at `LASH_PG_URL` (`LASH_PG_SCHEMA`, default `lash_quickstart_workers`) it starts `count` `nap`
 * processes from a core whose worker is disabled, so only the workers run them; then it awaits every one and prints
 * who ran how many. Ctrl-C while it waits leaves the processes to the workers.
 */
import { LashCore } from "@lash/core"
import { Clock, Console, Effect, Schema } from "effect"
import * as url from "node:url"
import { postgres } from "./backend.js"
import { napEnv, NapOutput, napRegistration, napRuntime, WORKERS_SCHEMA } from "./naps.js"

/** Starts `count` processes napping `ms` each, awaits them; answers how many each worker ran. */
export const enqueue = (count: number, ms: number) =>
  Effect.gen(function*() {
    const storage = yield* postgres(WORKERS_SCHEMA)
    return yield* Effect.gen(function*() {
      const lash = yield* LashCore
      const envRef = yield* napEnv
      const startedAtMs = yield* Clock.currentTimeMillis
      const batch = startedAtMs.toString(36)
      const ids: Array<string> = []
      for (let i = 0; i < count; i++) {
        const id = `nap-${batch}-${String(i).padStart(String(count - 1).length, "0")}`
        yield* lash.processes().start(napRegistration(id, envRef, { label: id, ms, enqueuedAtMs: startedAtMs }))
        ids.push(id)
      }
      yield* Console.log(
        `enqueued ${count} processes (${ids[0]} … ${ids[ids.length - 1]}, ${ms} ms each) on ${storage.location}; ` +
          "waiting for the workers"
      )
      const ranBy = new Map<string, number>()
      for (const id of ids) {
        const output = yield* lash.processes().await(id)
        if (output.type !== "success") return yield* Effect.dieMessage(`${id} ended ${JSON.stringify(output)}`)
        const { worker } = yield* Schema.decodeUnknown(NapOutput)(output.value)
        ranBy.set(worker, (ranBy.get(worker) ?? 0) + 1)
      }
      const seconds = ((yield* Clock.currentTimeMillis) - startedAtMs) / 1000
      const counts = [...ranBy].sort(([a], [b]) => a.localeCompare(b)).map(([worker, n]) => `${worker} ran ${n}`)
      yield* Console.log(`all ${count} completed in ${seconds.toFixed(1)} s: ${counts.join(", ")}`)
      return ranBy
    }).pipe(Effect.provide(napRuntime(storage, "enqueue", { enabled: false })))
  })

/** `[count] [ms]` from the command line: whole numbers, count at least 1. */
const Arguments = Schema.Tuple(
  Schema.optionalElement(Schema.NumberFromString.pipe(Schema.int(), Schema.positive())),
  Schema.optionalElement(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()))
)

if (process.argv[1] !== undefined && import.meta.url === url.pathToFileURL(process.argv[1]).href) {
  const program = Effect.flatMap(
    Schema.decodeUnknown(Arguments)(process.argv.slice(2)),
    ([count = 40, ms = 1000]) => enqueue(count, ms)
  )
  Effect.runPromise(program).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
