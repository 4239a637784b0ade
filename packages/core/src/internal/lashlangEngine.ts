/**
 * The `lashlang` process engine: runs a process definition from a stored, content-addressed module, rebuilt purely
 * from persisted state (the record, its env, the artifact) plus the plugins and provider the host re-supplies.
 *
 * @internal
 */
import { execute, formatDiagnostic, loadArtifact, type ModuleArtifact, satisfies, Value } from "@lash/lashlang"
import { Effect, Either, Option, Schema } from "effect"
import type { Json } from "../Json.js"
import { LashlangProcessInput, type ProcessAwaitOutput } from "../Process.js"
import { ReplayKeys } from "../ReplayKeys.js"
import { setBounded } from "./boundedMap.js"
import { buildHostEnvironment, makeBridge } from "./lashlangHost.js"
import { processDepth } from "./processLimits.js"
import type { CoreRuntime } from "./runtime.js"
import { type Drivers, type ProcessEngine, ProcessFailure } from "./worker.js"

const sourceOf = (canonicalIr: unknown): string => {
  const source = (canonicalIr as { readonly source?: unknown } | null)?.source
  return typeof source === "string" ? source : ""
}

/** At most this many stored modules are kept in memory by one engine (the oldest is dropped first). */
const ARTIFACT_CACHE_SIZE = 64

/**
 * The stored module of `moduleRef`, read once per engine: an artifact is content-addressed and its store is
 * insert-if-absent (docs/storage-contract.md, "Content stores and the journal"), so a copy read earlier is what the
 * store holds. A module not stored yet is asked for again next time.
 */
const artifactReader = () => {
  const cache = new Map<string, ModuleArtifact>()
  return (core: CoreRuntime, moduleRef: string) =>
    Effect.suspend(() => {
      const cached = cache.get(moduleRef)
      if (cached !== undefined) return Effect.succeed(Option.some(cached))
      return Effect.tap(core.artifacts.get(moduleRef), (stored) =>
        Effect.sync(() => {
          if (Option.isSome(stored)) setBounded(cache, ARTIFACT_CACHE_SIZE, moduleRef, stored.value)
        }))
    })
}

/** Builds the engine; `drivers` are read lazily because they are wired after the engines exist. */
export const lashlangEngine = (drivers: () => Drivers): ProcessEngine => {
  const readArtifact = artifactReader()
  return {
    kind: "lashlang",
    run: (ctx) =>
      Effect.gen(function*() {
        const { core, record } = ctx
        if (record.input.type !== "engine") return yield* Effect.die("not an engine process")
        const decoded = Schema.decodeUnknownEither(LashlangProcessInput)(record.input.payload)
        if (Either.isLeft(decoded)) {
          return yield* Effect.fail(
            new ProcessFailure("process_input_invalid", `process ${record.id} has a malformed lashlang input`)
          )
        }
        const input = decoded.right
        const { env: envSpec, catalog } = yield* ctx.rebuild
        const hostEnv = buildHostEnvironment(core.cfg, core.plugins, catalog)
        if (Either.isLeft(hostEnv)) {
          return yield* Effect.fail(new ProcessFailure("process_plugin_failed", hostEnv.left.detail))
        }
        const stored = yield* readArtifact(core, input.moduleRef)
        if (Option.isNone(stored)) {
          return yield* Effect.fail(
            new ProcessFailure("process_module_missing", `module ${input.moduleRef} is not stored`)
          )
        }
        const artifact = stored.value
        const unmet = satisfies(artifact.hostRequirements, hostEnv.right)
        if (Either.isLeft(unmet)) {
          const detail = unmet.left.map((m) =>
            `${m.kind} ${m.key}: expected ${m.expected}, found ${m.actual ?? "nothing"}`
          ).join("; ")
          return yield* Effect.fail(
            new ProcessFailure("process_host_mismatch", `this runtime cannot host module ${input.moduleRef}: ${detail}`)
          )
        }
        const linked = yield* loadArtifact(artifact, hostEnv.right).pipe(
          Effect.mapError((e) => new ProcessFailure("process_module_invalid", e.message))
        )
        const args = new Map(Object.entries(input.args).map(([k, v]) => [k, Value.fromJson(v)] as const))
        const prints: Array<string> = []
        const wakeTarget = record.wakeTarget ??
          (record.provenance.originator.type === "session" ? record.provenance.originator.scope : undefined)
        const bridge = makeBridge({
          core,
          drivers: drivers(),
          scoped: ctx.scoped,
          catalog,
          env: hostEnv.right,
          seed: ReplayKeys.processRun(record.id),
          envSpec: { policy: envSpec.policy, pluginOptions: envSpec.pluginOptions },
          originator: record.provenance.originator,
          wakeTarget,
          causedBy: { type: "process", processId: record.id },
          toolContext: { processId: record.id },
          prints,
          emit: ctx.appendEvent,
          waiting: ctx.waiting,
          depth: yield* Effect.cached(processDepth(core, record))
        })
        // A store failure during the run fails it with that error (typed), as any other engine failure.
        const outcome = yield* execute(linked, args, bridge, {
          ...core.cfg.raw.rlm?.limits,
          mode: "process",
          entry: input.processRef
        })
        for (const line of prints) yield* Effect.logDebug(`process ${record.id}: ${line}`)
        switch (outcome._tag) {
          case "Finished":
          case "Submitted":
            return { type: "success", value: Value.toJson(outcome.value) as Json } as ProcessAwaitOutput
          case "Continued":
            return { type: "success", value: null } as ProcessAwaitOutput
          case "Failed":
            return {
              type: "failure",
              code: "process_failed",
              message: Value.toText(outcome.value),
              raw: Value.toJson(outcome.value) as Json
            } as ProcessAwaitOutput
          case "Errored":
            return {
              type: "failure",
              code: "lashlang_runtime_error",
              message: formatDiagnostic(outcome.error, sourceOf(artifact.canonicalIr))
            } as ProcessAwaitOutput
        }
      })
  }
}
