/**
 * The process kinds the worker runs itself (`tool_call`, `session_turn`) and the rebuild every run starts with: the
 * env loaded (cached by ref) and the plugins and tool catalog rebuilt for `purpose: "process"`.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ProcessEnvNotFound, StoreError } from "../Errors.js"
import type { SessionId, TurnId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { ProcessAwaitOutput, ProcessExecutionEnvSpec, ProcessRecord } from "../Process.js"
import { loadProcessExecutionEnv, ProcessEnvStore } from "../ProcessEnvStore.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type { ToolProvider } from "../Tools.js"
import { setBounded } from "./boundedMap.js"
import { buildPlugins } from "./pluginHost.js"
import { type EngineContext, ProcessFailure, type ProcessRebuild } from "./processEngine.js"
import type { CoreRuntime } from "./runtime.js"
import { openRuntime, runTurn } from "./session.js"
import { buildCatalog, runToolCall, type ToolCatalog } from "./toolCatalog.js"

/**
 * A worker's decoded envs by ref. An env ref is the hash of its spec (content-addressed, insert-if-absent), so a
 * cached spec can never be stale; most processes of a runtime share a few envs, and this saves a storage read per run.
 */
export type EnvCache = Map<string, ProcessExecutionEnvSpec>
const ENV_CACHE_SIZE = 256

const loadEnv = (core: CoreRuntime, cache: EnvCache, record: ProcessRecord) =>
  Effect.gen(function*() {
    const envRef = record.envRef
    if (envRef === undefined) {
      return yield* Effect.fail(new ProcessFailure("process_env_missing", `process ${record.id} has no env ref`))
    }
    const cached = cache.get(envRef)
    if (cached !== undefined) return cached
    const spec = yield* loadProcessExecutionEnv(envRef).pipe(
      Effect.provideService(ProcessEnvStore, core.envs),
      Effect.catchTag("ProcessEnvNotFound", (e: ProcessEnvNotFound) =>
        Effect.fail(new ProcessFailure("process_env_missing", `env ${e.envRef} not found`)))
    )
    setBounded(cache, ENV_CACHE_SIZE, envRef, spec)
    return spec
  })

/**
 * A worker's last built tool catalog, by the provider objects (and their manifest lists) it was built from: most runs
 * rebuild the same static tools, and building compiles every tool's JSON schemas. A plugin whose build registers
 * providers of its own makes new objects each time, so its runs always build afresh.
 */
export interface CatalogCache {
  last?: {
    readonly providers: ReadonlyArray<ToolProvider>
    readonly manifests: ReadonlyArray<ToolProvider["manifests"]>
    readonly catalog: ToolCatalog
  }
}

const catalogFor = (core: CoreRuntime, cache: CatalogCache, providers: ReadonlyArray<ToolProvider>) => {
  const last = cache.last
  if (
    last !== undefined && last.providers.length === providers.length &&
    providers.every((p, i) => p === last.providers[i] && p.manifests === last.manifests[i])
  ) return { _tag: "Ok" as const, catalog: last.catalog }
  const built = buildCatalog(providers, core.cfg.tools)
  if (built._tag === "Ok") {
    cache.last = { providers: [...providers], manifests: providers.map((p) => p.manifests), catalog: built.catalog }
  }
  return built
}

export const rebuildFor = (
  core: CoreRuntime,
  envs: EnvCache,
  catalogs: CatalogCache,
  record: ProcessRecord
): Effect.Effect<ProcessRebuild, ProcessFailure | StoreError> =>
  Effect.gen(function*() {
    const env = yield* loadEnv(core, envs, record)
    // Every plugin the env was captured with must be installed here: a worker never runs with a silently smaller
    // surface than the one the process was created under.
    const installed = new Set(core.plugins.map((p) => p.id))
    const missing = Object.keys(env.pluginOptions.plugins).filter((id) => !installed.has(id))
    if (missing.length > 0) {
      return yield* Effect.fail(
        new ProcessFailure(
          "process_plugin_missing",
          `process ${record.id} needs plugin${missing.length > 1 ? "s" : ""} ${
            missing.map((m) => `"${m}"`).join(", ")
          }, not installed in this runtime`,
          { missingPlugins: missing }
        )
      )
    }
    const sessionId = `ephemeral:${record.id}` as SessionId
    const plugins = yield* buildPlugins({
      plugins: core.plugins,
      sessionId,
      purpose: "process",
      pluginOptions: env.pluginOptions
    }).pipe(
      Effect.catchAll((e) =>
        Effect.fail(new ProcessFailure("process_plugin_failed", `plugin rebuild failed: ${e.message}`))
      )
    )
    const built = catalogFor(core, catalogs, plugins.tools)
    if (built._tag !== "Ok") {
      return yield* Effect.fail(
        new ProcessFailure("process_plugin_failed", `tool catalog rebuild failed: ${built.name}`)
      )
    }
    return { env, catalog: built.catalog }
  })

export const runToolCallProcess = (ctx: EngineContext) =>
  Effect.gen(function*() {
    const input = ctx.record.input
    if (input.type !== "tool_call") return yield* Effect.die("not a tool_call process")
    const { catalog } = yield* ctx.rebuild
    const call = input.call
    if (!catalog.entries.has(call.toolName)) {
      return {
        type: "failure",
        code: "tool_unavailable",
        message: `unknown tool "${call.toolName}"`
      } as ProcessAwaitOutput
    }
    const record = yield* runToolCall({
      catalog,
      scoped: ctx.scoped,
      parentKey: ReplayKeys.processRun(ctx.record.id),
      call: { callId: call.callId, toolName: call.toolName, args: call.args },
      context: { processId: ctx.record.id }
    })
    const result = record.result
    return result.type === "ok"
      ? ({ type: "success", value: result.value } as ProcessAwaitOutput)
      : ({ type: "failure", code: result.failure.code, message: result.failure.message } as ProcessAwaitOutput)
  })

export const runSessionTurnProcess = (ctx: EngineContext) =>
  Effect.gen(function*() {
    const input = ctx.record.input
    if (input.type !== "session_turn") return yield* Effect.die("not a session_turn process")
    const { core } = ctx
    const request = input.createRequest
    const policy = {
      ...request.policy,
      providerId: request.policy.providerId === "" ? core.provider.defaultProviderId : request.policy.providerId
    }
    const relation = request.relation.type === "child"
      ? { ...request.relation, causedBy: { type: "process" as const, processId: ctx.record.id } }
      : request.relation
    yield* core.store.create({ sessionId: request.sessionId, relation, policy })
    const rt = yield* openRuntime(core, request.sessionId, {
      create: false,
      purpose: "session",
      pluginOptions: request.pluginOptions
    })
    const output = yield* runTurn(core, rt, ctx.drivers.protocol, {
      input: input.turnInput,
      turnId: ctx.record.id as string as TurnId
    })
    if (output.outcome.type === "finished") {
      return {
        type: "success",
        value: {
          processId: ctx.record.id,
          childSessionId: request.sessionId,
          turn: { turnId: output.turnId, outcome: output.outcome as unknown as Json, headRevision: output.headRevision }
        }
      } as ProcessAwaitOutput
    }
    if (output.outcome.stop === "cancelled") {
      return { type: "cancelled", message: "child turn cancelled" } as ProcessAwaitOutput
    }
    return {
      type: "failure",
      code: "session_turn_stopped",
      message: `child turn stopped: ${JSON.stringify(output.outcome.stop)}`
    } as ProcessAwaitOutput
  })
