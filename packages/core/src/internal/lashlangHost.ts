/**
 * The Lashlang host side of the core: the host environment a session or a rebuilt process links against, and the
 * HostBridge whose `perform` is a program's only way out (docs/architecture.md, "RLM turns" and "The host bridge"). The same bridge serves
 * foreground RLM code and Lashlang processes; only the context differs (who registers, who is woken, how events
 * are appended).
 *
 * @internal
 */
import {
  HostCatalog,
  type HostCatalog as HostCatalogType,
  type HostEnvironment,
  HostFailure,
  type HostOperation,
  LashlangAbilities,
  type LashlangHost,
  type LashlangLanguageFeatures,
  TypeExpr,
  Value
} from "@lash/lashlang"
import { Duration, Effect, Either } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import { LashConfigError, type StoreError } from "../Errors.js"
import type { ProcessId, SessionId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { Json } from "../Json.js"
import type { LashPlugin } from "../Plugin.js"
import {
  type AppendEventRequest,
  lashlangEventTypes,
  type ProcessExecutionEnvSpec,
  type ProcessOriginator,
  ProcessProvenance,
  ProcessRegistration,
  type SessionScope
} from "../Process.js"
import { persistProcessExecutionEnv, ProcessEnvStore } from "../ProcessEnvStore.js"
import { ReplayKeys } from "../ReplayKeys.js"
import type { CausalRef } from "../Session.js"
import type { NormalizedConfig } from "./config.js"
import { makeDurableWaits } from "./durableWaits.js"
import { performRuntimeModule, registerTrigger, runtimeModuleOperations } from "./lashlangModules.js"
import { makeProcessApi } from "./processes.js"
import { checkStart } from "./processLimits.js"
import type { CoreRuntime } from "./runtime.js"
import { deliverSignal } from "./signals.js"
import { runToolCall, type ToolCallObserver, type ToolCatalog } from "./toolCatalog.js"
import type { Drivers } from "./worker.js"

/** The host operation name of tool `name` in the Lashlang surface. */
const toolOperation = (name: string) => `tools.${name}`

/**
 * The environment programs link against: the config's abilities and features, every plugin's contribution and
 * the catalog's tools as `tools.<name>`; the `triggers` module when that ability is on. Deterministic in its
 * inputs, so a worker rebuilding a process gets the same environment the session had.
 */
export const buildHostEnvironment = (
  cfg: NormalizedConfig,
  plugins: ReadonlyArray<LashPlugin>,
  catalog: ToolCatalog
): Either.Either<HostEnvironment, LashConfigError> => {
  let abilities = LashlangAbilities.plain(cfg.raw.rlm?.abilities ?? LashlangAbilities.none)
  let features: LashlangLanguageFeatures = cfg.raw.rlm?.languageFeatures ?? { labels: false }
  let cat: Either.Either<HostCatalogType, { readonly message: string }> = HostCatalog.addTools(
    HostCatalog.empty,
    catalog.list.map((e) => e.manifest.name)
  )
  for (const plugin of plugins) {
    const surface = plugin.lashlang
    if (surface === undefined) continue
    if (surface.abilities !== undefined) abilities = LashlangAbilities.union(abilities, surface.abilities)
    if (surface.languageFeatures !== undefined) {
      features = { labels: features.labels || surface.languageFeatures.labels }
    }
    const extra = surface.catalog
    if (extra !== undefined) cat = Either.flatMap(cat, (c) => HostCatalog.merge(c, extra))
  }
  cat = Either.flatMap(cat, (c) => HostCatalog.addRuntimeModules(c, abilities))
  return Either.match(cat, {
    onLeft: (e) => Either.left(new LashConfigError({ reason: "surface_conflict", detail: e.message })),
    onRight: (c) =>
      Either.right({
        catalog: c,
        abilities: LashlangAbilities.plain(abilities),
        features,
        // RLM programs read the steps of their turn through `history` (rlm.ts); processes link against the same
        // environment, so a module stored by an RLM block reproduces in a worker.
        readOnlyBindings: cfg.raw.mode === "rlm" ? { history: HISTORY_TYPE } : {}
      })
  })
}

/** The type of the `history` binding of an RLM turn: one entry per iteration of the turn so far. */
export const HISTORY_TYPE = TypeExpr.list(
  TypeExpr.object([
    TypeExpr.field("code", TypeExpr.union([TypeExpr.str, TypeExpr.null])),
    TypeExpr.field("output", TypeExpr.list(TypeExpr.str)),
    TypeExpr.field("error", TypeExpr.union([TypeExpr.str, TypeExpr.null]))
  ])
)

/** A control outcome a tool returned inside a Lashlang block. */
export interface ToolControl {
  readonly toolName: string
  readonly control: { readonly type: "finish"; readonly value: Json } | {
    readonly type: "fail"
    readonly failure: { readonly code: string; readonly message: string; readonly raw?: Json }
  }
}

// Infrastructure failures (storage, journal) are not the program's business: `perform` fails with them as they are
// (typed, never defects), the interpreter stops, and `execute` fails with them, so the turn or the run fails with its
// own error (docs/lashlang.md, "The host boundary"). Only a `HostFailure` is seen by the program.

/** Persists the run's env spec (content-addressed, so repeats are free) for processes and registrations it starts. */
const capturedEnv = (ctx: BridgeContext) =>
  persistProcessExecutionEnv(ctx.envSpec).pipe(Effect.provideService(ProcessEnvStore, ctx.core.envs))

/** Who a program runs for. */
export interface BridgeContext {
  readonly core: CoreRuntime
  readonly drivers: Drivers
  readonly scoped: ScopedEffects
  readonly catalog: ToolCatalog
  readonly env: HostEnvironment
  /** The effect-key seed: sites are keyed `<seed>:<nodeId>:<occurrence>`. */
  readonly seed: string
  /** The env captured for processes and trigger registrations started from here. */
  readonly envSpec: ProcessExecutionEnvSpec
  /** The registrant / originator of started work. */
  readonly originator: ProcessOriginator
  /** Whom started processes and registrations wake; also the grantee of process handles. */
  readonly wakeTarget: SessionScope | undefined
  readonly causedBy: CausalRef | undefined
  readonly toolContext: { readonly sessionId?: SessionId; readonly processId?: ProcessId }
  /** Observations (`print`) of this run, in order. */
  readonly prints: Array<string>
  /** Set by the first tool result that carries a control outcome (finish or fail): the turn ends after the block. */
  readonly control?: { current: ToolControl | undefined }
  /** Reports tool calls to a streamed turn. */
  readonly toolObserver?: ToolCallObserver
  /** Process mode only: appends a `process.wake` / `process.yield` event. */
  readonly emit?: (req: AppendEventRequest) => Effect.Effect<unknown, unknown>
  /** The depth of this run's process in its tree (1 for a process started by a session); absent: a session block. */
  readonly depth?: Effect.Effect<number, StoreError>
  /** Process mode only: runs a wait on another process without holding a worker slot. */
  readonly waiting?: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

const siteKey = (ctx: BridgeContext, site: { readonly nodeId: string; readonly occurrence: number }) =>
  ReplayKeys.lashlangSite(ctx.seed, site.nodeId, site.occurrence)

const handleId = (handle: Value.Value): string | undefined => {
  if (!Value.isRecord(handle)) return undefined
  const id = handle.get("id")
  return typeof id === "string" ? id : undefined
}

/** The bridge of one program run. */
export const makeBridge = (ctx: BridgeContext): LashlangHost<unknown> => {
  const { core } = ctx
  const grantee = ctx.wakeTarget
  const processId = ctx.emit === undefined ? undefined : ctx.toolContext.processId
  const waits = processId === undefined ? undefined : makeDurableWaits(core, processId)
  /** The process id of a handle this run may use: one granted to its session (a forged or foreign id fails). */
  const ownedHandle = (handle: Value.Value): Effect.Effect<ProcessId, HostFailure | StoreError> =>
    Effect.gen(function*() {
      const id = handleId(handle) as ProcessId | undefined
      const granted = id !== undefined &&
        (grantee === undefined || (yield* core.registry.hasHandleGrant(grantee, id)))
      if (!granted) return yield* Effect.fail(new HostFailure({ message: "unknown process handle" }))
      return id
    })
  const perform = (op: HostOperation): Effect.Effect<Value.Value, unknown> => {
    switch (op._tag) {
      case "Call": {
        if (runtimeModuleOperations.has(op.hostOperation)) {
          return performRuntimeModule(
            core,
            {
              grantee,
              originator: ctx.originator,
              processId: ctx.toolContext.processId
            },
            op.hostOperation,
            op.args
          )
        }
        const toolName = op.hostOperation.startsWith("tools.")
          ? op.hostOperation.slice("tools.".length)
          : op.hostOperation
        if (!ctx.catalog.entries.has(toolName) || toolOperation(toolName) !== op.hostOperation) {
          return Effect.fail(new HostFailure({ message: `unknown operation ${op.hostOperation}` }))
        }
        const key = siteKey(ctx, op.site)
        const args = op.args[0] === undefined ? {} : (Value.toJson(op.args[0]) as Json)
        return runToolCall({
          catalog: ctx.catalog,
          scoped: ctx.scoped,
          parentKey: key,
          call: { callId: key, toolName, args },
          context: ctx.toolContext,
          ...(ctx.toolObserver === undefined ? {} : { observer: ctx.toolObserver })
        }).pipe(
          Effect.tap((record) =>
            Effect.sync(() => {
              if (
                record.result.type === "ok" && record.result.control !== undefined && ctx.control !== undefined &&
                ctx.control.current === undefined
              ) {
                ctx.control.current = { toolName: record.toolName, control: record.result.control }
              }
            })
          ),
          Effect.flatMap((record) =>
            record.result.type === "ok"
              ? Effect.succeed(Value.fromJson(record.result.value))
              : Effect.fail(
                new HostFailure({ message: record.result.failure.message, code: record.result.failure.code })
              )
          )
        )
      }
      case "Print":
        return Effect.sync(() => {
          ctx.prints.push(Value.toText(op.value))
          return null
        })
      case "TriggerRegister":
        return registerTrigger(ctx, op, siteKey(ctx, op.site), capturedEnv(ctx))
      case "StartProcess":
        return Effect.gen(function*() {
          const args = Value.toJson(op.args) as Json
          const id = Ids.lashlangChildProcessId({
            parentSeed: ctx.seed,
            nodeId: op.site.nodeId,
            occurrence: op.site.occurrence,
            moduleRef: op.moduleRef,
            processRef: op.processRef,
            hostRequirementsRef: op.hostRequirementsRef,
            name: op.processName,
            args
          })
          yield* checkStart(core, {
            processId: id,
            depth: (ctx.depth === undefined ? 0 : yield* ctx.depth) + 1,
            scope: ctx.wakeTarget
          })
          const envRef = yield* capturedEnv(ctx)
          const reg = ProcessRegistration.make({
            id,
            input: {
              type: "engine",
              kind: "lashlang",
              payload: {
                moduleRef: op.moduleRef,
                processRef: op.processRef,
                hostRequirementsRef: op.hostRequirementsRef,
                processName: op.processName,
                args
              }
            },
            identity: {
              kind: "lashlang",
              label: op.processName,
              definition: { moduleRef: op.moduleRef, processRef: op.processRef, processName: op.processName }
            },
            eventTypes: lashlangEventTypes,
            provenance: {
              originator: ctx.originator,
              ...(ctx.causedBy === undefined ? {} : { causedBy: ctx.causedBy })
            },
            envRef,
            ...(ctx.wakeTarget === undefined ? {} : { wakeTarget: ctx.wakeTarget })
          })
          yield* makeProcessApi(core, ctx.drivers)
            .start(reg, ctx.scoped.scope)
            .pipe(
              Effect.catchTags({
                ProcessRegistrationConflict: () =>
                  Effect.fail(new HostFailure({ message: "process registration conflict" })),
                InvalidProcessRegistration: (e) =>
                  Effect.fail(new HostFailure({ message: `invalid process registration: ${e.message}` }))
              })
            )
          return Value.RecordValue.of([
            ["__handle__", "process"],
            ["id", id]
          ])
        })
      case "Await":
        return Effect.gen(function*() {
          const id = yield* ownedHandle(op.handle)
          const wait = core.registry.awaitProcess(id)
          const output = yield* (ctx.waiting === undefined ? wait : ctx.waiting(wait)).pipe(
            Effect.catchTag(
              "ProcessNotFound",
              () => Effect.fail(new HostFailure({ message: "unknown process handle" }))
            )
          )
          if (output.type === "success") return Value.fromJson(output.value)
          if (output.type === "failure") {
            return yield* Effect.fail(new HostFailure({ message: output.message, code: output.code }))
          }
          return yield* Effect.fail(
            new HostFailure({
              message: `process cancelled${output.message === undefined ? "" : `: ${output.message}`}`
            })
          )
        })
      case "Cancel":
        return Effect.gen(function*() {
          const id = yield* ownedHandle(op.handle)
          yield* core.registry.appendEvent(id, {
            eventType: "process.cancel_requested",
            payload: {},
            replayKey: siteKey(ctx, op.site)
          })
          // A parked process was unparked by the request: run it now so it ends cancelled.
          yield* ctx.drivers.poke(id)
          return null
        })
      case "Sleep":
        // The interpreter computed the duration and charged it against the block's total sleep allowance. In a
        // process the sleep is durable; in a turn it is a `Clock` sleep.
        return waits === undefined
          ? Effect.as(Effect.sleep(Duration.millis(op.millis)), null)
          : waits.sleep(siteKey(ctx, op.site), op.mode, op.millis)
      case "Emit": {
        const emit = ctx.emit
        if (emit === undefined) {
          return Effect.fail(new HostFailure({ message: `\`${op.kind}\` is only available inside a process` }))
        }
        const payload = { value: Value.toJson(op.value) as Json, text: Value.toText(op.value) }
        return emit({ eventType: `process.${op.kind}`, payload, replayKey: siteKey(ctx, op.site) }).pipe(
          Effect.as(null)
        )
      }
      case "WaitSignal":
        return waits === undefined
          ? Effect.fail(new HostFailure({ message: "`wait_signal` is only available inside a process" }))
          : waits.waitSignal(op.name)
      case "SignalRun":
        return Effect.gen(function*() {
          const id = yield* ownedHandle(op.handle)
          yield* deliverSignal(core, ctx.drivers, id, op.name, Value.toJson(op.payload) as Json, siteKey(ctx, op.site))
            .pipe(
              Effect.catchTags({
                ProcessNotFound: () => Effect.fail(new HostFailure({ message: "unknown process handle" })),
                ProcessSignalRejected: (e) => Effect.fail(new HostFailure({ message: e.message }))
              })
            )
          return null
        })
      case "Terminate":
        return Effect.succeed(null)
    }
  }
  return { perform }
}

/** The session-side context pieces for a program run inside a turn. */
export const sessionOriginator = (
  sessionId: SessionId,
  frameId: string | undefined
): { readonly originator: ProcessOriginator; readonly scope: SessionScope } => {
  const scope: SessionScope = frameId === undefined ? { sessionId } : { sessionId, frameId }
  return { originator: ProcessProvenance.session(scope).originator, scope }
}
