/**
 * EffectController scenarios (packages/testing/README.md), for the inline and the journaled flavor. The journaled controller
 * is built over the backend's EffectJournal; "restart" is a second controller over a reopened handle.
 *
 * @since 0.1.0
 */
import {
  EffectController,
  type EffectControllerService,
  type EffectEnvelope,
  type ExecutionScope,
  Ids,
  InlineEffectController,
  JournaledEffectController,
  type Json
} from "@lash/core"
import { Context, Deferred, Effect, Layer, Ref, Schema } from "effect"
import type { Handle, Scenario, ScenarioContext } from "./Harness.js"

/** The error of the durable-step fixtures. @since 0.1.0 */
export class StepFailed extends Schema.TaggedError<StepFailed>()("StepFailed", { code: Schema.String }) {}

const codec = {
  success: Schema.Unknown as unknown as Schema.Schema<Json, Json>,
  failure: StepFailed as unknown as Schema.Schema<StepFailed, Json>
}

const turnScope: ExecutionScope = {
  type: "turn",
  sessionId: "durable-step-session" as never,
  turnId: "durable-step-turn" as never
}
const step = (id: string, command: Json): EffectEnvelope => ({
  scope: turnScope,
  effectId: `durable-step:${id}`,
  kind: "exec_code",
  replayKey: `durable-step-replay:${id}`,
  command
})

const controllerOn = (flavor: "inline" | "journaled", handle: Handle): Effect.Effect<EffectControllerService> =>
  Effect.scoped(
    Effect.map(
      Layer.build(
        flavor === "inline"
          ? InlineEffectController.layer
          : JournaledEffectController.layer.pipe(Layer.provide(Layer.succeedContext(handle)))
      ),
      Context.get(EffectController)
    )
  )

const scenarios = (flavor: "inline" | "journaled"): ReadonlyArray<Scenario> => {
  const tag = flavor === "inline" ? "I" : "J"
  const controller = (ctx: ScenarioContext) => controllerOn(flavor, ctx.handle)
  return [
    {
      id: `EC-01-${tag}`,
      suite: "EffectController",
      title: `${flavor}: kind, scope ids and rejected empty scopes (EC-01..03)`,
      clock: "test",
      run: (ctx) =>
        Effect.gen(function*() {
          const c = yield* controller(ctx)
          yield* ctx.invariant("kind equals the flavor", c.kind === flavor, flavor, c.kind)
          const scoped = yield* c.scoped({ type: "queue_drain", sessionId: "session-1" as never, drainId: "drain-1" })
          yield* ctx.invariant(
            "scoped effects keep their scope",
            Ids.scopeId(scoped.scope) === "drain:session-1:drain-1",
            "drain:session-1:drain-1",
            Ids.scopeId(scoped.scope)
          )
          const bad: ReadonlyArray<ExecutionScope> = [
            { type: "turn", sessionId: "" as never, turnId: "turn" as never },
            { type: "turn", sessionId: "session" as never, turnId: "" as never },
            { type: "turn", sessionId: "session" as never, turnId: "  " as never },
            { type: "process", processId: "" as never },
            { type: "queue_drain", sessionId: "session" as never, drainId: "" },
            { type: "runtime_operation", operationId: "" }
          ]
          for (const scope of bad) {
            yield* ctx.expectFailure(
              `an empty id in ${JSON.stringify(scope)} is rejected`,
              c.scoped(scope),
              "InvalidExecutionScope"
            )
          }
        })
    },
    {
      id: `DS-01-${tag}`,
      suite: "EffectController",
      title: `${flavor}: execute returns local results and preserves typed errors`,
      clock: "test",
      run: (ctx) =>
        Effect.gen(function*() {
          const c = yield* controller(ctx)
          const scoped = yield* c.scoped(turnScope)
          const calls = yield* Ref.make(0)
          const local = Effect.as(Ref.update(calls, (n) => n + 1), { recorded: { x: 1 } } as Json)
          const first = yield* scoped.execute(step("create", { x: 1 }), codec, local)
          yield* ctx.invariant(
            "execute returns local's value",
            JSON.stringify(first) === JSON.stringify({ recorded: { x: 1 } }),
            { recorded: { x: 1 } },
            first
          )
          const err = yield* ctx.expectFailure(
            "a typed local error passes through",
            scoped.execute(
              step("error", { x: 1 }),
              codec,
              Effect.fail(new StepFailed({ code: "durable_step_conformance_error" }))
            ),
            "StepFailed"
          )
          yield* ctx.invariant(
            "the error keeps its value",
            (err as StepFailed).code === "durable_step_conformance_error",
            "durable_step_conformance_error",
            (err as StepFailed).code
          )
          yield* scoped.execute(step("create", { x: 1 }), codec, local)
          const n = yield* Ref.get(calls)
          const expected = flavor === "inline" ? 2 : 1
          yield* ctx.invariant(
            flavor === "inline" ? "inline runs local every time" : "journaled runs local once per key",
            n === expected,
            expected,
            n
          )
        })
    },
    {
      id: `CR-01-${tag}`,
      suite: "EffectController",
      title: `${flavor}: concurrent effects are independent (no global lock around local) and replay by key`,
      clock: "live",
      run: (ctx) =>
        Effect.gen(function*() {
          const scope: ExecutionScope = {
            type: "turn",
            sessionId: "effect-conformance-session" as never,
            turnId: "effect-conformance-turn" as never
          }
          const env = (id: string): EffectEnvelope => ({
            scope,
            effectId: id,
            kind: "exec_code",
            replayKey: `effect-conformance:effect-conformance-turn:${id}`,
            command: { id }
          })
          const c = yield* controller(ctx)
          const scoped = yield* c.scoped(scope)
          const slowStarted = yield* Deferred.make<void>()
          const fastDone = yield* Deferred.make<void>()
          const order = yield* Ref.make<ReadonlyArray<string>>([])
          // Slow waits for fast to finish: both must be in flight at once.
          const slow = scoped.execute(
            env("effect-slow"),
            codec,
            Effect.gen(function*() {
              yield* Deferred.succeed(slowStarted, undefined)
              yield* Deferred.await(fastDone)
              yield* Ref.update(order, (o) => [...o, "slow"])
              return { marker: "slow" } as Json
            })
          )
          const fast = scoped.execute(
            env("effect-fast"),
            codec,
            Effect.gen(function*() {
              yield* Deferred.await(slowStarted)
              yield* Ref.update(order, (o) => [...o, "fast"])
              yield* Deferred.succeed(fastDone, undefined)
              return { marker: "fast" } as Json
            })
          )
          const both = yield* Effect.all([slow, fast], { concurrency: "unbounded" }).pipe(
            Effect.timeout("2 seconds"),
            Effect.either
          )
          yield* ctx.invariant(
            "both effects run concurrently and finish within 2 s",
            both._tag === "Right",
            "both finish",
            both._tag === "Left" ? String(both.left) : "ok"
          )
          const done = yield* Ref.get(order)
          yield* ctx.invariant(
            "fast completes first and releases slow",
            JSON.stringify(done) === JSON.stringify(["fast", "slow"]),
            ["fast", "slow"],
            done
          )
          if (flavor === "journaled") {
            const again = yield* (yield* controllerOn("journaled", yield* ctx.reopen)).scoped(scope)
            const dying = Effect.dieMessage("local must not run on replay")
            const [f, sl] = yield* Effect.all([
              again.execute(env("effect-fast"), codec, dying),
              again.execute(env("effect-slow"), codec, dying)
            ], { concurrency: "unbounded" })
            yield* ctx.invariant(
              "each replay returns its own key's outcome",
              JSON.stringify([f, sl]) === JSON.stringify([{ marker: "fast" }, { marker: "slow" }]),
              [{ marker: "fast" }, { marker: "slow" }],
              [f, sl]
            )
          }
        })
    },
    ...(flavor === "journaled"
      ? [
        {
          id: "DS-02",
          suite: "EffectController",
          title: "journaled: a restarted controller replays recorded outcomes without running local",
          clock: "live",
          run: (ctx: ScenarioContext) =>
            Effect.gen(function*() {
              const c = yield* controller(ctx)
              const scoped = yield* c.scoped(turnScope)
              yield* scoped.execute(
                step("replay-success", { n: 1 }),
                codec,
                Effect.succeed({ first: { n: 1 } } as Json)
              )
              yield* Effect.either(
                scoped.execute(
                  step("replay-error", { n: 2 }),
                  codec,
                  Effect.fail(new StepFailed({ code: "durable_step_replay_error" }))
                )
              )
              const restarted = yield* controllerOn("journaled", yield* ctx.reopen)
              const again = yield* restarted.scoped(turnScope)
              const ran = yield* Ref.make(0)
              const mustNotRun = Effect.zipRight(
                Ref.update(ran, (n) => n + 1),
                Effect.fail(new StepFailed({ code: "local ran on replay" }))
              )
              const ok = yield* Effect.either(again.execute(step("replay-success", { n: 1 }), codec, mustNotRun))
              const failed = yield* Effect.either(again.execute(step("replay-error", { n: 2 }), codec, mustNotRun))
              yield* ctx.invariant(
                "the success replays",
                ok._tag === "Right" && JSON.stringify(ok.right) === JSON.stringify({ first: { n: 1 } }),
                { first: { n: 1 } },
                ok
              )
              yield* ctx.invariant(
                "the error replays with its value",
                failed._tag === "Left" && (failed.left as StepFailed).code === "durable_step_replay_error",
                "StepFailed(durable_step_replay_error)",
                failed
              )
              yield* ctx.invariant("no local ran", (yield* Ref.get(ran)) === 0, 0, yield* Ref.get(ran))
            })
        } satisfies Scenario
      ]
      : [])
  ]
}

/** The EffectController scenarios for both flavors. @since 0.1.0 */
export const effectControllerScenarios: ReadonlyArray<Scenario> = [...scenarios("inline"), ...scenarios("journaled")]
