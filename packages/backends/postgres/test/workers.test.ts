/**
 * Many workers for real: 4 worker OS processes (test/workers/worker.ts) share one schema, as workers on several
 * machines would, and run `tool_call` processes in two waves.
 *
 * - Wave 1 runs undisturbed: every process has exactly one terminal event and exactly one marker (one tool
 *   execution), and the work spread over every worker.
 * - In wave 2, w0 is SIGKILLed mid-run. Once its connections are gone, the processes it held are read: each finishes
 *   on the others after its lease expired, under a higher fencing token. Every process still has exactly one terminal
 *   event, and only those w0 held ran twice. Then two processes are registered whose first owner (a survivor) is held
 *   by the `worker.before-complete` failpoint (the fixture's wrapper of `completeWithLease`) before its terminal
 *   write, without renewing: another owner takes over after expiry and finishes, then the held owner writes late with
 *   its stale lease and fencing rejects it (`LeaseLost`).
 *
 * Size: `LASH_PG_WORKERS_PROCESSES` (default 2000, 1000 a wave; see the package README for how long it takes on a
 * 2-core machine). Workers use a 10 s lease, so the takeovers wait that long.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ids, instanceOf, kill, setup, spawnReady, until } from "./workers/harness.js"

const TOTAL = Number(process.env.LASH_PG_WORKERS_PROCESSES ?? 2000)

describe("many workers on one schema", () => {
  it.scopedLive(
    `4 worker OS processes, ${TOTAL} tool_call processes; one SIGKILLed mid-run; late writes fenced off`,
    () =>
      Effect.gen(function*() {
        const { audit, connectionsOf, heldBy, register, schema, terminalCount } = yield* setup
        const t0 = Date.now()
        const workers = yield* spawnReady(schema, ["w0", "w1", "w2", "w3"])
        const readyMs = Date.now() - t0
        const waveTimeout = 120_000 + TOTAL * 300

        // Wave 1: undisturbed. Exactly one terminal event and one tool execution per process.
        const wave1 = ids("a-", Math.floor(TOTAL / 2))
        const t1 = Date.now()
        yield* register(wave1)
        yield* until(
          "wave 1 to finish",
          Effect.map(terminalCount("a-"), (n) => n === wave1.length),
          waveTimeout,
          workers
        )
        const wave1Ms = Date.now() - t1
        const first = yield* audit("a-")
        expect(first.length).toBe(wave1.length)
        const notOnce = first.filter((p) => p.completed !== 1 || p.terminalEvents !== 1 || p.markers.length !== 1)
        expect(notOnce, "every process completed once and its tool ran once").toEqual([])
        const perWorker = new Map<string, number>()
        for (const p of first) perWorker.set(p.markers[0]!, (perWorker.get(p.markers[0]!) ?? 0) + 1)
        expect([...perWorker.keys()].sort(), "the work spread over every worker").toEqual(["w0", "w1", "w2", "w3"])

        // Wave 2: SIGKILL w0 a quarter of the way through.
        const wave2 = ids("b-", TOTAL - wave1.length - 2)
        yield* register(wave2)
        yield* until(
          "a quarter of wave 2",
          Effect.map(terminalCount("b-"), (n) => n >= wave2.length / 4),
          waveTimeout,
          workers
        )
        const victim = workers[0]!
        yield* kill(victim)
        // Once the server dropped w0's connections, its open transactions are rolled back: the leases are final.
        yield* until("w0's connections to close", Effect.map(connectionsOf("w0"), (n) => n === 0), 60_000, workers)
        const orphaned = yield* heldBy(instanceOf(victim))
        // The failpoint's processes, registered now so that a survivor is their first owner.
        const stalled = ["b-stall-00000", "b-stall-00001"]
        yield* register(stalled)
        yield* until(
          "wave 2 to finish",
          Effect.map(terminalCount("b-"), (n) => n === wave2.length + stalled.length),
          waveTimeout,
          workers
        )
        const survivors = workers.slice(1)
        const lateLines = () => survivors.flatMap((w) => w.lines).filter((l) => l.startsWith("LATE "))
        yield* until("both late writes", Effect.sync(() => lateLines().length >= 2), 60_000, workers)

        const second = yield* audit("b-")
        expect(second.length).toBe(wave2.length + stalled.length)
        const notCompletedOnce = second.filter((p) => p.completed !== 1 || p.terminalEvents !== 1)
        expect(notCompletedOnce, "every process completed exactly once").toEqual([])
        expect(second.filter((p) => p.markers.length === 0), "every process's tool ran").toEqual([])
        const ranTwice = second.filter((p) => p.markers.length > 1)
        expect(
          ranTwice.filter((p) => !orphaned.has(p.id) && !stalled.includes(p.id)),
          "only the processes w0 held when killed, and the held ones, ran twice"
        ).toEqual([])
        expect(orphaned.size, "w0 held leases when it was killed").toBeGreaterThan(0)
        for (const p of second.filter((q) => orphaned.has(q.id))) {
          expect(p.fencing, `${p.id} was finished under a newer lease than w0's`).toBeGreaterThan(orphaned.get(p.id)!)
          expect(p.markers.filter((m) => m !== "w0").length, `${p.id} ran once on a survivor`).toBe(1)
        }
        // The held owners wrote late with their stale lease: fencing rejected both writes.
        const late = lateLines()
        expect(late.map((l) => l.split(" ")[1]).sort()).toEqual(stalled)
        for (const line of late) expect(line, "fencing rejects the stale owner's terminal write").toMatch(/ LeaseLost$/)
        for (const p of second.filter((q) => stalled.includes(q.id))) {
          expect(p.fencing, `${p.id} finished under a newer lease`).toBeGreaterThan(1)
          expect(p.markers.length, `${p.id} ran on its held owner and on the one that took over`).toBe(2)
        }
        console.log(
          `workers: ready in ${readyMs} ms; wave 1 ${wave1.length} processes in ${wave1Ms} ms on 4 workers (${
            [...perWorker.entries()].sort().map(([w, n]) => `${w}:${n}`).join(" ")
          }); w0 held ${orphaned.size} leases when killed, ${ranTwice.length} processes ran twice; ${late.join("; ")}`
        )
      }),
    // Generous: the time goes by the load of the machine; the waits above name what did not happen.
    1_200_000
  )
})
