/**
 * The worker (docs/architecture.md, "The worker"): claims runnable processes under a lease, rebuilds what each needs from
 * persisted state alone, renews the lease while it runs, and writes the terminal result fenced by the lease.
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Either, Exit, FiberSet, Ref, Schedule } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { LeaseLost } from "../Errors.js"
import {
  type InvalidProcessRegistration,
  type ProcessEnvNotFound,
  type ProcessRegistrationConflict,
  type StoreError
} from "../Errors.js"
import type { ProcessId, SessionId, TurnId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import {
  type AppendEventRequest,
  type ProcessAwaitOutput,
  type ProcessEvent,
  type ProcessExecutionEnvSpec,
  type ProcessLease,
  type ProcessRecord,
  type ProcessRegistration
} from "../Process.js"
import { loadProcessExecutionEnv, ProcessEnvStore } from "../ProcessEnvStore.js"
import { ReplayKeys } from "../ReplayKeys.js"
import { workerScheduler } from "./eventLoop.js"
import { buildPlugins } from "./pluginHost.js"
import type { Protocol } from "./protocol.js"
import type { QueuedDriver } from "./queued.js"
import type { CoreRuntime } from "./runtime.js"
import { openRuntime, runTurn } from "./session.js"
import * as Telemetry from "./telemetry.js"
import { buildCatalog, runToolCall, type ToolCatalog } from "./toolCatalog.js"
import type { UnstartedDelivery } from "./triggers.js"

/** What an engine run receives. */
export interface EngineContext {
  readonly core: CoreRuntime
  readonly record: ProcessRecord
  readonly scoped: ScopedEffects
  /** Appends an event (wake enqueue and inline drain included). */
  readonly appendEvent: (req: AppendEventRequest) => Effect.Effect<ProcessEvent, unknown>
  /** Loads the env and rebuilds the plugins and tool catalog for `purpose: "process"`. */
  readonly rebuild: Effect.Effect<ProcessRebuild, ProcessFailure | StoreError>
  readonly drivers: Drivers
  /**
   * Runs `effect` (a wait on another process) without holding a worker slot, so a parent awaiting its children
   * never starves them under `maxConcurrent`; the slot is taken back when the wait ends.
   */
  readonly waiting: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

/** The rebuilt runtime pieces of a process. */
export interface ProcessRebuild {
  readonly env: ProcessExecutionEnvSpec
  readonly catalog: ToolCatalog
}

/** An expected process failure with its stable code. */
export class ProcessFailure {
  readonly _tag = "ProcessFailure"
  constructor(
    readonly code: string,
    readonly message: string,
    readonly raw?: Json
  ) {}
  toOutput(): ProcessAwaitOutput {
    return this.raw === undefined
      ? { type: "failure", code: this.code, message: this.message }
      : { type: "failure", code: this.code, message: this.message, raw: this.raw }
  }
}

/**
 * An engine's request to park its process (docs/architecture.md, "Processes and leases"): it stopped at a durable
 * sleep (`untilMs`) or a `wait_signal` (`untilMs` null) after reading its log up to `seenSequence`. The worker gives
 * the lease and the slot up; the process runs again (replaying) at the deadline or when a signal arrives.
 */
export class ProcessParked {
  readonly _tag = "ProcessParked"
  constructor(
    readonly reason: "sleep" | "signal",
    readonly untilMs: number | null,
    readonly seenSequence: number
  ) {}
}

/** A process engine (W1: `lashlang`). */
export interface ProcessEngine {
  readonly kind: string
  run(ctx: EngineContext): Effect.Effect<ProcessAwaitOutput, ProcessFailure | unknown>
}

/** The internal drivers of a core, wired after the core runtime exists. */
export interface Drivers {
  readonly queued: QueuedDriver
  /** Forks one worker sweep and one queued sweep into the core's fibers; returns at once. */
  readonly drivePending: (reason: string) => Effect.Effect<void>
  /**
   * Registers a process, leasing it in the same unit when this worker has a free slot (`lease` then set: hand it to
   * `launch`, or to `abandon` if the start fails after the unit).
   */
  readonly registerForRun: (
    reg: ProcessRegistration
  ) => Effect.Effect<
    { readonly record: ProcessRecord; readonly created: boolean; readonly lease?: ProcessLease },
    StoreError | ProcessRegistrationConflict | InvalidProcessRegistration
  >
  readonly launch: (lease: ProcessLease, record: ProcessRecord) => Effect.Effect<void>
  readonly abandon: (lease: ProcessLease) => Effect.Effect<void>
  /** Forks a targeted recovery of one process. */
  readonly poke: (processId: ProcessId) => Effect.Effect<void>
  /** Runs one `session_turn` child turn (used by the session_turn runner). */
  readonly protocol: Protocol
}

/**
 * A worker's decoded envs by ref. An env ref is the hash of its spec (content-addressed, insert-if-absent), so a
 * cached spec can never be stale; most processes of a runtime share a few envs, and this saves a storage read per run.
 */
type EnvCache = Map<string, ProcessExecutionEnvSpec>
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
    if (cache.size >= ENV_CACHE_SIZE) {
      cache.delete(cache.keys().next().value!)
    }
    cache.set(envRef, spec)
    return spec
  })

const rebuildFor = (
  core: CoreRuntime,
  envs: EnvCache,
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
    const built = buildCatalog(plugins.tools, core.cfg.tools)
    if (built._tag !== "Ok") {
      return yield* Effect.fail(
        new ProcessFailure("process_plugin_failed", `tool catalog rebuild failed: ${built.name}`)
      )
    }
    return { env, catalog: built.catalog }
  })

const runToolCallProcess = (ctx: EngineContext) =>
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

const runSessionTurnProcess = (ctx: EngineContext) =>
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

/** How often a parked process's alarm tries its claim before leaving it to the next sweep. */
const ALARM_ATTEMPTS = 20

/** Builds the worker and its drive/poke operations. */
export const makeWorker = (core: CoreRuntime, engines: ReadonlyMap<string, ProcessEngine>, drivers: () => Drivers) => {
  const envs: EnvCache = new Map()
  // Slots: `maxConcurrent` bounds every way a process reaches this worker (a sweep, a poke after `start`, `emit` or a
  // Lashlang `start`, the register-and-lease unit). A slot is taken before a claim is sent; work turned away while
  // every slot was taken is claimed as soon as one frees (`slotFreed`).
  const running = new Set<string>()
  let turnedAway = false
  const freeSlots = (): number =>
    core.cfg.worker.maxConcurrent === undefined ? 64 : Math.min(64, core.cfg.worker.maxConcurrent - running.size)

  const runProcess = (record: ProcessRecord): Effect.Effect<ProcessAwaitOutput, unknown> =>
    Effect.gen(function*() {
      const scoped = yield* core.controller.scoped({ type: "process", processId: record.id })
      const ctx: EngineContext = {
        core,
        record,
        scoped,
        appendEvent: (req) => drivers().queued.appendProcessEvent(record.id, req),
        rebuild: rebuildFor(core, envs, record),
        drivers: drivers(),
        waiting: (effect) =>
          Effect.acquireUseRelease(
            Effect.suspend(() => slotFreed(record.id)),
            () => effect,
            () => Effect.sync(() => void running.add(record.id))
          )
      }
      switch (record.input.type) {
        case "tool_call":
          return yield* runToolCallProcess(ctx)
        case "session_turn":
          return yield* runSessionTurnProcess(ctx)
        case "external":
          return yield* Effect.die("external processes are never run by a worker")
        case "engine": {
          const engine = engines.get(record.input.kind)
          if (engine === undefined) {
            return {
              type: "failure",
              code: "process_engine_unknown",
              message: `no engine for kind ${record.input.kind}`
            } as ProcessAwaitOutput
          }
          return yield* engine.run(ctx)
        }
      }
    })

  /**
   * Runs a leased process (`known`: its record, when the unit that leased it read it); a parked run then arms its
   * alarm (or re-runs) after giving its slot up.
   */
  const runLeased = (lease: ProcessLease, known?: ProcessRecord): Effect.Effect<void> => {
    let after: Effect.Effect<void> = Effect.void
    return runLeasedOnce(lease, (next) => {
      after = next
    }, known).pipe(Effect.zipRight(Effect.suspend(() => after)))
  }

  /**
   * A parked process's deadline: claim and run it then (a restart re-arms from `listParked`). The deadline is on the
   * store's clock; when that clock is behind this one (a database clock), the row still looks held, so the claim is
   * tried again a few times, half a second apart.
   */
  const alarm = (processId: ProcessId, untilMs: number): Effect.Effect<void> =>
    fork(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (untilMs > now) yield* Effect.sleep(Duration.millis(untilMs - now))
        for (let attempt = 0; attempt < ALARM_ATTEMPTS; attempt++) {
          const claimed = yield* Effect.either(
            core.registry.claimLease(processId, yield* ownerId(), core.cfg.worker.leaseTtlMs)
          )
          if (claimed._tag === "Right") return yield* fork(runLeased(claimed.right))
          if (claimed.left._tag !== "LeaseHeld") return
          yield* Effect.sleep(Duration.millis(500))
        }
      })
    )

  /** Arms the alarm of every parked process with a deadline (once, at this worker's first sweep). */
  let armed = false
  const armParked = Effect.gen(function*() {
    if (armed) return
    armed = true
    for (const p of yield* core.registry.listParked()) if (p.untilMs !== null) yield* alarm(p.processId, p.untilMs)
  })

  const runLeasedOnce = (
    lease: ProcessLease,
    setAfter: (next: Effect.Effect<void>) => void,
    known: ProcessRecord | undefined
  ): Effect.Effect<void> =>
    Effect.gen(function*() {
      const found = known === undefined ? yield* Effect.either(core.registry.get(lease.processId)) : Either.right(known)
      if (found._tag === "Left") {
        yield* Effect.logWarning(`process ${lease.processId} could not be read; its lease will expire`, found.left)
        return
      }
      const record = found.right
      if (record.status.state !== "running" || record.input.type === "external") {
        yield* core.registry.releaseLease(lease).pipe(Effect.ignore)
        return
      }
      running.add(record.id)
      yield* Telemetry.workerRunStarted(record)
      const latest = yield* Ref.make(lease)
      // A transient store error (a busy database) must not give the lease up: retry until the lease is really lost.
      const renewOnce = Effect.gen(function*() {
        const current = yield* Ref.get(latest)
        const renewed = yield* core.registry.renewLease(current, core.cfg.worker.leaseTtlMs)
        yield* Ref.set(latest, renewed)
      }).pipe(
        Effect.retry({
          while: (e) => e._tag !== "LeaseLost",
          schedule: Schedule.spaced(Duration.millis(Math.max(10, Math.floor(core.cfg.worker.renewEveryMs / 5)))),
          times: 10
        })
      )
      // Renewals are due `renewEvery` after the claim or the last renewal, not after the run got going (a busy
      // worker may start a run a while after its claim).
      const renewLoop = Effect.gen(function*() {
        while (true) {
          const current = yield* Ref.get(latest)
          const due = current.expiresAtMs - core.cfg.worker.leaseTtlMs + core.cfg.worker.renewEveryMs
          yield* Effect.sleep(Duration.millis(Math.max(0, due - (yield* Clock.currentTimeMillis))))
          yield* renewOnce
        }
      })
      const cancelWatch = core.registry
        .waitEventAfter(record.id, "process.cancel_requested", 0)
        .pipe(
          Effect.map((event): ProcessAwaitOutput => {
            const reason = (event.payload as { readonly reason?: Json } | null)?.reason
            return { type: "cancelled", message: typeof reason === "string" ? reason : "cancel requested" }
          })
        )
      const work = runProcess(record).pipe(
        Effect.catchAll((e) =>
          Effect.succeed(
            e instanceof ProcessParked
              ? e
              : e instanceof ProcessFailure
              ? e.toOutput()
              : ({
                type: "failure",
                code: "process_recovery_failed",
                message: String((e as { message?: unknown })?.message ?? e)
              } as ProcessAwaitOutput)
          )
        ),
        Effect.catchAllDefect((defect) =>
          Effect.succeed<ProcessAwaitOutput | ProcessParked>({
            type: "failure",
            code: "process_recovery_failed",
            message: Cause.pretty(Cause.die(defect))
          })
        )
      )
      // One race of the three (the first to end, success or failure, decides; the others are interrupted).
      const exit = yield* Effect.raceAll<Effect.Effect<Exit.Exit<ProcessAwaitOutput | ProcessParked, unknown>>>([
        Effect.exit(work),
        Effect.exit(cancelWatch),
        Effect.exit(renewLoop as Effect.Effect<never, LeaseLost | StoreError>)
      ])
      if (Exit.isFailure(exit)) {
        if (Cause.isInterruptedOnly(exit.cause)) return
        yield* Telemetry.leaseLost
        yield* Effect.logWarning(`process ${record.id}: lease lost while running; the new owner finishes it`)
        // If nobody took it over (the lease only ran out), the claim after this run's slot frees takes it again.
        turnedAway = true
        return
      }
      const current = yield* Ref.get(latest)
      const outcome = exit.value
      if (outcome instanceof ProcessParked) {
        const { parked } = yield* core.registry.park(current, {
          reason: outcome.reason,
          untilMs: outcome.untilMs,
          seenSequence: outcome.seenSequence
        }).pipe(
          Effect.catchAll((e) =>
            Effect.as(Effect.logWarning(`process ${record.id}: parking failed; its lease will expire`, e), {
              parked: true
            })
          )
        )
        // Not parked: something arrived meanwhile; run again once this run has given its slot up.
        setAfter(
          parked ? (outcome.untilMs === null ? Effect.void : alarm(record.id, outcome.untilMs)) : recover(record.id)
        )
        return
      }
      yield* core.registry.completeWithLease(current, outcome).pipe(
        Effect.zipRight(Telemetry.workerRunFinished(outcome)),
        Effect.catchTag("LeaseLost", () =>
          Effect.zipRight(
            Telemetry.leaseLost,
            Effect.logWarning(`process ${record.id}: lease lost before the terminal write`)
          )),
        Effect.catchAll((e) => Effect.logWarning(`process ${record.id}: terminal write failed`, e))
      )
    }).pipe(
      Effect.ensuring(Effect.suspend(() => slotFreed(lease.processId))),
      Effect.annotateLogs({ processId: lease.processId }),
      Telemetry.workerRunSpan(lease)
    )

  const ownerId = () => Effect.map(core.nextId("attempt"), (id) => `worker:${core.instanceId}:${id}`)

  /** Every fiber of the worker runs behind the event loop (`eventLoop.ts`): a flood of runs never stalls a timer. */
  const fork = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.asVoid(FiberSet.run(core.fibers, Effect.withScheduler(effect, workerScheduler)))

  /** Gives `processId`'s slot back; if work was turned away meanwhile, claims it now. */
  function slotFreed(processId: string): Effect.Effect<void> {
    running.delete(processId)
    if (!turnedAway) return Effect.void
    turnedAway = false
    // Often called from a run's finalizer, which is uninterruptible: the claim (and the runs it forks) must not be.
    return fork(Effect.interruptible(claimMore))
  }

  /** Targeted recovery of one known process; a live lease (anyone's) stops quietly; no free slot defers it. */
  const recover = (processId: ProcessId): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (running.has(processId)) return Effect.void
      if (freeSlots() <= 0) {
        turnedAway = true
        return Effect.void
      }
      running.add(processId)
      return Effect.gen(function*() {
        const lease = yield* core.registry.claimLease(processId, yield* ownerId(), core.cfg.worker.leaseTtlMs)
        yield* fork(runLeased(lease))
      }).pipe(Effect.catchAll(() => slotFreed(processId)))
    })

  /**
   * Registers a process and, when this worker has a free slot, leases it in the same write unit (one unit instead of
   * register + claim): the slot is taken before the unit and given back when no lease comes back. A lease answered
   * here must reach {@link launch} or {@link abandon}.
   */
  const registerForRun = (reg: ProcessRegistration) =>
    Effect.suspend(() => {
      if (running.has(reg.id) || freeSlots() <= 0) {
        // Registered without a lease: a poke or the next free slot claims it.
        if (freeSlots() <= 0) turnedAway = true
        return core.registry.register(reg)
      }
      running.add(reg.id)
      const release = Effect.suspend(() => slotFreed(reg.id))
      return Effect.flatMap(
        ownerId(),
        (owner) => core.registry.register(reg, { claim: { ownerId: owner, ttlMs: core.cfg.worker.leaseTtlMs } })
      ).pipe(
        Effect.tap((out) => (out.lease === undefined ? release : Effect.void)),
        Effect.onError(() => release)
      )
    })

  /** Runs a lease {@link registerForRun} answered, with the record its unit read. */
  const launch = (lease: ProcessLease, record: ProcessRecord) => fork(runLeased(lease, record))

  /** Gives back the slot and the lease of a registration that will not run here (its start failed after the unit). */
  const abandon = (lease: ProcessLease) =>
    Effect.zipRight(
      Effect.suspend(() => slotFreed(lease.processId)),
      Effect.ignore(core.registry.releaseLease(lease))
    )

  /** Claims runnable processes while slots are free and pages come back full. */
  const claimLoop: Effect.Effect<void, StoreError> = Effect.gen(function*() {
    while (true) {
      const limit = freeSlots()
      if (limit <= 0) {
        turnedAway = true
        return
      }
      const leases = yield* core.registry.claimRunnable({
        ownerId: yield* ownerId(),
        ttlMs: core.cfg.worker.leaseTtlMs,
        limit
      })
      // Slots are taken before the fork, so overlapping sweeps never claim more than maxConcurrent.
      for (const lease of leases) {
        running.add(lease.processId)
        yield* fork(runLeased(lease))
      }
      if (leases.length < limit) return
    }
  })

  const claimMore: Effect.Effect<void> = claimLoop.pipe(
    Effect.catchAll((e) => Effect.logWarning("worker claim failed; the next poke or sweep retries", e))
  )

  /** Unstarted deliveries first, then claim runnable processes while pages come back full. */
  const sweep = (startDelivery: (p: UnstartedDelivery) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      yield* armParked
      const unstarted = yield* core.triggers.listUnstartedDeliveries(64)
      for (const item of unstarted) yield* startDelivery(item)
      yield* claimLoop
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning("worker sweep failed; the next poke or sweep retries", e)),
      Effect.withSpan("lash.worker.sweep")
    )

  return { recover, sweep, fork, running, registerForRun, launch, abandon }
}
