/**
 * Connections terminated by the server while several workers run: 3 worker OS processes (workers/worker.ts) share a
 * schema and run `tool_call` processes while the test terminates their connections (`pg_terminate_backend`, found
 * by `application_name`) every 200 ms: a connection inside a transaction first (in the middle of a claim: its
 * statement ran, its COMMIT not yet; of a terminal write; of a COMMIT), else any of theirs, `LISTEN` connections
 * included. Nothing half-commits (every process has exactly one terminal event), nothing runs twice (exactly one tool
 * execution each), and the work goes on after reconnecting: a second batch registered after the terminations stop
 * completes too.
 *
 * It runs in `pnpm test` with waves of 70 processes (until at least 10 connections, 5 of them inside a unit, were
 * terminated while they ran; at most 10 waves), then 30 more; `LASH_PG_TERMINATION_PROCESSES=150` runs larger waves.
 * Only this test's workers are targeted (their `application_name` carries this process's id), so the test can run
 * beside the other multi-worker tests and benchmarks on the same server. It found two worker issues, fixed in
 * `@lash/core` (docs/architecture.md, "The worker"; packages/core/test/containment/storeOutages.test.ts): a connection
 * lost while a process's env loaded ended the process `failed`, and a cancel watcher whose read lost its connection
 * ended a run as if its lease were lost, after its tool ran (the tool ran again under the next lease).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { ids, setup, spawnReady, until } from "./workers/harness.js"

const PROCESSES = Number(process.env.LASH_PG_TERMINATION_PROCESSES ?? "70")
/** Waves of `PROCESSES` registered at most, until at least 10 terminations (5 inside a unit) hit running work. */
const MAX_WAVES = 10
/** This run's worker tags: the terminator targets their connections only. */
const TAGS = ["w0", "w1", "w2"].map((w) => `term${process.pid}-${w}`)

/** What a terminated connection was doing, from `pg_stat_activity` (for a transaction: its last statement). */
const kindOf = (state: string, query: string): string =>
  /^\s*COMMIT/i.test(query) && state === "active"
    ? "during COMMIT"
    : /lease_fencing = lease_fencing \+ 1/.test(query)
    ? "in a claim"
    : /lash_process_events/.test(query) && state !== "idle"
    ? "in a terminal write"
    : /^\s*LISTEN/i.test(query)
    ? "listening"
    : state === "idle"
    ? "idle"
    : "in another unit"

describe("connections terminated by the server", () => {
  it.scopedLive(
    `3 workers, waves of ${PROCESSES} processes, a connection terminated every 200 ms: exactly once, and work goes on`,
    () =>
      Effect.gen(function*() {
        const { audit, internals, register, schema, terminalCount } = yield* setup
        const workers = yield* spawnReady(schema, TAGS)
        const kills = new Map<string, number>()
        const terminator = yield* Effect.fork(Effect.forever(
          Effect.gen(function*() {
            yield* Effect.sleep("200 millis")
            // Inside a transaction first (claims, terminal writes, COMMITs), else any worker connection.
            const rows = yield* internals.query(
              `SELECT pid, state, query FROM pg_stat_activity WHERE application_name = ANY($1::text[])
               ORDER BY (state IN ('active', 'idle in transaction')) DESC, random() LIMIT 1`,
              [TAGS.map((tag) => `lash-worker-${tag}`)]
            )
            const target = rows[0]
            if (target === undefined) return
            const terminated = yield* internals.query("SELECT pg_terminate_backend($1) AS ok", [target.pid])
            if (terminated[0]?.ok === true) {
              const kind = kindOf(String(target.state), String(target.query))
              kills.set(kind, (kills.get(kind) ?? 0) + 1)
            }
          })
        ))
        const killed = () => {
          const total = [...kills.values()].reduce((a, b) => a + b, 0)
          return { total, inTransaction: total - (kills.get("idle") ?? 0) - (kills.get("listening") ?? 0) }
        }
        // Waves of processes until enough connections were terminated while they ran: the faster the workers, the
        // fewer terminations one wave sees, and the test is about work that goes on through them.
        const first: Array<string> = []
        for (let wave = 0; wave < MAX_WAVES; wave++) {
          const batch = ids(`t-${wave}-`, PROCESSES)
          first.push(...batch)
          yield* register(batch)
          yield* until(
            `every process of wave ${wave} to finish while connections are terminated`,
            Effect.map(terminalCount("t-"), (n) => n === first.length),
            600_000,
            workers
          )
          const { inTransaction, total } = killed()
          if (total >= 10 && inTransaction >= 5) break
        }
        yield* Fiber.interrupt(terminator)
        const { inTransaction, total } = killed()
        expect(total, "connections were terminated").toBeGreaterThanOrEqual(10)
        expect(inTransaction, "some in the middle of a unit").toBeGreaterThanOrEqual(5)

        // The work goes on: a batch registered after the terminations.
        const second = ids("u-", 30)
        yield* register(second)
        yield* until(
          "the batch after the terminations to finish",
          Effect.map(terminalCount("u-"), (n) => n === second.length),
          300_000,
          workers
        )
        for (const prefix of ["t-", "u-"]) {
          const processes = yield* audit(prefix)
          expect(processes.length).toBe(prefix === "t-" ? first.length : second.length)
          const notOnce = processes.filter((p) => p.completed !== 1 || p.terminalEvents !== 1 || p.markers.length !== 1)
          expect(notOnce, "one terminal event and one tool execution per process").toEqual([])
        }
        console.log(
          `termination: ${total} connections terminated (${
            [...kills.entries()].sort().map(([k, n]) => `${k} ${n}`).join(", ")
          }); ${first.length + second.length} processes, each completed once and run once`
        )
      }),
    900_000
  )
})
