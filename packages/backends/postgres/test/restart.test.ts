/**
 * The Postgres server restarted while 3 worker OS processes run `tool_call` processes: every connection of every
 * worker (and of this test) dies at once, units in flight fail, COMMITs in flight are resolved once the server is
 * back (src/CommitOutcome.ts), and the workers reconnect and finish. Every process ends with exactly one terminal
 * event; a process runs its tool twice only if its run's lease was lost to the restart, and then under a newer fence.
 *
 * Opt-in (`LASH_PG_RESTART_SERVER=1`): the server is shared, and a restart fails whatever else is using it. The test
 * refuses to restart while a client that is not its own is connected. The restart command is
 * `pg_ctlcluster --skip-systemctl-redirect <version> main restart` (the version from /etc/postgresql), or
 * `LASH_PG_RESTART_COMMAND`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execSync } from "node:child_process"
import * as fs from "node:fs"
import { ids, setupWith, spawnReady, until } from "./workers/harness.js"

const PROCESSES = 150
/** This run's worker tags and parent handle name: every connection of this test is named after its process id. */
const TAGS = ["w0", "w1", "w2"].map((w) => `restart${process.pid}-${w}`)
const PARENT = `lash-restart-${process.pid}`
/** The `application_name`s of this test's connections: the parent's, each worker's pool and marker pool. */
const OWN_NAMES = [PARENT, ...TAGS.flatMap((tag) => [`lash-worker-${tag}`, `lash-worker-${tag}-markers`])]

const restartCommand = (): string =>
  process.env.LASH_PG_RESTART_COMMAND ??
    `pg_ctlcluster --skip-systemctl-redirect ${fs.readdirSync("/etc/postgresql")[0]} main restart`

describe.skipIf(process.env.LASH_PG_RESTART_SERVER !== "1")("the server restarted during a run", () => {
  it.scopedLive(
    `3 workers, ${PROCESSES} processes, a server restart a third of the way: exactly one terminal event each`,
    () =>
      Effect.gen(function*() {
        const { audit, internals, register, schema, terminalCount } = yield* setupWith({ applicationName: PARENT })
        const workers = yield* spawnReady(schema, TAGS)
        // While the server is down, a check fails: that is a "not yet".
        const finished = (n: number) =>
          Effect.orElseSucceed(Effect.map(terminalCount("r-"), (done) => done >= n), () => false)
        const all = ids("r-", PROCESSES)
        yield* register(all)
        yield* until("a third of the processes", finished(PROCESSES / 3), 300_000, workers)
        const strangers = yield* internals.query(
          `SELECT pid, application_name FROM pg_stat_activity
           WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND NOT (application_name = ANY($1::text[]))`,
          [OWN_NAMES]
        )
        if (strangers.length > 0) {
          return yield* Effect.dieMessage(
            `not restarting a server other clients use: ${strangers.map((r) => `${r.pid} ${r.application_name}`)}`
          )
        }
        const restartedAt = Date.now()
        execSync(restartCommand(), { stdio: "ignore" })
        const restartMs = Date.now() - restartedAt
        yield* until("every process to finish after the restart", finished(PROCESSES), 300_000, workers)
        const processes = yield* audit("r-")
        expect(processes.length).toBe(PROCESSES)
        const notOnce = processes.filter((p) => p.completed !== 1 || p.terminalEvents !== 1)
        expect(notOnce, "one terminal event per process").toEqual([])
        expect(processes.filter((p) => p.markers.length === 0), "every process's tool ran").toEqual([])
        const twice = processes.filter((p) => p.markers.length > 1)
        for (const p of twice) {
          expect(p.markers.length, `${p.id} ran at most twice`).toBe(2)
          expect(p.fencing, `${p.id} was finished under a newer lease`).toBeGreaterThan(1)
        }
        console.log(
          `restart: the server restarted in ${restartMs} ms; ${PROCESSES} processes finished, ${twice.length} ran twice`
        )
      }),
    900_000
  )
})
