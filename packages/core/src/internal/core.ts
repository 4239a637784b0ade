/**
 * Builds a core (architecture §3.1): validate the config, check tier coherence, create the concurrency state and
 * the session API.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { Effect, FiberSet, Layer, Option } from "effect"
import { ArtifactStore } from "../ArtifactStore.js"
import { EffectController } from "../EffectController.js"
import { EffectJournal } from "../EffectJournal.js"
import { LashConfigError } from "../Errors.js"
import { IdGenerator } from "../IdGenerator.js"
import type { SessionId } from "../Identifiers.js"
import { LanguageModelProvider } from "../LanguageModel.js"
import { LashCore, type LashCoreConfig, type LashCoreService } from "../LashCore.js"
import type { LashPlugin } from "../Plugin.js"
import { ProcessEnvStore } from "../ProcessEnvStore.js"
import { ProcessRegistry } from "../ProcessRegistry.js"
import { SessionStore } from "../SessionStore.js"
import { StorageInfo } from "../StorageInfo.js"
import { TriggerStore } from "../TriggerStore.js"
import { normalize } from "./config.js"
import type { Protocol } from "./protocol.js"
import type { CoreRuntime } from "./runtime.js"
import { openRuntime, sessionHandle } from "./session.js"
import { standardProtocol } from "./standard.js"
import { buildCatalog } from "./toolCatalog.js"

const EMBED_TOOLS_ID = "embed-tools"

const embedToolsPlugin = (config: LashCoreConfig): ReadonlyArray<LashPlugin> =>
  config.tools === undefined || config.tools.length === 0
    ? []
    : [{ id: EMBED_TOOLS_ID, tools: config.tools, build: () => Effect.succeed({ register: () => Effect.void }) }]

const makeSemaphores = () => {
  const locks = new Map<string, Effect.Semaphore>()
  return (sessionId: string): Effect.Semaphore => {
    let lock = locks.get(sessionId)
    if (lock === undefined) {
      lock = Effect.unsafeMakeSemaphore(1)
      locks.set(sessionId, lock)
    }
    return lock
  }
}

const make = (config: LashCoreConfig) =>
  Effect.gen(function* () {
    const cfg = yield* normalize(config)
    const store = yield* SessionStore
    const registry = yield* ProcessRegistry
    const envs = yield* ProcessEnvStore
    const triggers = yield* TriggerStore
    const artifacts = yield* ArtifactStore
    const journal = yield* EffectJournal
    const info = yield* StorageInfo
    const provider = yield* LanguageModelProvider
    const controller = yield* EffectController
    const idGen = yield* Effect.serviceOption(IdGenerator)

    // Tier coherence: the only durability check (architecture §3.1 step 2).
    const storagePorts = { SessionStore: store, ProcessRegistry: registry, ProcessEnvStore: envs, TriggerStore: triggers, ArtifactStore: artifacts, EffectJournal: journal }
    const inlinePorts = Object.entries(storagePorts).filter(([, port]) => port.tier !== "durable").map(([name]) => name)
    if (controller.tier === "durable" && inlinePorts.length > 0) {
      return yield* Effect.fail(
        new LashConfigError({ reason: "durability_mismatch", detail: `a durable effect controller needs durable storage; inline: ${inlinePorts.join(", ")}` })
      )
    }
    if (store.tier === "durable" && inlinePorts.length > 0) {
      return yield* Effect.fail(
        new LashConfigError({ reason: "durability_mismatch", detail: `a durable session store needs durable process, trigger, env and artifact stores; inline: ${inlinePorts.join(", ")}` })
      )
    }

    const plugins = [...(config.plugins ?? []), ...embedToolsPlugin(config)]
    const ids = new Set<string>()
    for (const plugin of plugins) {
      if (ids.has(plugin.id)) {
        return yield* Effect.fail(new LashConfigError({ reason: "duplicate_plugin", detail: `plugin id ${plugin.id} is used twice` }))
      }
      ids.add(plugin.id)
    }
    const staticTools = buildCatalog(plugins.flatMap((p) => p.tools ?? []))
    if (staticTools._tag === "DuplicateTool") {
      return yield* Effect.fail(new LashConfigError({ reason: "tool_conflict", detail: `tool ${staticTools.name} is defined twice` }))
    }
    if (staticTools._tag === "UnsupportedToolSchema") {
      return yield* Effect.fail(
        new LashConfigError({ reason: "invalid_tool_schema", detail: `tool ${staticTools.name}: ${staticTools.problems.join("; ")}` })
      )
    }

    const fibers = yield* FiberSet.make<unknown, unknown>()
    const lockOf = makeSemaphores()
    const nextId = (kind: string) =>
      Option.isSome(idGen) ? idGen.value.next(kind) : Effect.sync(() => `${kind}-${randomUUID()}`)
    const instanceId = yield* nextId("core")
    const core: CoreRuntime = {
      cfg,
      instanceId,
      store,
      registry,
      envs,
      triggers,
      artifacts,
      journal,
      info,
      provider,
      controller,
      plugins,
      nextId,
      withSessionLock: (sessionId, effect) => lockOf(sessionId).withPermits(1)(effect),
      tryWithSessionLock: (sessionId, effect) =>
        Effect.map(lockOf(sessionId).withPermitsIfAvailable(1)(effect), (o) => o),
      fibers
    }
    const protocol: Protocol = standardProtocol
    const service: LashCoreService = {
      instanceId,
      openSession: (sessionId, options) =>
        Effect.map(
          openRuntime(core, sessionId as SessionId, {
            create: options?.create ?? true,
            purpose: "session",
            ...(options?.pluginOptions === undefined ? {} : { pluginOptions: options.pluginOptions })
          }),
          (rt) => sessionHandle(core, rt, protocol)
        ),
      diagnostics: Effect.map(FiberSet.size(fibers), (liveFibers) => ({ liveFibers }))
    }
    return service
  })

/** The core layer. */
export const layer = (config: LashCoreConfig) => Layer.scoped(LashCore, make(config))
