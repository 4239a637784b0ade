/**
 * The quickstart: a lash runtime composed from layers, on embedded SQLite, offline (the model is `TestProvider`,
 * a scripted model from @lash/testing).
 *
 * 1. Runtime A, rlm mode: the model answers with Lashlang that registers a durable trigger on `clock.Alarm`.
 * 2. Runtime A is closed. Runtime B is built from the same database file (a restart).
 * 3. The alarm fires (an occurrence is emitted); B's worker rebuilds the process from storage alone and runs it.
 * 4. The process wakes the session; the wake is drained into a committed turn, and the transcript is printed.
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { defineTool, InlineEffectController, LashCore, type Message, TurnInput } from "@lash/core"
import { ClockPlugin } from "@lash/plugin-clock"
import { TestProvider } from "@lash/testing/provider"
import { Console, Effect, Layer, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const filename = process.env["LASH_DB"] ?? path.join(os.tmpdir(), "lash-quickstart", "lash.db")

const weather = defineTool({
  name: "weather",
  description: "Current weather for a city",
  input: Schema.Struct({ city: Schema.String }),
  output: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  execute: ({ city }) => Effect.succeed({ city, celsius: 21 })
})

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** What the scripted model writes: the registration when asked, an acknowledgement when woken. */
const model = () =>
  TestProvider.builder()
    .kind("demo")
    .complete((req) =>
      req.messages.some((m) => m.role === "user" && m.content.includes("every morning"))
        && !req.messages.some((m) => m.content.startsWith("Runtime event"))
        ? fence(`process morning(tick: clock.Tick) {
  w = await tools.weather({ city: "Lisbon" })?
  wake format("{}: {} °C in {}", tick.scheduled_at, w.celsius, w.city)
  finish w
}
handle = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: morning,
                                   inputs: { tick: trigger.event }, name: "morning weather" })?
submit format("Registered {} ({}).", handle.id, handle.name)`)
        : fence("submit \"Thanks, noted the morning weather.\"")
    )
    .build()

/** The runtime: SQLite storage, the clock plugin, one tool, the scripted model. */
const runtime = () =>
  LashCore.layer({
    mode: "rlm",
    model: { id: "demo", limits: { contextWindowTokens: 8192 } },
    plugins: [ClockPlugin],
    tools: [weather]
  }).pipe(Layer.provide(Layer.mergeAll(SqliteBackend.layer({ filename }), InlineEffectController.layer, model().layer)))

const render = (m: Message): string =>
  m.parts
    .map((p) => {
      const who = m.role === "event" ? `event(${m.origin?.kind === "process" ? m.origin.eventType : "?"})` : m.role
      if (p.kind === "code") return `  ┌ lashlang\n${p.content.split("\n").map((l) => `  │ ${l}`).join("\n")}\n  └`
      if (p.kind === "tool_result") return `  ⇐ ${p.content.replace(/\n/g, " ")}`
      return `${who}: ${p.content}`
    })
    .join("\n")

const registerTurn = Effect.gen(function*() {
  const core = yield* LashCore
  const session = yield* core.openSession("quickstart")
  const out = yield* session.turn(TurnInput.text("Tell me the weather in Lisbon every morning at 08:00.")).run
  if (process.env["LASH_DEBUG"]) { for (const m of session.readView().messages) yield* Console.log(render(m)) }
  yield* Console.log(`[runtime A] turn committed at revision ${out.headRevision}; the trigger is stored in the file.`)
})

const afterRestart = Effect.gen(function*() {
  const core = yield* LashCore
  const session = yield* core.openSession("quickstart")
  const [registration] = yield* session.triggers().bySourceType("clock.Alarm")
  if (registration === undefined) return yield* Effect.dieMessage("the registration did not survive the restart")
  yield* Console.log(
    `[runtime B] restarted from the file; found trigger ${registration.handle} "${registration.name}".`
  )
  // What @lash/plugin-clock's emitter does at 08:00 (ClockTriggers.layer); emitted by hand to keep the demo instant.
  const report = yield* core.triggers().emit(
    {
      sourceType: "clock.Alarm",
      sourceKey: registration.sourceKey,
      source: registration.source,
      payload: { id: "morning-2026-11-24", scheduled_at: "2026-11-24T08:00:00Z" },
      idempotencyKey: "clock:morning-2026-11-24"
    },
    { type: "runtime_operation", operationId: "quickstart-alarm" }
  )
  const processId = report.startedProcessIds[0]!
  const output = yield* core.processes().await(processId).pipe(Effect.timeout("10 seconds"))
  yield* Console.log(`[runtime B] the alarm fired; worker ran ${processId.slice(0, 40)}… → ${JSON.stringify(output)}`)
  for (let i = 0; i < 100; i++) {
    if (
      (yield* session.queuedWork).length === 0 &&
      (yield* core.openSession("quickstart")).readView().messages.some((m) => m.role === "event")
    ) break
    yield* Effect.sleep("50 millis")
  }
  const view = (yield* core.openSession("quickstart")).readView()
  yield* Console.log("\n── transcript ──")
  for (const message of view.messages) yield* Console.log(render(message))
})

const main = Effect.gen(function*() {
  fs.rmSync(path.dirname(filename), { recursive: true, force: true })
  fs.mkdirSync(path.dirname(filename), { recursive: true })
  yield* Console.log(`lash quickstart — rlm mode, scripted model, SQLite at ${filename}\n`)
  yield* registerTurn.pipe(Effect.provide(runtime()))
  yield* afterRestart.pipe(Effect.provide(runtime()))
  yield* Console.log(`\nEverything above is in ${filename}; run again to start fresh.`)
})

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
