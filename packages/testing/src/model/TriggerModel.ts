/**
 * MB-TS: the trigger store against a reference model (packages/testing/README.md, "Model-based conformance"). Steps:
 * register (two sessions, two registration keys, two draft variants, two source keys), cancel (own and foreign),
 * record occurrences (known and new idempotency keys, changed payloads), reserve deliveries, start a delivery's
 * process, and reads. The model holds the contract: registration is idempotent per (registrant, key) and conflicts on
 * a changed draft; handles are never reused; an occurrence reaches only the enabled matching subscriptions up to its
 * high-water mark, once each.
 *
 * @since 0.1.0
 */
import { Ids, type OccurrenceId, ProcessRegistry, type SessionId, TriggerKeys, TriggerStore } from "@lash/core"
import { Context, Effect, FastCheck as fc } from "effect"
import { button, BUTTON_SOURCE, reg, same, triggerDraft } from "../conformance/Fixtures.js"
import type { Handle } from "../conformance/Harness.js"
import { modelScenario, type ModelStep } from "./ModelRun.js"

interface SubscriptionState {
  readonly session: string
  readonly key: string
  readonly draft: string
  readonly sourceKey: string
  readonly subscriptionId: string
  readonly handle: string
  readonly handleNo: number
  enabled: boolean
}

interface OccurrenceState {
  readonly idempotencyKey: string
  readonly color: string
  readonly occurrenceId: OccurrenceId
  readonly sourceKey: string
  /** The subscriptions (by id) registered when it was recorded. */
  readonly highWater: number
  readonly reserved: Set<string>
}

interface TriggerModel {
  readonly subs: Array<SubscriptionState>
  readonly occurrences: Array<OccurrenceState>
  readonly started: Set<string>
}

const SESSIONS = ["session-a", "session-b"]
const SOURCE_KEYS = [
  TriggerKeys.sourceKey(BUTTON_SOURCE, { panel: "one" }),
  TriggerKeys.sourceKey(BUTTON_SOURCE, { panel: "two" })
]
const triggers = (h: Handle) => Context.get(h, TriggerStore)

/** The idempotency key `i` always names the same source key, so only its payload can change. */
const occurrenceKey = (i: number) => ({ idempotencyKey: `idem-${i}`, sourceKey: SOURCE_KEYS[i % 2]! })

const register = (session: string, key: number, draft: number, source: number): ModelStep<TriggerModel> => ({
  label: `register(${session}, reg:${key}, draft ${draft}, source ${source})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const name = `sub-${draft}`
      const registrationKey = `reg:${key}`
      const call = triggers(h).register(triggerDraft(session, SOURCE_KEYS[source]!, name, registrationKey))
      const known = m.subs.find((s) => s.session === session && s.key === registrationKey)
      const draftId = `${name}|${source}`
      if (known !== undefined && known.draft !== draftId) {
        yield* ctx.expectFailure(
          "a changed draft under a used (registrant, key) conflicts",
          call,
          "TriggerRegistrationConflict"
        )
        return
      }
      const record = yield* ctx.expectSuccess("registration succeeds", call)
      if (known !== undefined) {
        yield* ctx.invariant(
          "the same draft under a used key returns the same subscription and handle",
          record.subscriptionId === known.subscriptionId && record.handle === known.handle,
          { subscriptionId: known.subscriptionId, handle: known.handle },
          { subscriptionId: record.subscriptionId, handle: record.handle }
        )
        return
      }
      const highest = Math.max(0, ...m.subs.map((s) => s.handleNo))
      yield* ctx.invariant(
        "a new subscription gets a handle never used before, numbered above every earlier one",
        !m.subs.some((s) => s.handle === record.handle || s.subscriptionId === record.subscriptionId) &&
          record.handleNo > highest && record.enabled,
        `a new handle numbered above ${highest}`,
        { handle: record.handle, handleNo: record.handleNo }
      )
      m.subs.push({
        session,
        key: registrationKey,
        draft: draftId,
        sourceKey: SOURCE_KEYS[source]!,
        subscriptionId: record.subscriptionId,
        handle: record.handle,
        handleNo: record.handleNo,
        enabled: true
      })
    })
})

const cancel = (session: string, i: number): ModelStep<TriggerModel> => ({
  label: `cancel(${session}, subscription #${i})`,
  applies: (m) => m.subs.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const sub = m.subs[i % m.subs.length]!
      const expected = sub.session === session && sub.enabled
      const cancelled = yield* ctx.expectSuccess(
        "cancel succeeds",
        triggers(h).cancel(session as SessionId, sub.handle as never)
      )
      yield* ctx.invariant(
        "cancel is true only for the registrant session's own enabled subscription",
        cancelled === expected,
        expected,
        cancelled
      )
      if (expected) sub.enabled = false
    })
})

const record = (i: number, color: number): ModelStep<TriggerModel> => ({
  label: `recordOccurrence(idem-${i}, color ${color})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const { idempotencyKey, sourceKey } = occurrenceKey(i)
      const colorName = color === 0 ? "Blue" : "Red"
      const call = triggers(h).recordOccurrence(button(sourceKey, idempotencyKey, colorName))
      const known = m.occurrences.find((o) => o.idempotencyKey === idempotencyKey)
      if (known !== undefined && known.color !== colorName) {
        yield* ctx.expectFailure(
          "a used idempotency key with another payload conflicts",
          call,
          "TriggerIdempotencyConflict"
        )
        return
      }
      const occ = yield* ctx.expectSuccess("recording succeeds", call)
      if (known !== undefined) {
        yield* ctx.invariant(
          "a known idempotency key with the same payload returns the same occurrence",
          occ.occurrenceId === known.occurrenceId,
          known.occurrenceId,
          occ.occurrenceId
        )
        return
      }
      m.occurrences.push({
        idempotencyKey,
        color: colorName,
        occurrenceId: occ.occurrenceId,
        sourceKey,
        highWater: Math.max(0, ...m.subs.map((s) => s.handleNo)),
        reserved: new Set()
      })
    })
})

const reserve = (i: number): ModelStep<TriggerModel> => ({
  label: `reserveDeliveries(occurrence #${i})`,
  applies: (m) => m.occurrences.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const occ = m.occurrences[i % m.occurrences.length]!
      const fresh = m.subs
        .filter((s) =>
          s.enabled && s.sourceKey === occ.sourceKey && s.handleNo <= occ.highWater &&
          !occ.reserved.has(s.subscriptionId)
        )
        .map((s) => s.subscriptionId)
      const expected = m.subs
        .filter((s) => occ.reserved.has(s.subscriptionId) || fresh.includes(s.subscriptionId))
        .sort((a, b) => a.handleNo - b.handleNo)
        .map((s) => [s.subscriptionId, fresh.includes(s.subscriptionId)])
      const got = yield* ctx.expectSuccess(
        "reserveDeliveries succeeds",
        triggers(h).reserveDeliveries(occ.occurrenceId)
      )
      const seen = got.map((r) => [r.subscription.subscriptionId, r.isNew])
      yield* ctx.invariant(
        "reserve returns every reservation of the occurrence, by handle: new ones once for each enabled matching " +
          "subscription up to its high-water mark",
        same(seen, expected),
        expected,
        seen
      )
      yield* ctx.invariant(
        "a reservation's process id is deliveryProcessId(occurrence, subscription)",
        got.every((r) =>
          r.processId === Ids.deliveryProcessId(occ.occurrenceId, r.subscription.subscriptionId as never)
        ),
        "deterministic process ids",
        got.map((r) => r.processId)
      )
      for (const id of fresh) occ.reserved.add(id)
    })
})

const start = (i: number): ModelStep<TriggerModel> => ({
  label: `start a delivery's process (reservation #${i})`,
  applies: (m) => m.occurrences.some((o) => o.reserved.size > 0),
  run: (m, h) =>
    Effect.gen(function*() {
      const all = m.occurrences.flatMap((o) =>
        [...o.reserved].map((s) => Ids.deliveryProcessId(o.occurrenceId, s as never) as string)
      )
      const id = all[i % all.length]!
      yield* Context.get(h, ProcessRegistry).register(reg(id))
      m.started.add(id)
    })
})

const reads = (session: string): ModelStep<TriggerModel> => ({
  label: `read(${session})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const expected = m.subs
        .filter((s) => s.session === session)
        .sort((a, b) => a.handleNo - b.handleNo)
        .map((s) => [s.handle, s.enabled])
      const listed = (yield* triggers(h).list({ sessionId: session as SessionId })).map((s) => [s.handle, s.enabled])
      yield* ctx.invariant(
        "list({ sessionId }) is that session's subscriptions, enabled or not",
        same(listed, expected),
        expected,
        listed
      )
      const unstarted = (yield* triggers(h).listUnstartedDeliveries(1_000)).map((d) =>
        d.reservation.processId as string
      ).sort()
      const expectedUnstarted = m.occurrences
        .flatMap((o) => [...o.reserved].map((s) => Ids.deliveryProcessId(o.occurrenceId, s as never) as string))
        .filter((id) => !m.started.has(id))
        .sort()
      yield* ctx.invariant(
        "listUnstartedDeliveries is every reservation whose process was never registered",
        same(unstarted, expectedUnstarted),
        expectedUnstarted,
        unstarted
      )
    })
})

const pick = <A>(xs: ReadonlyArray<A>) => fc.constantFrom(...xs)

/** MB-TS. @since 0.1.0 */
export const triggerModelScenario = modelScenario<TriggerModel>({
  id: "MB-TS",
  suite: "ModelBased",
  title: "the trigger store behaves like its reference model under generated call sequences",
  initial: Effect.sync(() => ({ subs: [], occurrences: [], started: new Set() })),
  steps: [
    fc.tuple(pick(SESSIONS), fc.nat(1), fc.constantFrom(0, 0, 1), fc.nat(1)).map(([s, k, d, src]) =>
      register(s, k, d, src)
    ),
    fc.tuple(pick(SESSIONS), fc.nat(10)).map(([s, i]) => cancel(s, i)),
    fc.tuple(fc.nat(3), fc.constantFrom(0, 0, 1)).map(([i, c]) => record(i, c)),
    fc.nat(10).map(reserve),
    fc.nat(10).map(start),
    pick(SESSIONS).map(reads)
  ]
})
