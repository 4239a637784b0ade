/**
 * What the two-worker demo shares (`src/worker.ts`, `src/enqueue.ts`): its schema, the `nap` tool every process
 * runs, the registration of one `nap` process, and the runtime both programs build over a Postgres schema (a worker
 * runs processes; the enqueuer only starts them and awaits their outputs).
 */
import {
  defineTool,
  type EnvRef,
  InlineEffectController,
  LashCore,
  type LashCoreConfig,
  ProcessRegistration
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Clock, Console, Effect, Layer, Schema } from "effect"
import type { Storage } from "./backend.js"

/** The schema the demo's programs share unless `LASH_PG_SCHEMA` names another. */
export const WORKERS_SCHEMA = "lash_quickstart_workers"

/** What a worker answers: its name, so the enqueuer can count who ran what. */
export const NapOutput = Schema.Struct({ worker: Schema.String })

const NapInput = Schema.Struct({
  /** The process id, to be printed. */
  label: Schema.String,
  ms: Schema.Int.pipe(Schema.nonNegative()),
  /** When the enqueuer started it (its clock), to print how long the process waited and ran. */
  enqueuedAtMs: Schema.Number
})

/** `nap({label, ms, enqueuedAtMs})`: sleeps `ms`, prints one line in the worker that ran it, answers its name. */
const napTool = (worker: string) =>
  defineTool({
    name: "nap",
    description: "Sleeps for ms milliseconds",
    input: NapInput,
    output: NapOutput,
    execute: ({ enqueuedAtMs, label, ms }) =>
      Effect.gen(function*() {
        yield* Effect.sleep(ms)
        const now = yield* Clock.currentTimeMillis
        yield* Console.log(
          `[${worker}] ran ${label}  (${((now - enqueuedAtMs) / 1000).toFixed(1)} s after it was enqueued)`
        )
        return { worker }
      })
  })

/** The model the runtime names: no `nap` process calls a model, but every core has one. */
const model = { id: "naps", limits: { contextWindowTokens: 4096 } }

/**
 * A runtime over `storage` with the `nap` tool, named `worker` in what it prints; `options` are its worker options
 * (`{ enabled: false }` for a core that only starts and awaits processes).
 */
export const napRuntime = (storage: Storage, worker: string, options: NonNullable<LashCoreConfig["worker"]>) =>
  LashCore.layer({ mode: "standard", model, tools: [napTool(worker)], worker: options }).pipe(
    Layer.provide(Layer.mergeAll(storage.layer, InlineEffectController.layer, TestProvider.builder().build().layer))
  )

/** The execution env every `nap` process names (no plugins), stored once. */
export const napEnv = Effect.flatMap(
  LashCore,
  (lash) => lash.processEnv.persist({ pluginOptions: { plugins: {} }, policy: { model, providerId: "" } })
)

/** A `tool_call` process of `nap`: a worker runs the tool directly, with these arguments. */
export const napRegistration = (id: string, envRef: EnvRef, args: typeof NapInput.Type) =>
  ProcessRegistration.toolCall({ id, toolName: "nap", args, envRef })
