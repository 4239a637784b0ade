/**
 * Child process of B6: one worker OS process (`B6child.ts <url> <tag>`), driven by lines on stdin so one process
 * serves every configuration of a run (B6.ts):
 *
 * - `OPEN <schema> <notify 0|1> <delayMs>`: builds `PostgresBackend.layer` on the schema (pool of 8, application name
 *   `lash-b6-<tag>`), then prints `READY`;
 * - `GO`: builds a LashCore with its worker (`maxConcurrent` 8, startup sweep) and the echo tool (Core.echoTool,
 *   sleeping `delayMs` per call): the sweep claims the processes the parent registered;
 * - `STOP`: closes the core and the handle, then prints `DONE <tool executions> <user + system CPU µs since GO>`.
 *
 * Exits when stdin ends.
 */
import { PostgresBackend } from "@lash/backend-postgres"
import type { LashStorage, StorageSignals } from "@lash/core"
import { type Context, Effect, Exit, Layer, Queue, Scope } from "effect"
import { createInterface } from "node:readline"
import { buildCore, echoTool } from "./Core.js"

const [url, tag] = process.argv.slice(2) as [string, string]

const print = (line: string) => Effect.sync(() => void process.stdout.write(`${line}\n`))

interface Run {
  readonly scope: Scope.CloseableScope
  readonly storage: Context.Context<LashStorage | StorageSignals>
  readonly delayMs: number
  readonly executions: { n: number }
  cpuAtGo?: NodeJS.CpuUsage
}

const program = Effect.gen(function*() {
  const lines = yield* Queue.unbounded<string | null>()
  const input = createInterface({ input: process.stdin })
  input.on("line", (line) => void Queue.unsafeOffer(lines, line))
  input.on("close", () => void Queue.unsafeOffer(lines, null))
  let run: Run | undefined
  const current =
    () => (run === undefined ? Effect.dieMessage("B6child: no OPEN before this command") : Effect.succeed(run))
  for (;;) {
    const line = yield* Queue.take(lines)
    if (line === null) return
    const [command, ...args] = line.split(" ")
    if (command === "OPEN") {
      const [schema, notify, delayMs] = args as [string, string, string]
      const scope = yield* Scope.make()
      const storage = yield* Layer.buildWithScope(
        PostgresBackend.layer({ url, schema, notify: notify === "1", poolSize: 8, applicationName: `lash-b6-${tag}` }),
        scope
      )
      run = { scope, storage, delayMs: Number(delayMs), executions: { n: 0 } }
      yield* print("READY")
    } else if (command === "GO") {
      const r = yield* current()
      r.cpuAtGo = process.cpuUsage()
      yield* buildCore(r.storage, {
        tools: [echoTool(r.executions, r.delayMs)],
        worker: { enabled: true, maxConcurrent: 8 }
      }).pipe(Scope.extend(r.scope))
    } else if (command === "STOP") {
      const r = yield* current()
      yield* Scope.close(r.scope, Exit.void)
      const cpu = process.cpuUsage(r.cpuAtGo)
      run = undefined
      yield* print(`DONE ${r.executions.n} ${cpu.user + cpu.system}`)
    } else {
      return yield* Effect.dieMessage(`B6child: unknown command ${line}`)
    }
  }
})

Effect.runPromise(program).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`B6 worker ${tag} failed: ${String(e)}\n`)
    process.exit(1)
  }
)
