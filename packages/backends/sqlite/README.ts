// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { SqliteBackend, SqliteNativeModuleUnavailable } from "@lash/backend-sqlite"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Console, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lash-")), "agent.db")

// Each build of this layer opens the file anew: building it twice is a restart.
const runtime = () =>
  LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } } }).pipe(
    Layer.provide(Layer.mergeAll(
      SqliteBackend.layer({ filename }),
      InlineEffectController.layer,
      TestProvider.builder().reply("Saved to disk.").build().layer
    ))
  )

const firstRun = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("ops")
  yield* session.turn(TurnInput.text("keep this")).run
}).pipe(Effect.provide(runtime()))

const afterRestart = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("ops")
  console.log(session.readView().messages.map((message) => message.role)) // [ 'user', 'assistant' ]
}).pipe(Effect.provide(runtime()))

const program = Effect.zipRight(firstRun, afterRestart).pipe(
  // When better-sqlite3's native module is missing, the cause says how to get it built.
  Effect.tapErrorTag(
    "StoreUnavailable",
    (error) => error.cause instanceof SqliteNativeModuleUnavailable ? Console.error(error.cause.message) : Effect.void
  )
)

Effect.runPromise(program)
