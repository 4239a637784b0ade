/**
 * The quickstart on Postgres (`LASH_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`), each test on its own
 * schema, dropped at the end:
 *
 * - the demo prints what it prints on SQLite, but for where its state is;
 * - the two-worker demo: two `src/worker.ts` OS processes on one schema, batches started by `enqueue` (in this
 *   process): every process completes exactly once and both workers run some; then a worker is stopped as Ctrl-C
 *   stops it (SIGINT), and the processes it held finish on the other once their leases expired, under a newer
 *   fencing token.
 */
import { describe, expect, it } from "@effect/vitest"
import { PostgresBackend } from "@lash/backend-postgres"
import { ProcessRegistry, StoreInspector } from "@lash/core"
import { Effect, Exit, Fiber, Option } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { enqueue } from "../src/enqueue.js"
import { quickstart } from "../src/main.js"
import { runCaptured } from "./capture.js"

const url = PostgresBackend.testing.url()
const exampleDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..")

describe("the quickstart on Postgres", () => {
  it.scopedLive("prints the transcript it prints on SQLite", () =>
    Effect.gen(function*() {
      const schema = yield* PostgresBackend.testing.schema()
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-quickstart-pg-test-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "lash.db")
      const onSqlite = yield* runCaptured(quickstart, { LASH_DB: file })
      const onPostgres = yield* runCaptured(quickstart, { LASH_PG_URL: url, LASH_PG_SCHEMA: schema })
      expect(onSqlite.exit).toEqual(Exit.void)
      expect(onPostgres.exit).toEqual(Exit.void)
      expect(onSqlite.printed).toContain("assistant: Thanks, noted the morning weather.")
      expect(onPostgres.printed).toBe(
        onSqlite.printed
          .replace(`SQLite at ${file}`, `Postgres schema ${schema} of ${url}`)
          .replace("restarted from the file", "restarted from the schema")
          .replace(`is in ${file};`, `is in ${url}?schema=${schema};`)
      )
    }), { timeout: 120_000 })
})

/** A worker OS process (`src/worker.ts <name>`) and the lines it printed; killed with the scope if still alive. */
const spawnWorker = (name: string, schema: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts", name], {
        cwd: exampleDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, LASH_PG_URL: url, LASH_PG_SCHEMA: schema }
      })
      const output = { child, stdout: "", stderr: "" }
      child.stdout.on("data", (chunk: Buffer) => void (output.stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => void (output.stderr += chunk.toString()))
      return output
    }),
    ({ child }) => Effect.sync(() => void (child.exitCode === null && child.kill("SIGKILL")))
  )

type Worker = Effect.Effect.Success<ReturnType<typeof spawnWorker>>

/** Waits until `check` holds, up to `seconds`; then dies naming `what` with the workers' output. */
const until = (what: string, seconds: number, workers: ReadonlyArray<Worker>, check: () => boolean) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < seconds * 10; waited++) {
      if (check()) return
      yield* Effect.sleep("100 millis")
    }
    return yield* Effect.dieMessage(
      `${what} within ${seconds} s; workers printed:\n${workers.map((w) => w.stdout + w.stderr).join("\n---\n")}`
    )
  })

const exited = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

/** The prefix (`nap-<batch>`) of the processes one `enqueue` started, from what it printed. */
const batchOf = (stdout: string) => {
  const match = /enqueued \d+ processes \((nap-[a-z0-9]+)-/.exec(stdout)
  return match?.[1] ?? "none"
}

describe("two workers on one schema", () => {
  it.scopedLive(
    "share a batch, each process completed once; a stopped worker's processes finish on the other",
    () =>
      Effect.gen(function*() {
        const schema = yield* PostgresBackend.testing.schema()
        const env = { LASH_PG_URL: url, LASH_PG_SCHEMA: schema }
        const a = yield* spawnWorker("a", schema)
        const b = yield* spawnWorker("b", schema)
        yield* until(
          "both workers ready",
          240,
          [a, b],
          () => a.stdout.includes("[a] ready") && b.stdout.includes("[b] ready")
        )

        // 1. Both run some; each process ends once.
        const first = yield* runCaptured(enqueue(24, 200), env)
        const counts = Exit.getOrElse(first.exit, () => new Map<string, number>())
        expect(first.exit._tag).toBe("Success")
        expect(counts.get("a") ?? 0).toBeGreaterThan(0)
        expect(counts.get("b") ?? 0).toBeGreaterThan(0)
        expect((counts.get("a") ?? 0) + (counts.get("b") ?? 0)).toBe(24)

        // 2. Worker a is stopped (Ctrl-C) while it holds processes; they finish on b after the leases expire. 16
        // processes of 1.5 s on 8 slots are two waves: 0.7 s after a's first line of the batch, a is in its second.
        const firstBatch = batchOf(first.printed)
        const second = yield* Effect.fork(runCaptured(enqueue(16, 1500), env))
        const ranSecond = () =>
          a.stdout.split("\n").some((line) => line.startsWith("[a] ran nap-") && !line.includes(firstBatch))
        yield* until("worker a ran a process of the second batch", 120, [a, b], ranSecond)
        yield* Effect.sleep("700 millis")
        a.child.kill("SIGINT")
        yield* exited(a.child)
        expect(a.stdout).toContain("[a] stopped; its leases expire within 5 seconds")
        const { exit, printed } = yield* Fiber.join(second)
        expect(Exit.getOrElse(exit, () => new Map()).get("b")).toBeGreaterThan(0)

        // Read back from the schema: every process of both batches completed, with exactly one terminal event.
        const batches = [firstBatch, batchOf(printed)]
        const report = yield* Effect.gen(function*() {
          const registry = yield* ProcessRegistry
          const inspector = yield* Effect.serviceOption(StoreInspector)
          const records = yield* registry.list({})
          const rows = []
          for (const record of records) {
            const events = yield* registry.eventsAfter(record.id, 0)
            const lease = Option.isSome(inspector) ? (yield* inspector.value.process(record.id)).lease : undefined
            rows.push({
              id: record.id,
              state: record.status.state,
              output: record.status.state === "running" ? null : record.status.awaitOutput,
              terminalEvents: events.filter((e) =>
                ["process.completed", "process.failed", "process.cancelled"]
                  .includes(e.eventType)
              ).length,
              fencingToken: lease?.fencingToken ?? 0
            })
          }
          return rows
        }).pipe(Effect.provide(PostgresBackend.layer({ url, schema, poolSize: 2, notify: false })))
        expect(report.map((r) => r.id.slice(0, r.id.lastIndexOf("-"))).sort()).toEqual(
          [...Array<string>(24).fill(batches[0]!), ...Array<string>(16).fill(batches[1]!)].sort()
        )
        expect(report.filter((r) => r.state !== "completed" || r.terminalEvents !== 1)).toEqual([])
        // What a held when it stopped was claimed again (a newer fencing token) and finished by b.
        const takenOver = report.filter((r) => r.id.startsWith(batches[1]!) && r.fencingToken > 1)
        expect(takenOver.length).toBeGreaterThan(0)
        expect(takenOver.map((r) => r.output)).toEqual(
          takenOver.map(() => ({ type: "success", value: { worker: "b" } }))
        )
      }),
    { timeout: 400_000 }
  )
})
