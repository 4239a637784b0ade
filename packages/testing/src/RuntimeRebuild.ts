/**
 * `runtimeRebuildAndWorkerRecovery`: the five scenarios of the seed suite (packages/testing/README.md, RB-01..RB-05). Each
 * scenario writes through one core, CLOSES it, and builds a second core over a new handle on the same store: the
 * worker must rebuild everything (env, stored module, plugins, provider) purely from persisted state.
 *
 * @since 0.1.0
 */
import { describe, expect, it } from "@effect/vitest"
import {
  InlineEffectController,
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  SessionCreateRequest,
  TriggerKeys,
  TurnInput
} from "@lash/core"
import { Context, Effect, Layer, type Scope } from "effect"
import { echoTool, rebuildProvider, rebuildSurfacePlugin } from "./RebuildFixture.js"
import type { StorageLayer, StorageUnderTest } from "./StorageUnderTest.js"

const SESSION_ID = "rebuild-conformance"
const model = { id: "rebuild-model", limits: { contextWindowTokens: 8192 } }

type Controller = "inline" | "journaled"

const coreConfig: LashCoreConfig = {
  mode: "rlm",
  model,
  plugins: [rebuildSurfacePlugin],
  tools: [echoTool],
  worker: { leaseTtl: "2 seconds", renewEvery: "500 millis" }
}

/** Builds a core over a new handle on the store, in its own scope (closing it is the "restart"). */
const buildCore = (storage: StorageLayer, controller: Controller, provider: ReturnType<typeof rebuildProvider>) =>
  Effect.gen(function*() {
    const handle = yield* Layer.build(storage)
    const controllerLayer = controller === "inline" ? InlineEffectController.layer : JournaledEffectController.layer
    const ctx = yield* Layer.build(
      LashCore.layer(coreConfig).pipe(
        Layer.provide(
          Layer.mergeAll(
            LanguageModelProvider.single(provider),
            controllerLayer.pipe(Layer.provide(Layer.succeedContext(handle)))
          )
        ),
        Layer.provide(Layer.succeedContext(handle))
      )
    )
    return { core: Context.get(ctx, LashCore), registry: Context.get(handle, ProcessRegistry) }
  })

/** Session 1 registers the trigger in an RLM turn, then the core is closed. */
const registerAndRestart = (storage: StorageLayer, controller: Controller, prompt: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { core } = yield* buildCore(storage, controller, rebuildProvider())
      const session = yield* core.openSession(SESSION_ID)
      const output = yield* session.turn(TurnInput.text(prompt), { turnId: "register-turn" }).run
      expect(
        output.submittedValue._tag === "Some" ? output.submittedValue.value : undefined,
        "the registering turn submits"
      ).toBe("registered")
    })
  )

const awaitSuccess = (registry: Context.Tag.Service<ProcessRegistry>, id: string) =>
  Effect.gen(function*() {
    const out = yield* registry.awaitProcess(id as ProcessId).pipe(Effect.timeout("10 seconds"))
    expect(out.type, `process ${id} must reach terminal success through the rebuilt worker: ${JSON.stringify(out)}`)
      .toBe("success")
    return out
  })

const emitClock = (core: Context.Tag.Service<LashCore>, sourceKey: string, id: string) =>
  core.triggers().emit(
    {
      sourceType: "clock.Alarm",
      sourceKey,
      payload: { id, scheduled_at: "2026-06-01T08:00:00Z" },
      idempotencyKey: `test-clock:${id}`
    },
    { type: "runtime_operation", operationId: `trigger:test-clock:${id}` }
  )

const scenarios: ReadonlyArray<{
  readonly id: string
  readonly title: string
  readonly run: (storage: StorageLayer, controller: Controller) => Effect.Effect<void, unknown, Scope.Scope>
}> = [
  {
    id: "RB-01",
    title: "reopen restores the trigger registry installed by a turn",
    run: (storage, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(storage, controller, "register rebuild trigger")
        const { core } = yield* buildCore(storage, controller, rebuildProvider())
        const session = yield* core.openSession(SESSION_ID)
        const regs = yield* session.triggers().bySourceType("clock.Alarm")
        expect(regs.map((r) => [r.name, r.enabled]), "the registration survives the restart").toEqual([[
          "remembered",
          true
        ]])
        const report = yield* emitClock(core, regs[0]!.sourceKey, "daily-2026-06-01")
        expect(report.startedProcessIds, "one process per matching registration").toHaveLength(1)
      })
  },
  {
    id: "RB-02",
    title: "the worker runs a trigger-started Lashlang process after a restart",
    run: (storage, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(storage, controller, "register rebuild trigger")
        const { core, registry } = yield* buildCore(storage, controller, rebuildProvider())
        const session = yield* core.openSession(SESSION_ID)
        const regs = yield* session.triggers().bySourceType("clock.Alarm")
        const report = yield* emitClock(core, regs[0]!.sourceKey, "daily-2026-06-01")
        const out = yield* awaitSuccess(registry, report.startedProcessIds[0]!)
        expect(out, "the process finishes with the value its program computed from the event").toEqual({
          type: "success",
          value: { id: "daily-2026-06-01", ok: true }
        })
      })
  },
  {
    id: "RB-03",
    title: "a trigger-started process's wake keeps its provenance across a restart",
    run: (storage, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(storage, controller, "register rebuild button trigger")
        const { core, registry } = yield* buildCore(storage, controller, rebuildProvider())
        const report = yield* core.triggers().emit(
          {
            sourceType: "ui.button.pressed",
            sourceKey: TriggerKeys.emptySourceKey("ui.button.pressed"),
            source: {},
            payload: { button: "Red", message: "user pressed the red button", pressed_at: "2026-06-02T12:00:00Z" },
            idempotencyKey: "runtime-rebuild-trigger"
          },
          { type: "runtime_operation", operationId: "trigger:runtime-rebuild-trigger" }
        )
        expect(report.startedProcessIds).toHaveLength(1)
        const processId = report.startedProcessIds[0]!
        const record = yield* registry.get(processId as ProcessId)
        const causedBy = record.provenance.causedBy
        expect(causedBy, "the process is caused by the occurrence").toEqual({
          type: "trigger_occurrence",
          occurrenceId: report.occurrenceId
        })
        yield* awaitSuccess(registry, processId)
        const session = yield* core.openSession(SESSION_ID)
        for (let i = 0; i < 200; i++) {
          if ((yield* session.queuedWork).length === 0) break
          yield* Effect.sleep("50 millis")
        }
        const reopened = yield* core.openSession(SESSION_ID)
        const wake = reopened
          .readView()
          .messages.find((m) => m.role === "event" && m.origin?.kind === "process" && m.origin.processId === processId)
        expect(wake?.origin, "the drained wake is an Event message carrying the process, sequence and cause")
          .toMatchObject({
            kind: "process",
            processId,
            eventType: "process.wake",
            causedBy
          })
        expect(yield* reopened.queuedWork, "the wake is drained").toEqual([])
      })
  },
  {
    id: "RB-04",
    title: "the worker recovers a tool_call process registered before a restart",
    run: (storage, controller) =>
      Effect.gen(function*() {
        const envRef = yield* Effect.scoped(
          Effect.gen(function*() {
            const { core, registry } = yield* buildCore(storage, controller, rebuildProvider())
            const ref = yield* core.processEnv.persist({
              pluginOptions: { plugins: {} },
              policy: { model, providerId: "" }
            })
            yield* registry.register(
              ProcessRegistration.make({
                id: "proc-tool-call" as ProcessId,
                input: {
                  type: "tool_call",
                  call: {
                    callId: "rebuild-tool-call",
                    toolId: "tool:rebuild_echo" as never,
                    toolName: "rebuild_echo",
                    args: { value: "recovered" },
                    preparedPayload: null
                  }
                },
                provenance: ProcessProvenance.host(),
                envRef: ref
              })
            )
            return ref
          })
        )
        expect(envRef).toBeTruthy()
        const { registry } = yield* buildCore(storage, controller, rebuildProvider())
        const out = yield* awaitSuccess(registry, "proc-tool-call")
        expect(out).toEqual({ type: "success", value: { value: "recovered" } })
      })
  },
  {
    id: "RB-05",
    title: "the worker recovers a session_turn process registered before a restart",
    run: (storage, controller) =>
      Effect.gen(function*() {
        yield* Effect.scoped(
          Effect.gen(function*() {
            const { registry } = yield* buildCore(storage, controller, rebuildProvider())
            const createRequest = yield* SessionCreateRequest.child(SESSION_ID, {
              startPoint: "empty",
              policy: { model, providerId: "" },
              pluginOptions: { plugins: {} },
              usageSource: "rebuild-conformance"
            })
            yield* registry.register(
              ProcessRegistration.make({
                id: "proc-session-turn" as ProcessId,
                input: {
                  type: "session_turn",
                  createRequest,
                  turnInput: TurnInput.text("run child"),
                  outputContract: { type: "static" }
                },
                provenance: ProcessProvenance.host()
              })
            )
          })
        )
        const { registry } = yield* buildCore(storage, controller, rebuildProvider())
        const out = yield* awaitSuccess(registry, "proc-session-turn")
        expect(out.type).toBe("success")
      })
  }
]

/**
 * Registers the runtime rebuild & worker recovery suite for a backend, under the inline and the journaled effect
 * controllers. Scenarios run on the live clock: leases, renewals and awaits are real.
 *
 * @since 0.1.0
 */
export const runtimeRebuildAndWorkerRecovery = (backend: StorageUnderTest): void => {
  describe(`${backend.name}: runtime rebuild & worker recovery`, () => {
    for (const controller of ["inline", "journaled"] as const) {
      for (const s of scenarios) {
        const title = `${s.id} ${s.title} (${controller} controller)`
        if (backend.skip?.includes(s.id)) it.skip(title, () => {})
        else it.scopedLive(title, () => Effect.flatMap(backend.fresh, (storage) => s.run(storage, controller)), 30_000)
      }
    }
  })
}
