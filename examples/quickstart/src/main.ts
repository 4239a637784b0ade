/**
 * The quickstart: a lash runtime composed from layers, on embedded SQLite, or on Postgres with `LASH_PG_URL` set
 * (`src/backend.ts`). Offline by default (the model is `TestProvider`, a scripted model from @lash/testing); with
 * `LASH_PROVIDER` set, the same program runs on a real model through @lash/ai (OpenAI, Anthropic or an
 * OpenAI-compatible server) and streams its text.
 *
 * 1. Runtime A, rlm mode: the model answers with Lashlang that registers a durable trigger on `clock.Alarm`.
 * 2. Runtime A is closed. Runtime B is built from the same database file or schema (a restart).
 * 3. The alarm fires (an occurrence is emitted); B's worker rebuilds the process from storage alone and runs it.
 * 4. The process wakes the session; the wake is drained into a committed turn, and the transcript is printed.
 */
import { Anthropic, OpenAi, OpenAiCompatible } from "@lash/ai"
import {
  defineTool,
  InlineEffectController,
  type LanguageModelProvider,
  LashCore,
  type Message,
  TurnInput,
  type TurnOutput
} from "@lash/core"
import { ClockPlugin } from "@lash/plugin-clock"
import { TestProvider } from "@lash/testing/provider"
import { Config, type ConfigError, Console, Effect, Layer, Option, Schema, Stream } from "effect"
import * as url from "node:url"
import { chooseStorage, type Storage } from "./backend.js"

const weather = defineTool({
  name: "weather",
  description: "Current weather for a city",
  input: Schema.Struct({ city: Schema.String }),
  output: Schema.Struct({ city: Schema.String, celsius: Schema.Number }),
  execute: ({ city }) => Effect.succeed({ city, celsius: 21 })
})

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** What the scripted model writes: the registration when asked, an acknowledgement when woken. */
const scriptedModel = () =>
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

/** The model: the scripted one, or a real one named by `LASH_PROVIDER` (keys and URLs read through Effect Config). */
interface ModelChoice {
  readonly label: string
  readonly id: string
  readonly contextWindowTokens: number
  readonly layer: Layer.Layer<LanguageModelProvider, ConfigError.ConfigError>
}

const real = (provider: string, model: Option.Option<string>): Effect.Effect<ModelChoice, ConfigError.ConfigError> => {
  const named = (fallback: string | undefined) =>
    Option.isSome(model)
      ? Effect.succeed(model.value)
      : fallback !== undefined
      ? Effect.succeed(fallback)
      : Config.string("LASH_MODEL") // fails naming LASH_MODEL: a local server has no default model
  switch (provider) {
    case "openai":
      return Effect.map(named("gpt-4.1-mini"), (id) => ({
        label: `OpenAI ${id}`,
        id,
        contextWindowTokens: 128_000,
        layer: OpenAi.layerConfig()
      }))
    case "anthropic":
      return Effect.map(named("claude-sonnet-4-5"), (id) => ({
        label: `Anthropic ${id}`,
        id,
        contextWindowTokens: 200_000,
        layer: Anthropic.layerConfig()
      }))
    case "openai-compatible":
      return Effect.map(named(undefined), (id) => ({
        label: `${id} on an OpenAI-compatible server`,
        id,
        contextWindowTokens: 32_000,
        layer: OpenAiCompatible.layerConfig()
      }))
    default:
      return Effect.dieMessage(
        `LASH_PROVIDER=${provider}: expected openai, anthropic or openai-compatible (or unset for the scripted model)`
      )
  }
}

const chooseModel: Effect.Effect<ModelChoice, ConfigError.ConfigError> = Effect.flatMap(
  Config.all({
    provider: Config.option(Config.string("LASH_PROVIDER")),
    model: Config.option(Config.string("LASH_MODEL"))
  }),
  ({ model, provider }) =>
    Option.isSome(provider)
      ? real(provider.value, model)
      : Effect.succeed({
        label: "a scripted model",
        id: "demo",
        contextWindowTokens: 8192,
        layer: scriptedModel().layer
      })
)

/** The runtime: the storage, the clock plugin, one tool, the model. */
const runtime = (choice: ModelChoice, storage: Storage["layer"]) =>
  LashCore.layer({
    mode: "rlm",
    model: { id: choice.id, limits: { contextWindowTokens: choice.contextWindowTokens, outputTokenCapacity: 2048 } },
    plugins: [ClockPlugin],
    tools: [weather]
  }).pipe(
    Layer.provide(Layer.mergeAll(storage, InlineEffectController.layer, choice.layer))
  )

const render = (m: Message): string =>
  m.parts
    .map((p) => {
      const who = m.role === "event" ? `event(${m.origin?.kind === "process" ? m.origin.eventType : "?"})` : m.role
      if (p.kind === "code") return `  ┌ lashlang\n${p.content.split("\n").map((l) => `  │ ${l}`).join("\n")}\n  └`
      if (p.kind === "tool_result") return `  ⇐ ${p.content.replace(/\n/g, " ")}`
      return `${who}: ${p.content}`
    })
    .join("\n")

const write = (text: string) => Effect.sync(() => process.stdout.write(text))

/** The first turn, streamed: the model's prose and its Lashlang block are printed as they arrive. */
const registerTurn = Effect.gen(function*() {
  const core = yield* LashCore
  const session = yield* core.openSession("quickstart")
  let out: TurnOutput | undefined
  let inCode = false
  yield* session.turn(TurnInput.text("Tell me the weather in Lisbon every morning at 08:00.")).stream.pipe(
    Stream.runForEach((event) => {
      switch (event.type) {
        case "text_delta":
          return write(event.text)
        case "code_delta": {
          const opening = inCode ? "" : "\n  ┌ lashlang (streaming)\n"
          inCode = true
          return write(opening + event.text)
        }
        case "code_print":
          return write(`\n  │ print: ${event.text}`)
        case "code_finished":
          inCode = false
          return write(
            `\n  └ ${
              event.error !== undefined
                ? `failed: ${event.error}`
                : event.submitted !== undefined
                ? `submitted ${JSON.stringify(event.submitted)}`
                : "ran"
            }\n`
          )
        case "model_retry":
          return write(`\n[the model call is retried: ${event.error}]\n`)
        case "turn_committed":
          out = event.output
          return Effect.void
        default:
          return Effect.void
      }
    })
  )
  if (process.env["LASH_DEBUG"]) { for (const m of session.readView().messages) yield* Console.log(render(m)) }
  yield* Console.log(`\n[runtime A] turn committed at revision ${out?.headRevision}.`)
})

const afterRestart = (noun: string) =>
  Effect.gen(function*() {
    const core = yield* LashCore
    const session = yield* core.openSession("quickstart")
    const [registration] = yield* session.triggers().bySourceType("clock.Alarm")
    if (registration === undefined) {
      // A real model may answer without registering the trigger; the scripted one always registers it.
      return yield* Console.log(`[runtime B] restarted from ${noun}; the model registered no clock.Alarm trigger.`)
    }
    yield* Console.log(
      `[runtime B] restarted from ${noun}; found trigger ${registration.handle} "${registration.name}".`
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

/** The whole quickstart; `src/main.ts` run as a program runs it. */
export const quickstart = Effect.gen(function*() {
  const choice = yield* chooseModel
  const storage = yield* chooseStorage("lash_quickstart")
  yield* storage.reset
  yield* Console.log(`lash quickstart — rlm mode, ${choice.label}, ${storage.label}\n`)
  yield* registerTurn.pipe(Effect.provide(runtime(choice, storage.layer)))
  yield* afterRestart(storage.noun).pipe(Effect.provide(runtime(choice, storage.layer)))
  yield* Console.log(`\nEverything above is in ${storage.location}; run again to start fresh.`)
})

if (process.argv[1] !== undefined && import.meta.url === url.pathToFileURL(process.argv[1]).href) {
  Effect.runPromise(quickstart).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
