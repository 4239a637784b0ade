// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { PostgresBackend } from "@lash/backend-postgres"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Redacted } from "effect"

// Every process that builds this layer on the same database and schema shares the sessions, processes and triggers.
const storage = PostgresBackend.layer({
  url: Redacted.make(process.env.LASH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"),
  schema: "lash_readme"
})

const runtime = LashCore.layer({ mode: "standard", model: { id: "demo", limits: { contextWindowTokens: 8192 } } }).pipe(
  Layer.provide(Layer.mergeAll(
    storage,
    InlineEffectController.layer,
    TestProvider.builder().reply("Stored in Postgres.").build().layer
  ))
)

const program = Effect.gen(function*() {
  const session = yield* (yield* LashCore).openSession("ops")
  yield* session.turn(TurnInput.text("keep this")).run
  console.log(session.readView().messages.length) // 2 more every run: the transcript lives in the database
})

Effect.runPromise(program.pipe(Effect.provide(runtime)))
