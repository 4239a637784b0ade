/**
 * One side of SQ-01 (packages/backends/sqlite/test/sqlScenarios.ts), in its own OS process:
 * `tsx appender.ts '<json spec>'`. It opens the file the way the parent's handle was opened, prints `READY`, waits
 * for a line on stdin, appends `count` events to one process as fast as it can, and prints one JSON line: how many
 * appends succeeded and the first failures (tag and code).
 */
import { type ProcessId, ProcessRegistry } from "@lash/core"
import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import * as readline from "node:readline"
import { SqliteBackend, type SqliteOpenedAs } from "../../src/index.js"

interface Spec {
  readonly opened: SqliteOpenedAs
  readonly processId: string
  readonly eventType: string
  readonly count: number
  readonly tag: string
}

const spec = JSON.parse(process.argv[2] ?? "null") as Spec | null
if (spec === null) throw new Error("usage: appender.ts '<json spec>'")

const go = Effect.async<void>((resume) => {
  const lines = readline.createInterface({ input: process.stdin })
  lines.once("line", () => {
    lines.close()
    resume(Effect.void)
  })
})

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Option.getOrUndefined(Cause.failureOption(cause))
  if (typeof failure === "object" && failure !== null && "_tag" in failure) {
    const code = "code" in failure ? ` ${String(failure.code)}` : ""
    return `${String(failure._tag)}${code}`
  }
  return Cause.pretty(cause).split("\n")[0]!
}

const program = Effect.scoped(
  Effect.gen(function*() {
    const handle = yield* Layer.build(
      SqliteBackend.layerWithInternals({ filename: spec.opened.filename, ...spec.opened.options }, spec.opened.hooks)
    )
    const registry = Context.get(handle, ProcessRegistry)
    process.stdout.write("READY\n")
    yield* go
    let succeeded = 0
    const failures: Array<string> = []
    for (let i = 0; i < spec.count; i++) {
      const exit = yield* Effect.exit(
        registry.appendEvent(spec.processId as ProcessId, {
          eventType: spec.eventType,
          payload: { from: spec.tag, i }
        })
      )
      if (Exit.isSuccess(exit)) succeeded++
      else failures.push(describeFailure(exit.cause))
    }
    process.stdout.write(
      `${JSON.stringify({ tag: spec.tag, succeeded, failed: failures.length, first: failures.slice(0, 3) })}\n`
    )
  })
)

Effect.runPromise(program).catch((e) => {
  process.stderr.write(`appender ${spec.tag} failed: ${String(e)}\n`)
  process.exitCode = 1
})
