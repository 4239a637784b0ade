/**
 * Builds a core (docs/architecture.md, "Building a core"): validate the config, check tier coherence, create the concurrency state and
 * the session API.
 *
 * @internal
 */
import { Duration, Effect, Either, FiberSet, Layer, Option, Schedule, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { ArtifactStore } from "../ArtifactStore.js"
import { showValue } from "../ConfigOptions.js"
import { EffectController } from "../EffectController.js"
import { EffectJournal } from "../EffectJournal.js"
import { LashConfigError } from "../Errors.js"
import type { EnvRef, SessionId } from "../Identifiers.js"
import { IdGenerator } from "../IdGenerator.js"
import { LanguageModelProvider } from "../LanguageModel.js"
import { LashCore, type LashCoreConfig, type LashCoreService, type OpenSessionOptions } from "../LashCore.js"
import type { LashPlugin } from "../Plugin.js"
import { loadProcessExecutionEnv, persistProcessExecutionEnv, ProcessEnvStore } from "../ProcessEnvStore.js"
import { ProcessRegistry } from "../ProcessRegistry.js"
import { SessionStore } from "../SessionStore.js"
import { StorageInfo, StorageSignals } from "../StorageInfo.js"
import { ToolProvider } from "../Tools.js"
import { TriggerStore } from "../TriggerStore.js"
import { coalesced } from "./coalesced.js"
import { decodeOpenSessionArguments, normalize } from "./config.js"
import { lashlangEngine } from "./lashlangEngine.js"
import { buildHostEnvironment } from "./lashlangHost.js"
import { makeProcessApi } from "./processes.js"
import type { Protocol } from "./protocol.js"
import { makeQueuedDriver } from "./queued.js"
import { rlmProtocol } from "./rlm.js"
import type { CoreRuntime } from "./runtime.js"
import { openRuntime, sessionHandle } from "./session.js"
import { standardProtocol } from "./standard.js"
import * as Telemetry from "./telemetry.js"
import { buildCatalog } from "./toolCatalog.js"
import { emit } from "./triggerEmit.js"
import { publicRegistration, startDelivery, type UnstartedDelivery } from "./triggers.js"
import { type Drivers, makeWorker, type ProcessEngine } from "./worker.js"

const EMBED_TOOLS_ID = "embed-tools"

const embedToolsPlugin = (tools: ReadonlyArray<ToolProvider>): ReadonlyArray<LashPlugin> =>
  tools.length === 0
    ? []
    : [{ id: EMBED_TOOLS_ID, tools, build: () => Effect.succeed({ register: () => Effect.void }) }]

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

const make = <R>(config: LashCoreConfig<R>) =>
  Effect.gen(function*() {
    const cfg = yield* normalize(config)
    const configTools = yield* Effect.forEach(config.tools ?? [], ToolProvider.resolve)
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

    // Tier coherence: the only durability check (docs/architecture.md, "Building a core" step 2).
    const storagePorts = {
      SessionStore: store,
      ProcessRegistry: registry,
      ProcessEnvStore: envs,
      TriggerStore: triggers,
      ArtifactStore: artifacts,
      EffectJournal: journal
    }
    const inlinePorts = Object.entries(storagePorts).filter(([, port]) => port.tier !== "durable").map(([name]) => name)
    if (controller.tier === "durable" && inlinePorts.length > 0) {
      return yield* Effect.fail(
        new LashConfigError({
          reason: "durability_mismatch",
          detail: `a durable effect controller needs durable storage; inline: ${inlinePorts.join(", ")}`
        })
      )
    }
    if (store.tier === "durable" && inlinePorts.length > 0) {
      return yield* Effect.fail(
        new LashConfigError({
          reason: "durability_mismatch",
          detail: `a durable session store needs durable process, trigger, env and artifact stores; inline: ${
            inlinePorts.join(", ")
          }`
        })
      )
    }

    const plugins = [...(config.plugins ?? []), ...embedToolsPlugin(configTools)]
    const ids = new Set<string>()
    for (const plugin of plugins) {
      if (ids.has(plugin.id)) {
        return yield* Effect.fail(
          new LashConfigError({ reason: "duplicate_plugin", detail: `plugin id ${plugin.id} is used twice` })
        )
      }
      ids.add(plugin.id)
    }
    const staticTools = buildCatalog(plugins.flatMap((p) => p.tools ?? []), cfg.tools)
    if (staticTools._tag === "DuplicateTool") {
      return yield* Effect.fail(
        new LashConfigError({ reason: "tool_conflict", detail: `tool ${staticTools.name} is defined twice` })
      )
    }
    if (staticTools._tag === "UnsupportedToolSchema") {
      const field = staticTools.field === undefined ? undefined : `tools[${staticTools.name}].${staticTools.field}`
      return yield* Effect.fail(
        new LashConfigError({
          reason: "invalid_tool_schema",
          detail: field === undefined
            ? `tool ${staticTools.name}: ${staticTools.problems.join("; ")}`
            : `tools[${staticTools.name}].${staticTools.problems.join("; ")}, got ${showValue(staticTools.value)}`,
          ...(field === undefined ? {} : { field, value: showValue(staticTools.value) })
        })
      )
    }

    const fibers = yield* FiberSet.make<unknown, unknown>()
    // The static Lashlang surface (plugin catalogs, abilities and the static tools) must merge cleanly.
    const surface = buildHostEnvironment(cfg, plugins, staticTools.catalog)
    if (Either.isLeft(surface)) return yield* Effect.fail(surface.left)
    const lockOf = makeSemaphores()
    const nextId = (kind: string) =>
      Option.isSome(idGen) ? idGen.value.next(kind) : Effect.sync(() => `${kind}-${randomUUID()}`)
    const instanceId = yield* nextId("core")
    const fork = <A, E>(effect: Effect.Effect<A, E>) => Effect.asVoid(FiberSet.run(fibers, effect))
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
      tryWithSessionLock: (sessionId, effect) => lockOf(sessionId).withPermitsIfAvailable(1)(effect),
      fibers,
      afterCommit: () => Effect.void
    }
    const protocol: Protocol = cfg.raw.mode === "rlm" ? rlmProtocol(() => drivers!) : standardProtocol
    const engines = new Map<string, ProcessEngine>([["lashlang", lashlangEngine(() => drivers!)]])
    const queued = makeQueuedDriver(core, protocol)
    // The drivers form a cycle (runtime → drivers → worker → ephemeral runtime); the worker reads them lazily.
    // eslint-disable-next-line prefer-const -- assigned once below, read lazily through the closures above
    let drivers: Drivers | undefined
    const worker = makeWorker(core, engines, () => drivers!)
    const startUnstarted = (item: UnstartedDelivery) =>
      Effect.gen(function*() {
        const scoped = yield* controller.scoped({
          type: "runtime_operation",
          operationId: `trigger:${item.occurrence.idempotencyKey}`
        })
        yield* startDelivery(core, scoped, item.reservation, item.occurrence)
      }).pipe(
        Effect.catchAll((e) => Effect.logWarning(`unstarted delivery ${item.reservation.processId} not started`, e))
      )
    const queuedSweep = Effect.gen(function*() {
      const sessions = yield* store.listSessionsWithPendingWork()
      for (const sessionId of sessions) yield* fork(queued.drain(sessionId, "sweep"))
    }).pipe(Effect.catchAll((e) => Effect.logWarning("queued sweep failed", e)))
    // Coalesced (coalesced.ts): every tick and every storage signal asks for a sweep; at most one runs at a time.
    const workerSweep = coalesced(worker.sweep(startUnstarted), fork)
    const queuedSweepOnce = coalesced(queuedSweep, fork)
    const drivePending = (_reason: string) =>
      cfg.worker.enabled ? Effect.zipRight(workerSweep, queuedSweepOnce) : queuedSweepOnce
    drivers = {
      queued,
      drivePending,
      poke: (processId) => (cfg.worker.enabled ? fork(worker.recover(processId)) : Effect.void),
      registerForRun: (reg) => (cfg.worker.enabled ? worker.registerForRun(reg) : registry.register(reg)),
      launch: worker.launch,
      localOutcome: (processId) => (cfg.worker.enabled ? worker.localOutcome(processId) : undefined),
      abandon: worker.abandon,
      protocol
    }
    core.afterCommit = (sessionId) =>
      Effect.gen(function*() {
        const pending = yield* store.listPending(sessionId)
        yield* Telemetry.queueDepth(pending.length)
        if (pending.length > 0) yield* fork(queued.drain(sessionId, "turn_committed"))
      }).pipe(Effect.catchAll(() => Effect.void))

    const openHandle = (sessionId: string, options: OpenSessionOptions | undefined) =>
      Effect.gen(function*() {
        yield* decodeOpenSessionArguments(sessionId, options)
        const rt = yield* openRuntime(core, sessionId as SessionId, {
          create: options?.create ?? true,
          purpose: "session",
          ...(options?.pluginOptions === undefined ? {} : { pluginOptions: options.pluginOptions })
        })
        if (cfg.worker.driveOnOpen && cfg.worker.enabled) yield* workerSweep
        if (cfg.queuedWork.drainOnOpen) yield* core.afterCommit(rt.sessionId)
        return sessionHandle(core, rt, protocol, queued)
      })

    const service: LashCoreService = {
      instanceId,
      openSession: openHandle,
      triggers: () => ({
        emit: (request, scope) => emit(core, request, scope, drivers!),
        list: (filter) => Effect.map(triggers.list(filter), (subs) => subs.map(publicRegistration))
      }),
      processes: () => makeProcessApi(core, drivers!),
      processEnv: {
        persist: (spec) => persistProcessExecutionEnv(spec).pipe(Effect.provideService(ProcessEnvStore, envs)),
        load: (ref) => loadProcessExecutionEnv(ref as EnvRef).pipe(Effect.provideService(ProcessEnvStore, envs))
      },
      drivePending,
      diagnostics: Effect.map(FiberSet.size(fibers), (liveFibers) => ({ liveFibers }))
    }

    if (cfg.worker.startupSweep) yield* drivePending("startup")
    if (cfg.worker.sweepEveryMs !== undefined) {
      const every = Duration.millis(cfg.worker.sweepEveryMs)
      yield* fork(Effect.repeat(drivePending("scheduled"), Schedule.spaced(every)))
      const signals = yield* Effect.serviceOption(StorageSignals)
      if (Option.isSome(signals)) {
        yield* fork(
          Stream.runForEach(signals.value.subscribe, (signal) =>
            signal.kind === "runnable" || signal.kind === "process_terminal"
              ? drivePending("signal")
              : signal.kind === "queue_changed"
              ? fork(queued.drain(signal.sessionId, "signal"))
              : Effect.void)
        )
      }
    }
    return service
  })

/** The core layer. */
export const layer = <R>(config: LashCoreConfig<R>) => Layer.scoped(LashCore, make(config))
