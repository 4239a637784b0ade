/**
 * Shared fixtures of the core's integration tests: a tool set and a core composed over the memory backend.
 */
import { MemoryBackend } from "@lash/backend-memory"
import { Effect, Layer, Schema } from "effect"
import {
  InlineEffectController,
  LashCore,
  type LashCoreConfig,
  type LanguageModelProvider,
  ToolDefinition,
  ToolProvider,
  ToolResults
} from "../src/index.js"

/** `add({a, b})` → `{ sum }`; `fail_hard` throws a defect; `finish_with` ends the turn with its value. */
export const mathTools = ToolProvider.fromDefinitions([
  {
    definition: ToolDefinition.fromSchema({
      name: "add",
      description: "Adds two numbers",
      input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
      output: Schema.Struct({ sum: Schema.Number })
    }),
    execute: (args) => {
      const { a, b } = args as { a: number; b: number }
      return Effect.succeed(ToolResults.ok({ sum: a + b }))
    }
  },
  {
    definition: ToolDefinition.raw({ name: "fail_hard", description: "Crashes", inputSchema: { type: "object" } }),
    execute: () => Effect.die(new Error("boom"))
  }
])

/** The model spec every test core uses. */
export const testModel = { id: "test-model", limits: { contextWindowTokens: 8192 } }

/** A standard-mode core over a fresh memory backend and the given provider layer. */
export const standardCore = (
  provider: Layer.Layer<LanguageModelProvider>,
  config: Partial<LashCoreConfig> = {}
): Layer.Layer<LashCore | Layer.Layer.Success<ReturnType<typeof MemoryBackend.layer>>, unknown> => {
  const storage = MemoryBackend.layer()
  const core = LashCore.layer({ mode: "standard", model: testModel, tools: [mathTools], ...config }).pipe(
    Layer.provide(Layer.mergeAll(provider, InlineEffectController.layer))
  )
  return Layer.provideMerge(core, storage)
}
