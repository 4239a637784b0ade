/**
 * SessionLifecycle, ProcessEnvStore / ArtifactStore and EffectJournal scenarios (packages/testing/README.md).
 *
 * @since 0.1.0
 */
import {
  ArtifactStore,
  EffectJournal,
  type EnvRef,
  loadProcessExecutionEnv,
  persistProcessExecutionEnv,
  ProcessEnvStore,
  type ProcessExecutionEnvSpec,
  type SessionId,
  SessionStore
} from "@lash/core"
import { Context, Effect, Option } from "effect"
import { commitOf, createRequest, envSpec, moduleArtifact, same } from "./Fixtures.js"
import type { Scenario } from "./Harness.js"

/** The scenarios of this module. @since 0.1.0 */
export const storeScenarios: ReadonlyArray<Scenario> = [
  {
    id: "SF-02",
    suite: "SessionLifecycle",
    title: "a missing session is absent and stays absent",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        const a = yield* s.exists("missing" as SessionId)
        const loaded = yield* s.load("missing" as SessionId)
        const b = yield* s.exists("missing" as SessionId)
        yield* ctx.invariant(
          "exists and load never create",
          !a && Option.isNone(loaded) && !b,
          [false, "None", false],
          [a, loaded._tag, b]
        )
      })
  },
  {
    id: "SF-03",
    suite: "SessionLifecycle",
    title: "create seeds the session at revision 0",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create({
          ...createRequest("session-a"),
          relation: { type: "child", parentSessionId: "parent-session" as SessionId }
        })
        const loaded = Option.getOrUndefined(yield* s.load("session-a" as SessionId))
        yield* ctx.invariant(
          "revision 0, the relation, an empty graph and the initial checkpoint",
          loaded !== undefined && loaded.headRevision === 0 && loaded.relation.type === "child" &&
            loaded.graph.nodes.length === 0 && loaded.checkpoint.turnIndex === 0,
          "seeded session",
          loaded
        )
      })
  },
  {
    id: "SF-04",
    suite: "SessionLifecycle",
    title: "create is idempotent and never overwrites",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const s = Context.get(ctx.handle, SessionStore)
        yield* s.create(createRequest("stable-session"))
        yield* s.commit(commitOf("stable-session", 0, "t1"))
        const before = yield* s.load("stable-session" as SessionId)
        yield* s.create({
          ...createRequest("stable-session"),
          relation: { type: "child", parentSessionId: "x" as SessionId }
        })
        const after = yield* s.load("stable-session" as SessionId)
        yield* ctx.invariant(
          "a repeated create changes nothing",
          Option.isSome(before) && same(Option.getOrNull(before), Option.getOrNull(after)),
          "unchanged",
          "changed"
        )
      })
  },
  {
    id: "PE-02",
    suite: "EnvAndArtifact",
    title: "specs round-trip; a missing ref is None; put is insert-if-absent",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const envs = Context.get(ctx.handle, ProcessEnvStore)
        const spec = envSpec("first")
        yield* envs.put("process-env:conformance" as EnvRef, spec)
        const got = yield* envs.get("process-env:conformance" as EnvRef)
        yield* ctx.invariant(
          "the spec round-trips",
          Option.isSome(got) && same(got.value, spec),
          "deep-equal",
          "different"
        )
        yield* envs.put("process-env:conformance" as EnvRef, envSpec("second"))
        const kept = yield* envs.get("process-env:conformance" as EnvRef)
        yield* ctx.invariant(
          "the first put wins",
          Option.isSome(kept) && same(kept.value, spec),
          "first",
          "overwritten"
        )
        const missing = yield* envs.get("process-env:missing" as EnvRef)
        yield* ctx.invariant("an unknown ref is None", Option.isNone(missing), "None", missing._tag)
        yield* ctx.expectFailure(
          "loading an unknown env fails",
          loadProcessExecutionEnv("process-env:missing" as EnvRef).pipe(Effect.provideService(ProcessEnvStore, envs)),
          "ProcessEnvNotFound"
        )
      })
  },
  {
    id: "PE-05",
    suite: "EnvAndArtifact",
    title: "core helpers are deterministic content addresses",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const envs = Context.get(ctx.handle, ProcessEnvStore)
        const persist = (spec: ProcessExecutionEnvSpec) =>
          persistProcessExecutionEnv(spec).pipe(Effect.provideService(ProcessEnvStore, envs))
        const a = yield* persist(envSpec("a"))
        const reordered = yield* persist({ policy: envSpec("a").policy, pluginOptions: envSpec("a").pluginOptions })
        const b = yield* persist(envSpec("b"))
        yield* ctx.invariant(
          "refs are sha256 content addresses, key-order independent and distinct per spec",
          /^process-env:sha256:[0-9a-f]{64}$/.test(a) && a === reordered && a !== b,
          "stable distinct refs",
          [a, reordered, b]
        )
      })
  },
  {
    id: "AR-01",
    suite: "EnvAndArtifact",
    title: "artifacts round-trip; missing is None; puts are insert-if-absent",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const store = Context.get(ctx.handle, ArtifactStore)
        const artifact = yield* moduleArtifact
        yield* store.put(artifact)
        yield* store.put(artifact)
        const got = yield* store.get(artifact.moduleRef)
        yield* ctx.invariant(
          "the artifact round-trips",
          Option.isSome(got) && same(got.value, artifact),
          "deep-equal",
          "different"
        )
        const missing = yield* store.get("lashlang:v1:sha256:0")
        yield* ctx.invariant("an unknown ref is None", Option.isNone(missing), "None", missing._tag)
      })
  },
  {
    id: "EJ-03",
    suite: "EffectJournal",
    title: "record and lookup round-trip; record is insert-if-absent; keys are scoped",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const j = Context.get(ctx.handle, EffectJournal)
        const miss = yield* j.lookup("turn:s1:t", "k")
        yield* ctx.invariant("a miss is None", Option.isNone(miss), "None", miss._tag)
        const ok = {
          scopeId: "turn:s1:t",
          replayKey: "k",
          requestHash: "h1",
          exit: { _tag: "Success" as const, value: { n: 1 } }
        }
        const failed = {
          scopeId: "turn:s2:t",
          replayKey: "k",
          requestHash: "h2",
          exit: { _tag: "Failure" as const, error: { code: "x" } }
        }
        yield* j.record(ok)
        yield* j.record(failed)
        const winner = yield* j.record({ ...ok, exit: { _tag: "Success", value: { n: 2 } } })
        yield* ctx.invariant("the first record wins", same(winner, ok), ok, winner)
        const a = yield* j.lookup("turn:s1:t", "k")
        const b = yield* j.lookup("turn:s2:t", "k")
        yield* ctx.invariant(
          "entries are scoped and round-trip",
          Option.isSome(a) && same(a.value, ok) && Option.isSome(b) && same(b.value, failed),
          [ok, failed],
          [a, b]
        )
      })
  }
]
