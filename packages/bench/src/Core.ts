/**
 * A LashCore over an already-built storage context (SqliteBackend), with a counting echo tool, for B2/B3/B4/B5.
 */
import {
  type EnvRef,
  InlineEffectController,
  LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type LashStorage,
  ProcessRegistration,
  type StorageSignals,
  ToolDefinition,
  ToolProvider,
  ToolResults
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Schema } from "effect"
import { benchModel } from "./Fixtures.js"

/**
 * `echo({label})` → `{label, n}`; `counter.n` counts executions (the exactly-once marker). `delayMs` > 0: the tool
 * then sleeps that long before answering (simulated I/O, B6).
 */
export const echoTool = (counter: { n: number }, delayMs = 0) =>
  ToolProvider.fromDefinitions([
    {
      definition: ToolDefinition.fromSchema({
        name: "echo",
        description: "Echoes its label",
        input: Schema.Struct({ label: Schema.String }),
        output: Schema.Struct({ label: Schema.String, n: Schema.Number })
      }),
      execute: (args) => {
        // Read raw on purpose (no Schema decode in B2's measured path); arguments without a string label fail the call.
        const label = typeof args === "object" && args !== null && "label" in args ? args.label : undefined
        if (typeof label !== "string") {
          return Effect.succeed(ToolResults.failure("bad_arguments", "echo needs a string `label`"))
        }
        // Counted before the wait, like a side effect the I/O starts: an interrupted run still counts.
        const echo = Effect.sync(() => ToolResults.ok({ label, n: ++counter.n }))
        return delayMs > 0 ? Effect.tap(echo, () => Effect.sleep(delayMs)) : echo
      }
    }
  ])

/** Builds a core over a storage context, in the current scope. */
export const buildCore = (
  storage: Context.Context<LashStorage | StorageSignals>,
  config: Partial<LashCoreConfig> = {}
) =>
  Layer.build(
    LashCore.layer({ mode: "standard", model: benchModel, ...config }).pipe(
      Layer.provide(
        Layer.mergeAll(
          LanguageModelProvider.single(TestProvider.builder().build()),
          InlineEffectController.layer,
          Layer.succeedContext(storage)
        )
      )
    )
  ).pipe(Effect.map(Context.get(LashCore)))

/** A `tool_call` registration of the echo tool. */
export const echoRegistration = (id: string, envRef: EnvRef) =>
  ProcessRegistration.toolCall({ id, toolName: "echo", args: { label: id }, envRef })

/** The process env of every bench process (no plugins). */
export const emptyEnv = { pluginOptions: { plugins: {} }, policy: { model: benchModel, providerId: "" } }
