/**
 * Another writer in its own OS process: `tsx writer.ts <db file> <turn id>` runs one turn on the re-drive session
 * (committing a revision), prints `COMMITTED <revision>` and exits.
 */
import { LashCore, TurnInput } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { SqliteBackend } from "../../src/index.js"
import { blockProvider, OTHER_BLOCK, redriveCore, SESSION } from "./core.js"

const [filename, turnId] = process.argv.slice(2)
if (filename === undefined || turnId === undefined) throw new Error("usage: writer.ts <db file> <turn id>")

const program = Effect.scoped(
  Effect.gen(function*() {
    const storage = yield* Layer.build(SqliteBackend.layer({ filename }))
    const core = Context.get(
      yield* Layer.build(redriveCore(storage, blockProvider(OTHER_BLOCK), "inline")),
      LashCore
    )
    const session = yield* core.openSession(SESSION)
    const out = yield* session.turn(TurnInput.text("meanwhile"), { turnId }).run
    process.stdout.write(`COMMITTED ${out.headRevision}\n`)
  })
)
Effect.runPromise(program).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`writer failed: ${String(e)}\n`)
    process.exit(1)
  }
)
