/**
 * Shared fixtures of the core's integration tests (the backends' runtime tests use them too): tool sets, process
 * registrations and cores composed over a storage context.
 */
import { MemoryBackend } from "@lash/backend-memory"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Ref, Schema } from "effect"
import {
  defineTool,
  type EnvRef,
  Ids,
  InlineEffectController,
  LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type LashStorage,
  type LlmProvider,
  type ProcessExecutionEnvSpec,
  ProcessRegistration,
  SessionId,
  type StorageSignals,
  ToolDefinition,
  ToolId,
  ToolProvider,
  ToolResults
} from "../src/index.js"

const AddArguments = Schema.Struct({ a: Schema.Number, b: Schema.Number })

/** `add({a, b})` → `{ sum }`; `fail_hard` throws a defect; `finish_with` ends the turn with its value. */
export const mathTools = ToolProvider.fromDefinitions([
  {
    definition: ToolDefinition.fromSchema({
      name: "add",
      description: "Adds two numbers",
      input: AddArguments,
      output: Schema.Struct({ sum: Schema.Number })
    }),
    execute: (args) =>
      Effect.map(Schema.decodeUnknown(AddArguments)(args), ({ a, b }) => ToolResults.ok({ sum: a + b })).pipe(
        Effect.orDie
      )
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

/** An rlm-mode core (every Lashlang ability on) over a fresh memory backend and the given provider layer. */
export const rlmCore = (
  provider: Layer.Layer<LanguageModelProvider>,
  config: Partial<LashCoreConfig> = {}
): Layer.Layer<LashCore | Layer.Layer.Success<ReturnType<typeof MemoryBackend.layer>>, unknown> =>
  Layer.provideMerge(
    LashCore.layer({
      mode: "rlm",
      model: testModel,
      tools: [mathTools],
      rlm: { abilities: LashlangAbilities.all },
      ...config
    }).pipe(Layer.provide(Layer.mergeAll(provider, InlineEffectController.layer))),
    MemoryBackend.layer()
  )

/** Builds a core over an already-built storage context (any backend), in the current scope. */
export const buildCore = (
  storage: Context.Context<LashStorage | StorageSignals>,
  provider: LlmProvider,
  config: Partial<LashCoreConfig> = {}
) =>
  Layer.build(
    LashCore.layer({
      mode: "standard",
      model: testModel,
      worker: { leaseTtl: "1 second", renewEvery: "250 millis" },
      ...config
    }).pipe(
      Layer.provide(
        Layer.mergeAll(
          LanguageModelProvider.single(provider),
          InlineEffectController.layer,
          Layer.succeedContext(storage)
        )
      )
    )
  ).pipe(Effect.map(Context.get(LashCore)))

/**
 * `count({ label })` → `{ n, label }`, counting its executions in `counter`. It takes `delayMs` before it counts, or
 * after with `countFirst` (the side effect happens at once, as a tool that writes then waits for its answer).
 */
export const counterTool = (counter: Ref.Ref<number>, delayMs = 0, countFirst = false) =>
  defineTool({
    name: "count",
    description: "Counts its executions",
    input: Schema.Struct({ label: Schema.String }),
    output: Schema.Struct({ n: Schema.Number, label: Schema.String }),
    execute: ({ label }) =>
      Effect.gen(function*() {
        if (delayMs > 0 && !countFirst) yield* Effect.sleep(delayMs)
        const n = yield* Ref.updateAndGet(counter, (x) => x + 1)
        if (delayMs > 0 && countFirst) yield* Effect.sleep(delayMs)
        return { n, label }
      })
  })

/** A host-started `tool_call` process of `count`. */
export const toolCallRegistration = (id: string, envRef: EnvRef) =>
  ProcessRegistration.toolCall({ id, toolName: "count", args: { label: id }, envRef })

/** An execution env with no plugin options. */
export const emptyEnv = { pluginOptions: { plugins: {} }, policy: { model: testModel, providerId: "" } }

/** A store's services, as a core is built over them. */
type StorageContext = Context.Context<LashStorage | StorageSignals>

/** What a process test changes of {@link processCore}; everything else is the default setup. */
export interface ProcessCoreOptions {
  /** The store (default: a fresh memory backend, built in the current scope). */
  readonly storage?: StorageContext
  /** Wraps the store's services the core is built over (e.g. a registry that counts a call). */
  readonly wrap?: (storage: StorageContext) => StorageContext
  /** The model (default: a `TestProvider` with no script: `tool_call` processes never call it). */
  readonly provider?: LlmProvider
  /** How long the `count` tool takes before it counts (`counterTool`). */
  readonly delayMs?: number
  /** Replaces the `count` tool with what it returns (given the `count` tool, e.g. to wrap it). */
  readonly tool?: (count: ToolProvider) => ToolProvider
  /** The rest of the core's config (`tools` here replaces the tool list). */
  readonly config?: Partial<LashCoreConfig>
  /** The execution env persisted for the test's processes (default: {@link emptyEnv}). */
  readonly env?: ProcessExecutionEnvSpec
}

/**
 * The setup of a process test: a store, a standard-mode core over it (in the current scope) with the `count` tool
 * counting in `counter`, and `envRef`, the env persisted for its processes. `anotherCore` builds a second core over
 * the same (wrapped) store with the same tools, model and config (two workers).
 */
export const processCore = (options: ProcessCoreOptions = {}) =>
  Effect.gen(function*() {
    const storage = options.storage ?? (yield* Layer.build(MemoryBackend.layer()))
    const counter = yield* Ref.make(0)
    const count = counterTool(counter, options.delayMs)
    const served = options.wrap === undefined ? storage : options.wrap(storage)
    const provider = options.provider ?? TestProvider.builder().build()
    const config = { tools: [options.tool === undefined ? count : options.tool(count)], ...options.config }
    const anotherCore = buildCore(served, provider, config)
    const core = yield* anotherCore
    const envRef = yield* core.processEnv.persist(options.env ?? emptyEnv)
    return { storage, counter, core, envRef, anotherCore }
  })

/** A trigger subscription of session `owner`: every emit of `test.Ping` starts a `count` tool_call process. */
export const pingSubscription = (envRef: EnvRef) => ({
  registrant: { type: "session" as const, scope: { sessionId: SessionId.make("owner") } },
  registrationKey: "owner:turn:1:node:0",
  envRef,
  wakeTarget: { sessionId: SessionId.make("owner") },
  name: "count on ping",
  sourceType: "test.Ping",
  sourceKey: Ids.emptySourceKey("test.Ping"),
  source: {},
  payloadSchema: {
    type: "object",
    properties: { n: { type: "number" } },
    required: ["n"],
    additionalProperties: true
  },
  target: {
    type: "tool_call" as const,
    call: {
      callId: "ping",
      toolId: ToolId.make("tool:count"),
      toolName: "count",
      args: { label: "ping" },
      preparedPayload: null
    }
  },
  targetIdentity: { kind: "tool_call" },
  eventTypes: [],
  inputTemplate: {}
})
