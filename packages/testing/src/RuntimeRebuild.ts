/**
 * The runtime rebuild and worker recovery scenarios (packages/testing/README.md, "RuntimeRebuild"): RB-01..RB-05 of
 * the seed suite, each under the inline (`-I`) and the journaled (`-J`) effect controller, and X-RT-2. Each scenario
 * writes through one core, CLOSES it, and builds a second core over a new handle on the same store: the worker must
 * rebuild everything (env, stored module, plugins, provider) purely from persisted state. They are ordinary catalog
 * scenarios: runnable by id, failing with `ConformanceViolation`.
 *
 * @since 0.1.0
 */
import {
  InlineEffectController,
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type ProcessId,
  type ProcessLease,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  SessionCreateRequest,
  SessionId,
  TriggerKeys,
  TurnInput
} from "@lash/core"
import { Context, type Duration, Effect, Layer, type Scope } from "effect"
import type { Handle, Scenario, ScenarioContext } from "./conformance/Harness.js"
import { override } from "./mutants/Mutant.js"
import { echoTool, rebuildProvider, rebuildSurfacePlugin } from "./RebuildFixture.js"

const SESSION_ID = "rebuild-conformance"
const model = { id: "rebuild-model", limits: { contextWindowTokens: 8192 } }

type Controller = "inline" | "journaled"

const coreConfig = (sweepEvery: string | undefined): LashCoreConfig => ({
  mode: "rlm",
  model,
  plugins: [rebuildSurfacePlugin],
  tools: [echoTool],
  worker: {
    leaseTtl: "2 seconds",
    renewEvery: "500 millis",
    ...(sweepEvery === undefined ? {} : { sweepEvery: sweepEvery as Duration.DurationInput })
  }
})

/** Builds a core over a new handle on the store, in the current scope (closing it is the "restart"). */
const buildCore = (
  ctx: ScenarioContext,
  controller: Controller,
  options: { readonly sweepEvery?: string; readonly observe?: (handle: Handle) => Handle } = {}
) =>
  Effect.gen(function*() {
    const opened = yield* Layer.build(ctx.storage)
    const handle = options.observe === undefined ? opened : options.observe(opened)
    const controllerLayer = controller === "inline" ? InlineEffectController.layer : JournaledEffectController.layer
    const built = yield* Layer.build(
      LashCore.layer(coreConfig(options.sweepEvery)).pipe(
        Layer.provide(
          Layer.mergeAll(
            LanguageModelProvider.single(rebuildProvider()),
            controllerLayer.pipe(Layer.provide(Layer.succeedContext(handle)))
          )
        ),
        Layer.provide(Layer.succeedContext(handle))
      )
    )
    return { core: Context.get(built, LashCore), registry: Context.get(handle, ProcessRegistry) }
  })

/** Session 1 registers the trigger in an RLM turn, then the core is closed. */
const registerAndRestart = (ctx: ScenarioContext, controller: Controller, prompt: string) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { core } = yield* buildCore(ctx, controller)
      const session = yield* core.openSession(SESSION_ID)
      const output = yield* session.turn(TurnInput.text(prompt), { turnId: `${ctx.scenarioId}:turn:1` }).run
      const submitted = output.submittedValue._tag === "Some" ? output.submittedValue.value : undefined
      yield* ctx.invariant(
        "the registering turn registers the route through the runtime's triggers module and submits",
        submitted === "registered",
        "registered",
        submitted
      )
    })
  )

const awaitSuccess = (ctx: ScenarioContext, registry: Context.Tag.Service<ProcessRegistry>, id: string) =>
  Effect.gen(function*() {
    const out = yield* ctx.within(
      `process ${id} reaches a terminal state through the rebuilt worker`,
      10_000,
      registry.awaitProcess(id as ProcessId)
    )
    yield* ctx.invariant(
      `process ${id} succeeds through the rebuilt worker`,
      out.type === "success",
      { type: "success" },
      out
    )
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

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Waits (up to 1 s) until the core has no live fibers: the sweep its open forked has finished and cannot pick up a
 * registration made out of turn afterwards.
 */
const settled = (ctx: ScenarioContext, core: Context.Tag.Service<LashCore>) =>
  ctx.within(
    "the core's startup work settles (0 live fibers) before a registration is made out of turn",
    1_000,
    Effect.gen(function*() {
      while ((yield* core.diagnostics).liveFibers > 0) yield* Effect.sleep("10 millis")
    })
  )

/** Registers, out of turn and after the core settled, the RB-04 tool_call process (nothing runs it yet). */
const registerToolCall = (
  ctx: ScenarioContext,
  core: Context.Tag.Service<LashCore>,
  registry: Context.Tag.Service<ProcessRegistry>
) =>
  Effect.gen(function*() {
    yield* settled(ctx, core)
    const envRef = yield* core.processEnv.persist({ pluginOptions: { plugins: {} }, policy: { model, providerId: "" } })
    yield* registry.register(
      ProcessRegistration.toolCall({
        id: "proc-tool-call",
        callId: "rebuild-tool-call",
        toolName: "rebuild_echo",
        args: { value: "recovered" },
        provenance: ProcessProvenance.session({ sessionId: SessionId.make(SESSION_ID) }),
        envRef
      })
    )
  })

type Run = (ctx: ScenarioContext, controller: Controller) => Effect.Effect<void, unknown, Scope.Scope>

const rebuild: ReadonlyArray<{ readonly id: string; readonly title: string; readonly run: Run }> = [
  {
    id: "RB-01",
    title: "reopen restores the trigger registry installed by a turn",
    run: (ctx, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(ctx, controller, "register rebuild trigger")
        const { core } = yield* buildCore(ctx, controller)
        const session = yield* core.openSession(SESSION_ID)
        const regs = yield* session.triggers().bySourceType("clock.Alarm")
        const seen = regs.map((r) => [r.name, r.enabled])
        yield* ctx.invariant(
          "the subscription a turn wrote survives the restart, listed and enabled under its source type",
          same(seen, [["remembered", true]]),
          [["remembered", true]],
          seen
        )
        const report = yield* emitClock(core, regs[0]!.sourceKey, "daily-2026-06-01")
        yield* ctx.invariant(
          "an emit starts one process per matching registration",
          report.startedProcessIds.length === 1,
          1,
          report.startedProcessIds
        )
      })
  },
  {
    id: "RB-02",
    title: "the worker runs a trigger-started Lashlang process after a restart",
    run: (ctx, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(ctx, controller, "register rebuild trigger")
        const { core, registry } = yield* buildCore(ctx, controller)
        const session = yield* core.openSession(SESSION_ID)
        const regs = yield* session.triggers().bySourceType("clock.Alarm")
        yield* ctx.invariant("the registration survives the restart", regs.length === 1, 1, regs.length)
        const report = yield* emitClock(core, regs[0]!.sourceKey, "daily-2026-06-01")
        const out = yield* awaitSuccess(ctx, registry, report.startedProcessIds[0]!)
        const expected = { type: "success", value: { id: "daily-2026-06-01", ok: true } }
        yield* ctx.invariant(
          "the process finishes with the value its program computed from the event",
          same(out, expected),
          expected,
          out
        )
      })
  },
  {
    id: "RB-03",
    title: "a trigger-started process's wake keeps its provenance across a restart",
    run: (ctx, controller) =>
      Effect.gen(function*() {
        yield* registerAndRestart(ctx, controller, "register rebuild button trigger")
        const { core, registry } = yield* buildCore(ctx, controller)
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
        const causedBy = { type: "trigger_occurrence", occurrenceId: report.occurrenceId }
        const caused = (yield* registry.list({})).filter((r) => same(r.provenance.causedBy, causedBy)).map((r) => r.id)
        yield* ctx.invariant(
          "exactly one process is caused by the occurrence, the one the emit reports",
          caused.length === 1 && same(caused, report.startedProcessIds),
          report.startedProcessIds,
          caused
        )
        const processId = caused[0]!
        yield* awaitSuccess(ctx, registry, processId)
        const session = yield* core.openSession(SESSION_ID)
        yield* ctx.within(
          "the process's wake is drained from the session's queue",
          10_000,
          Effect.gen(function*() {
            while ((yield* session.queuedWork).length > 0) yield* Effect.sleep("50 millis")
          })
        )
        const reopened = yield* core.openSession(SESSION_ID)
        const wake = reopened
          .readView()
          .messages.find((m) => m.role === "event" && m.origin?.kind === "process" && m.origin.processId === processId)
        const origin = wake?.origin
        yield* ctx.invariant(
          "the drained wake is an event message carrying the process, its event type and the cause",
          origin !== undefined && origin.kind === "process" && origin.eventType === "process.wake" &&
            origin.sequence === 1 && same(origin.causedBy, causedBy),
          { kind: "process", processId, eventType: "process.wake", sequence: 1, causedBy },
          origin
        )
        const left = yield* reopened.queuedWork
        yield* ctx.invariant("the wake is drained", left.length === 0, [], left)
      })
  },
  {
    id: "RB-04",
    title: "the worker recovers a tool_call process registered before a restart",
    run: (ctx, controller) =>
      Effect.gen(function*() {
        yield* Effect.scoped(
          Effect.gen(function*() {
            const { core, registry } = yield* buildCore(ctx, controller)
            yield* registerToolCall(ctx, core, registry)
            const before = yield* registry.get("proc-tool-call" as ProcessId)
            yield* ctx.invariant(
              "the process is still running immediately before the restart (nothing ran it early)",
              before.status.state === "running",
              "running",
              before.status.state
            )
          })
        )
        const { registry } = yield* buildCore(ctx, controller)
        const out = yield* awaitSuccess(ctx, registry, "proc-tool-call")
        const expected = { type: "success", value: { value: "recovered" } }
        yield* ctx.invariant("the recovered tool call returns the tool's output", same(out, expected), expected, out)
      })
  },
  {
    id: "RB-05",
    title: "the worker recovers a session_turn process registered before a restart",
    run: (ctx, controller) =>
      Effect.gen(function*() {
        yield* Effect.scoped(
          Effect.gen(function*() {
            const { core, registry } = yield* buildCore(ctx, controller)
            yield* settled(ctx, core)
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
                provenance: ProcessProvenance.session({ sessionId: SESSION_ID as never })
              })
            )
            const before = yield* registry.get("proc-session-turn" as ProcessId)
            yield* ctx.invariant(
              "the process is still running immediately before the restart (nothing ran it early)",
              before.status.state === "running",
              "running",
              before.status.state
            )
          })
        )
        const { registry } = yield* buildCore(ctx, controller)
        yield* awaitSuccess(ctx, registry, "proc-session-turn")
      })
  }
]

/** Records every lease the worker takes on `processId` through this handle. */
const observeLeases = (processId: string, seen: Array<ProcessLease>) => (handle: Handle): Handle => {
  const keep = (l: ProcessLease) => {
    if (l.processId === processId) seen.push(l)
  }
  return override(handle, ProcessRegistry, (real) => ({
    claimLease: (id, owner, ttl) => Effect.tap(real.claimLease(id, owner, ttl), keep),
    claimRunnable: (req) => Effect.tap(real.claimRunnable(req), (ls) => ls.forEach(keep))
  }))
}

const crashedOwner: Scenario = {
  id: "X-RT-2",
  suite: "RuntimeRebuild",
  title: "a crashed owner's lease is recovered after it expires, with a higher fencing token",
  clock: "live",
  timeoutMs: 60_000,
  run: (ctx) =>
    Effect.gen(function*() {
      const crashed = yield* Effect.scoped(
        Effect.gen(function*() {
          const { core, registry } = yield* buildCore(ctx, "inline")
          yield* registerToolCall(ctx, core, registry)
          return yield* registry.claimLease("proc-tool-call" as ProcessId, "crashed-worker", 1_500)
        })
      )
      const leases: Array<ProcessLease> = []
      const { registry } = yield* buildCore(ctx, "inline", {
        sweepEvery: "200 millis",
        observe: observeLeases("proc-tool-call", leases)
      })
      yield* Effect.sleep("1 second")
      const during = yield* registry.get("proc-tool-call" as ProcessId)
      yield* ctx.invariant(
        "while the crashed owner's lease is live, no worker claims the process: it is still running 1 s after the restart",
        during.status.state === "running" && leases.length === 0,
        { state: "running", leases: 0 },
        { state: during.status.state, leases: leases.length }
      )
      yield* awaitSuccess(ctx, registry, "proc-tool-call")
      const winner = leases[leases.length - 1]
      yield* ctx.invariant(
        "the lease that won after expiry fences above the crashed owner's",
        winner !== undefined && winner.fencingToken > crashed.fencingToken,
        `fencingToken > ${crashed.fencingToken}`,
        leases.map((l) => ({ owner: l.ownerId, fencingToken: l.fencingToken }))
      )
    })
}

/** The runtime rebuild scenarios, in catalog order. @since 0.1.0 */
export const runtimeRebuildScenarios: ReadonlyArray<Scenario> = [
  ...(["inline", "journaled"] as const).flatMap((controller) =>
    rebuild.map((s): Scenario => ({
      id: `${s.id}-${controller === "inline" ? "I" : "J"}`,
      suite: "RuntimeRebuild",
      title: `${s.title} (${controller} controller)`,
      clock: "live",
      timeoutMs: 60_000,
      run: (ctx) => s.run(ctx, controller)
    }))
  ),
  crashedOwner
]
