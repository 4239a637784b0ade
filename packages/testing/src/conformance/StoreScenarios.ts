/**
 * TriggerStore, SessionLifecycle, ProcessEnvStore/ArtifactStore and EffectJournal
 * scenarios, plus the trigger race X-RACE-7.
 *
 * @since 0.1.0
 */
import {
  ArtifactStore,
  EffectJournal,
  type EnvRef,
  Ids,
  loadProcessExecutionEnv,
  persistProcessExecutionEnv,
  ProcessEnvStore,
  type ProcessExecutionEnvSpec,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  TriggerKeys,
  TriggerStore,
  type TriggerSubscriptionDraft
} from "@lash/core"
import { Canonical, type HostEnvironment, link, parse } from "@lash/lashlang"
import { Context, Effect, Exit, Option, TestClock } from "effect"
import type { Scenario, ScenarioContext } from "./Harness.js"
import { reg } from "./ProcessRegistryScenarios.js"
import { batchDraft, commitOf, createRequest } from "./SessionStoreScenarios.js"

const SOURCE = "ui.button.pressed"
const key = TriggerKeys.sourceKey(SOURCE, { panel: "main" })

/** A subscription draft of the TriggerStore scenarios. @since 0.1.0 */
export const triggerDraft = (
  session: string,
  sourceKey: string,
  name: string,
  registrationKey = `reg:${name}`
): TriggerSubscriptionDraft => ({
  registrant: { type: "session", scope: { sessionId: session as SessionId } },
  registrationKey,
  envRef: `process-env:${session}` as EnvRef,
  wakeTarget: { sessionId: session as SessionId },
  name,
  sourceType: SOURCE,
  sourceKey,
  source: {},
  payloadSchema: {
    type: "object",
    properties: { button: { type: "string" } },
    required: ["button"],
    additionalProperties: false
  },
  target: { type: "engine", kind: "test", payload: { process: name } },
  targetIdentity: { kind: "test", label: name, definition: { process_name: name } },
  eventTypes: [],
  inputTemplate: { event: { type: "event" } }
})

const button = (sourceKey: string, idempotencyKey: string) => ({
  sourceType: SOURCE,
  sourceKey,
  payload: { button: "Blue" },
  idempotencyKey,
  source: {}
})

const triggers = (ctx: ScenarioContext) => Context.get(ctx.handle, TriggerStore)
/** Deep equality independent of key order (stores may canonicalize). */
const same = (a: unknown, b: unknown) =>
  Canonical.canonicalJsonUnsafe(a as never) === Canonical.canonicalJsonUnsafe(b as never)

const envSpec = (note: string): ProcessExecutionEnvSpec => ({
  pluginOptions: {
    plugins: {
      "conformance-plugin": { note, unicode: "héllo ✓ 日本", n: 1.5, none: null, big: "x".repeat(100 * 1024) }
    }
  },
  policy: {
    providerId: "conformance-provider",
    model: { id: "conformance-model", limits: { contextWindowTokens: 200_000 } }
  }
})

const emptyEnv: HostEnvironment = {
  catalog: { modules: [], resourceTypes: {}, namedDataTypes: {}, constructors: {}, triggerSources: {} },
  abilities: { processes: true, sleep: false, processSignals: false, triggers: false },
  features: { labels: false },
  readOnlyBindings: {}
}

/** A tiny linked module with one process export. @since 0.1.0 */
export const moduleArtifact = Effect.map(
  Effect.flatMap(parse("process double(n: int) -> int { finish n * 2 }\nsubmit 1"), (p) => link(p, emptyEnv)),
  (linked) => linked.artifact
)

/** The scenarios of this module. @since 0.1.0 */
export const storeScenarios: ReadonlyArray<Scenario> = [
  {
    id: "TS-01",
    suite: "TriggerStore",
    title: "declared tier",
    clock: "test",
    run: (ctx) =>
      ctx.invariant(
        "the trigger store reports the declared tier",
        triggers(ctx).tier === ctx.tier,
        ctx.tier,
        triggers(ctx).tier
      )
  },
  {
    id: "TS-02",
    suite: "TriggerStore",
    title: "registration is idempotent on (registrant scope, registrationKey); a changed draft conflicts",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const a = yield* t.register(triggerDraft("session-a", key, "first", "reg:shared"))
        const b = yield* t.register(triggerDraft("session-a", key, "first", "reg:shared"))
        yield* ctx.invariant(
          "the same draft returns the same record",
          a.subscriptionId === b.subscriptionId && a.handle === b.handle,
          a.handle,
          b.handle
        )
        const other = yield* t.register(triggerDraft("session-b", key, "first", "reg:shared"))
        yield* ctx.invariant(
          "another registrant gets its own record",
          other.subscriptionId !== a.subscriptionId,
          "a new subscription",
          other.subscriptionId
        )
        const conflict = yield* ctx.expectFailure(
          "a changed draft under a used key conflicts",
          t.register(triggerDraft("session-a", key, "renamed", "reg:shared")),
          "TriggerRegistrationConflict"
        )
        const c = conflict as unknown as { readonly registrantScopeId: string; readonly registrationKey: string }
        yield* ctx.invariant(
          "the conflict names scope and key",
          c.registrantScopeId === "session:session-a" && c.registrationKey === "reg:shared",
          ["session:session-a", "reg:shared"],
          [c.registrantScopeId, c.registrationKey]
        )
        const listed = yield* t.list({ sessionId: "session-a" as SessionId })
        yield* ctx.invariant(
          "the first record is unchanged",
          listed.length === 1 && listed[0]!.name === "first",
          "first",
          listed.map((r) => r.name)
        )
      })
  },
  {
    id: "TS-03",
    suite: "TriggerStore",
    title: "register, list, cancel (cancel is scoped by session and only disables)",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const first = yield* t.register(triggerDraft("session-a", key, "first"))
        const second = yield* t.register(triggerDraft("session-b", key, "second"))
        yield* ctx.invariant("handles differ", first.handle !== second.handle, "distinct", [
          first.handle,
          second.handle
        ])
        const byKey = yield* t.list({ sourceType: SOURCE, sourceKey: key, enabled: true })
        yield* ctx.invariant(
          "both are listed by source, registrant order",
          same(byKey.map((r) => r.name), ["first", "second"]),
          ["first", "second"],
          byKey.map((r) => r.name)
        )
        const foreign = yield* t.cancel("session-b" as SessionId, first.handle)
        yield* ctx.invariant("another session cannot cancel", !foreign, false, foreign)
        const own = yield* t.cancel("session-a" as SessionId, first.handle)
        const again = yield* t.cancel("session-a" as SessionId, first.handle)
        yield* ctx.invariant("cancel is true once, then false", own && !again, [true, false], [own, again])
        const kept = yield* t.list({ sessionId: "session-a" as SessionId, handle: first.handle })
        yield* ctx.invariant(
          "cancel disables and never deletes",
          kept.length === 1 && kept[0]!.enabled === false,
          "enabled: false",
          kept.map((r) => r.enabled)
        )
      })
  },
  {
    id: "TS-04",
    suite: "TriggerStore",
    title: "occurrences and reservations are idempotent",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const sub = yield* t.register(triggerDraft("session-a", key, "on_button"))
        const occ = yield* t.recordOccurrence(button(key, "button-blue-1"))
        const r1 = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "the first reserve is new, with the deterministic process id",
          r1.length === 1 && r1[0]!.isNew &&
            r1[0]!.processId === Ids.deliveryProcessId(occ.occurrenceId, sub.subscriptionId),
          "1 new reservation",
          r1.map((r) => [r.isNew, r.processId])
        )
        const r2 = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "a second reserve is not new",
          r2.length === 1 && !r2[0]!.isNew,
          "1 old reservation",
          r2.map((r) => r.isNew)
        )
        const again = yield* t.recordOccurrence(button(key, "button-blue-1"))
        yield* ctx.invariant(
          "re-recording returns the same occurrence",
          again.occurrenceId === occ.occurrenceId,
          occ.occurrenceId,
          again.occurrenceId
        )
        yield* t.cancel("session-a" as SessionId, sub.handle)
        const later = yield* t.recordOccurrence(button(key, "button-blue-2"))
        const none = yield* t.reserveDeliveries(later.occurrenceId)
        yield* ctx.invariant("a cancelled subscription gets nothing", none.length === 0, 0, none.length)
      })
  },
  {
    id: "TS-04b",
    suite: "TriggerStore",
    title: "an occurrence never reaches a later subscription",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        yield* t.register(triggerDraft("session-a", key, "early"))
        const occ = yield* t.recordOccurrence(button(key, "button-blue-1"))
        yield* t.register(triggerDraft("session-b", key, "late"))
        const r = yield* t.reserveDeliveries(occ.occurrenceId)
        yield* ctx.invariant(
          "only the earlier subscription is reserved",
          same(r.map((x) => x.subscription.name), ["early"]),
          ["early"],
          r.map((x) => x.subscription.name)
        )
        const occ2 = yield* t.recordOccurrence(button(key, "button-blue-2"))
        const r2 = yield* t.reserveDeliveries(occ2.occurrenceId)
        yield* ctx.invariant("a new occurrence reaches both", r2.length === 2, 2, r2.length)
      })
  },
  {
    id: "TS-05",
    suite: "TriggerStore",
    title: "unstarted deliveries after a crash between reserve and start",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const registry = Context.get(ctx.handle, ProcessRegistry)
        yield* t.register(triggerDraft("session-a", key, "on_button"))
        const o1 = yield* t.recordOccurrence(button(key, "button-blue-1"))
        const [d1] = yield* t.reserveDeliveries(o1.occurrenceId)
        yield* TestClock.adjust("1 millis")
        const o2 = yield* t.recordOccurrence(button(key, "button-blue-2"))
        const [d2] = yield* t.reserveDeliveries(o2.occurrenceId)
        const both = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "both are unstarted, oldest first",
          same(both.map((x) => x.reservation.processId), [d1!.processId, d2!.processId]),
          [d1!.processId, d2!.processId],
          both.map((x) => x.reservation.processId)
        )
        yield* registry.register(reg(d1!.processId))
        const rest = yield* t.listUnstartedDeliveries(10)
        yield* ctx.invariant(
          "a started delivery leaves the list",
          same(rest.map((x) => x.reservation.processId), [d2!.processId]),
          [d2!.processId],
          rest.map((x) => x.reservation.processId)
        )
      })
  },
  {
    id: "X-TRIG-1",
    suite: "TriggerStore",
    title: "a known idempotency key with a different payload conflicts",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const first = yield* t.recordOccurrence(button(key, "idem-1"))
        yield* ctx.expectFailure(
          "a changed payload under a used key conflicts",
          t.recordOccurrence({ ...button(key, "idem-1"), payload: { button: "Red" } }),
          "TriggerIdempotencyConflict"
        )
        const again = yield* t.recordOccurrence(button(key, "idem-1"))
        yield* ctx.invariant(
          "the stored occurrence is unchanged",
          again.contentHash === first.contentHash,
          first.contentHash,
          again.contentHash
        )
      })
  },
  {
    id: "X-RACE-7",
    suite: "TriggerStore",
    title: "concurrent occurrence recording and reservation: one id, one new delivery per subscription",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        yield* t.register(triggerDraft("session-a", key, "a"))
        yield* t.register(triggerDraft("session-b", key, "b"))
        const recorded = yield* ctx.race(8, () => t.recordOccurrence(button(key, "race-1")))
        const ids = new Set(recorded.flatMap((e) => (Exit.isSuccess(e) ? [e.value.occurrenceId] : [])))
        yield* ctx.invariant(
          "one occurrence id for one idempotency key",
          ids.size === 1 && recorded.every(Exit.isSuccess),
          1,
          ids.size
        )
        const [occurrenceId] = [...ids]
        const reserved = yield* ctx.race(8, () => t.reserveDeliveries(occurrenceId!))
        const fresh = reserved.flatMap((e) => (Exit.isSuccess(e) ? e.value.filter((r) => r.isNew) : []))
        yield* ctx.invariant(
          "exactly one new reservation per subscription across all callers",
          fresh.length === 2,
          2,
          fresh.length
        )
      })
  },
  {
    id: "TS-R1",
    suite: "TriggerStore",
    title: "triggers survive reopen",
    clock: "live",
    tiers: ["durable"],
    run: (ctx) =>
      Effect.gen(function*() {
        const t = triggers(ctx)
        const sub = yield* t.register(triggerDraft("session-a", key, "on_button"))
        const occ = yield* t.recordOccurrence(button(key, "button-blue-1"))
        yield* t.reserveDeliveries(occ.occurrenceId)
        const t2 = Context.get(yield* ctx.reopen, TriggerStore)
        const listed = yield* t2.list({ sessionId: "session-a" as SessionId })
        const replay = yield* t2.recordOccurrence(button(key, "button-blue-1"))
        const r = yield* t2.reserveDeliveries(replay.occurrenceId)
        const next = yield* t2.recordOccurrence(button(key, "button-blue-2"))
        const r2 = yield* t2.reserveDeliveries(next.occurrenceId)
        yield* ctx.invariant(
          "subscription, occurrence and reservations survive",
          listed[0]?.handle === sub.handle && replay.occurrenceId === occ.occurrenceId && r.every((x) => !x.isNew) &&
            r2.filter((x) => x.isNew).length === 1,
          "same handle, same occurrence, no new reservation, then 1 new",
          [listed[0]?.handle, replay.occurrenceId, r.map((x) => x.isNew), r2.map((x) => x.isNew)]
        )
      })
  },
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
    id: "PE-R1",
    suite: "EnvAndArtifact",
    title: "envs and artifacts survive reopen",
    clock: "live",
    tiers: ["durable"],
    run: (ctx) =>
      Effect.gen(function*() {
        const artifact = yield* moduleArtifact
        yield* Context.get(ctx.handle, ProcessEnvStore).put("process-env:reopen" as EnvRef, envSpec("r"))
        yield* Context.get(ctx.handle, ArtifactStore).put(artifact)
        const again = yield* ctx.reopen
        const env = yield* Context.get(again, ProcessEnvStore).get("process-env:reopen" as EnvRef)
        const art = yield* Context.get(again, ArtifactStore).get(artifact.moduleRef)
        yield* ctx.invariant("both survive", Option.isSome(env) && Option.isSome(art), "both Some", [
          env._tag,
          art._tag
        ])
      })
  },
  {
    id: "X-TIER-4",
    suite: "Backend",
    title: "everything written through a handle that is then closed is read back by a new handle",
    clock: "live",
    tiers: ["durable"],
    run: (ctx) =>
      Effect.gen(function*() {
        const artifact = yield* moduleArtifact
        const written = yield* Effect.scoped(
          Effect.gen(function*() {
            const h = yield* ctx.reopen
            const sessions = Context.get(h, SessionStore)
            yield* sessions.create(createRequest("tier4"))
            yield* sessions.commit(commitOf("tier4", 0, "t1"))
            const batch = yield* sessions.enqueue(batchDraft("tier4", "queued", "tier4:queued"))
            const registry = Context.get(h, ProcessRegistry)
            yield* registry.register(reg("tier4-proc", { eventTypes: [] }))
            yield* registry.grantHandle({ sessionId: "tier4" as SessionId }, "tier4-proc" as never, {})
            const t = Context.get(h, TriggerStore)
            const sub = yield* t.register(triggerDraft("tier4", key, "tier4-sub"))
            const occ = yield* t.recordOccurrence(button(key, "tier4-occ"))
            yield* Context.get(h, ProcessEnvStore).put("process-env:tier4" as EnvRef, envSpec("tier4"))
            yield* Context.get(h, ArtifactStore).put(artifact)
            yield* Context.get(h, EffectJournal).record({
              scopeId: "turn:tier4:t",
              replayKey: "k",
              requestHash: "h",
              exit: { _tag: "Success", value: 1 }
            })
            return { batchId: batch.batchId, handle: sub.handle, occurrenceId: occ.occurrenceId }
          })
        )
        const h = yield* ctx.reopen
        const loaded = yield* Context.get(h, SessionStore).load("tier4" as SessionId)
        const queued = yield* Context.get(h, SessionStore).listQueued("tier4" as SessionId)
        const proc = yield* Effect.either(Context.get(h, ProcessRegistry).get("tier4-proc" as never))
        const grants = yield* Context.get(h, ProcessRegistry).listHandleGrants({ sessionId: "tier4" as SessionId })
        const subs = yield* Context.get(h, TriggerStore).list({ sessionId: "tier4" as SessionId })
        const occ = yield* Context.get(h, TriggerStore).recordOccurrence(button(key, "tier4-occ"))
        const env = yield* Context.get(h, ProcessEnvStore).get("process-env:tier4" as EnvRef)
        const art = yield* Context.get(h, ArtifactStore).get(artifact.moduleRef)
        const entry = yield* Context.get(h, EffectJournal).lookup("turn:tier4:t", "k")
        const found = [
          Option.isSome(loaded) && loaded.value.headRevision === 1,
          queued[0]?.batchId === written.batchId,
          proc._tag === "Right",
          grants.length === 1,
          subs[0]?.handle === written.handle,
          occ.occurrenceId === written.occurrenceId,
          Option.isSome(env),
          Option.isSome(art),
          Option.isSome(entry)
        ]
        yield* ctx.invariant(
          "every port's record is read back after all handles closed",
          found.every((x) => x),
          "all true",
          found
        )
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
