/**
 * A child process of live.test.ts: a lash runtime (standard mode, a scripted model, its worker running) committing
 * turns to a SQLite file until the file named by the second argument appears. Prints `ready` after its first turn,
 * then, at the end, one JSON line: the turns committed and the failures seen.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"

const [filename, stopFile] = [process.argv[2]!, process.argv[3]!]
const provider = TestProvider.builder().complete(() => "noted").build()
const runtime = LashCore.layer({
  mode: "standard",
  model: { id: "writer-model", limits: { contextWindowTokens: 1_000_000 } },
  worker: { sweepEvery: "100 millis" }
}).pipe(Layer.provide(Layer.mergeAll(SqliteBackend.layer({ filename }), InlineEffectController.layer, provider.layer)))

const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("live")
  let turns = 0
  const failures: Array<string> = []
  while (!fs.existsSync(stopFile)) {
    const result = yield* Effect.either(session.turn(TurnInput.text(`turn ${turns + 1}`)).run)
    if (result._tag === "Right") turns += 1
    else failures.push(String(result.left._tag))
    if (turns === 1 && failures.length === 0) process.stdout.write("ready\n")
  }
  return { turns, failures }
})

Effect.runPromise(Effect.provide(program, runtime)).then(
  (result) => process.stdout.write(JSON.stringify(result) + "\n"),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
