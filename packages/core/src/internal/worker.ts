/**
 * The worker (docs/architecture.md, "The worker"): claims runnable processes under a lease, rebuilds what each needs from
 * persisted state alone, renews the lease while it runs, and writes the terminal result fenced by the lease. Its parts:
 * the slots and claims (`workerSlots.ts`), one run of a leased process (`processRun.ts`), the built-in process kinds
 * (`builtinProcesses.ts`) and what an engine sees (`processEngine.ts`).
 *
 * @internal
 */
import { Effect, FiberRef, FiberSet } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { StoreError } from "../Errors.js"
import type { ProcessAwaitOutput, ProcessRecord } from "../Process.js"
import { Attributes, SpanNames } from "../Telemetry.js"
import {
  type CatalogCache,
  type EnvCache,
  rebuildFor,
  runSessionTurnProcess,
  runToolCallProcess
} from "./builtinProcesses.js"
import { workerScheduler } from "./eventLoop.js"
import type { Drivers, EngineContext, ProcessEngine } from "./processEngine.js"
import { makeRunLeased } from "./processRun.js"
import type { CoreRuntime } from "./runtime.js"
import { setAsideDelivery, type UnstartedDelivery } from "./triggers.js"
import { makeWorkerSlots } from "./workerSlots.js"

export {
  type Drivers,
  type EngineContext,
  type ProcessEngine,
  ProcessFailure,
  ProcessParked,
  type ProcessRebuild
} from "./processEngine.js"

/** Builds the worker and its drive/poke operations. */
export const makeWorker = (core: CoreRuntime, engines: ReadonlyMap<string, ProcessEngine>, drivers: () => Drivers) => {
  const envs: EnvCache = new Map()
  const catalogs: CatalogCache = {}

  /**
   * Every fiber of the worker runs behind the event loop (`eventLoop.ts`): a flood of runs never stalls a timer. The
   * scheduler is set for the rest of the new fiber's life (its first step), not for a region it then restores, which
   * costs steps (`Effect.withScheduler`) the fiber would take only to end right after. Nothing joins these fibers (the
   * slots observe them): a `Fiber.join` would hand the worker scheduler to the joiner with the fiber's other refs.
   */
  const forkFiber = <A, E>(effect: Effect.Effect<A, E>) =>
    FiberSet.run(core.fibers, Effect.zipRight(FiberRef.set(FiberRef.currentScheduler, workerScheduler), effect))
  const fork = <A, E>(effect: Effect.Effect<A, E>) => Effect.asVoid(forkFiber(effect))

  // Slots and runs refer to each other: the slots reach `runLeased` (defined below) only when they claim.
  const slots = makeWorkerSlots(core, fork, forkFiber, () => runLeased)

  const runProcess = (
    record: ProcessRecord,
    ensureHeld: Effect.Effect<void, StoreError>
  ): Effect.Effect<ProcessAwaitOutput, unknown> =>
    Effect.gen(function*() {
      const controlled = yield* core.controller.scoped({ type: "process", processId: record.id })
      // No effect (a tool call above all) starts once the run cannot be sure it still holds its lease: the check
      // fails with a store error, which a journal never records, and the run gives the process back.
      const scoped: ScopedEffects = {
        scope: controlled.scope,
        execute: (envelope, codec, local) => controlled.execute(envelope, codec, Effect.zipRight(ensureHeld, local))
      }
      const ctx: EngineContext = {
        core,
        record,
        scoped,
        appendEvent: (req) => drivers().queued.appendProcessEvent(record.id, req),
        rebuild: rebuildFor(core, envs, catalogs, record),
        drivers: drivers(),
        waiting: (effect) => slots.waiting(record.id, effect)
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

  const runLeased = makeRunLeased({ core, slots, runProcess })

  /**
   * Unstarted deliveries first (one whose subscription or occurrence does not decode is set aside, so it never fills
   * the window again), then claim runnable processes while pages come back full.
   */
  const sweep = (startDelivery: (p: UnstartedDelivery) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      yield* slots.armParked
      const unstarted = yield* core.triggers.listUnstartedDeliveriesReport(64)
      for (const item of unstarted.unreadable) {
        yield* setAsideDelivery(core, item).pipe(
          Effect.catchAll((e) => Effect.logWarning(`unreadable delivery ${item.processId} not set aside`, e))
        )
      }
      for (const item of unstarted.deliveries) yield* startDelivery(item)
      const claimed = yield* slots.claimLoop
      yield* Effect.annotateCurrentSpan({
        [Attributes.sweepDeliveriesStarted]: unstarted.deliveries.length,
        [Attributes.sweepDeliveriesSetAside]: unstarted.unreadable.length,
        [Attributes.sweepClaimed]: claimed
      })
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning("worker sweep failed; the next poke or sweep retries", e)),
      Effect.withSpan(SpanNames.workerSweep, { captureStackTrace: false })
    )

  return {
    recover: slots.recover,
    sweep,
    fork,
    running: slots.running,
    registerForRun: slots.registerForRun,
    launch: slots.launch,
    localOutcome: slots.localOutcome,
    abandon: slots.abandon
  }
}
