/**
 * TriggerStore, ProcessEnvStore, ArtifactStore, EffectJournal, StorageInfo and `fresh` mutants, and the per-handle
 * read cache (packages/testing/README.md, "The kit can fail").
 *
 * @since 0.1.0
 */
import {
  ArtifactStore,
  EffectJournal,
  Ids,
  type JournalEntry,
  ProcessEnvStore,
  type ProcessExecutionEnvSpec,
  ProcessRegistry,
  SessionStore,
  StorageInfo,
  type TriggerDeliveryReservation,
  type TriggerOccurrenceRecord,
  TriggerStore,
  type TriggerSubscriptionRecord
} from "@lash/core"
import { Effect, Layer, Option } from "effect"
import type { Handle } from "../conformance/Harness.js"
import type { StorageLayer, StorageUnderTest } from "../StorageUnderTest.js"
import { type Mutant, override, wrapHandles } from "./Mutant.js"

type Triggers = TriggerStore["Type"]

const triggerMutant = <S>(name: string, perStore: () => S, f: (real: Triggers, store: S) => Partial<Triggers>) =>
  wrapHandles(name, perStore, (handle, store) => override(handle, TriggerStore, (real) => f(real, store)))

/** Every subscription registered through the store, by subscription id. */
const subscriptions = () => new Map<string, TriggerSubscriptionRecord>()
const trackRegistrations = (real: Triggers, subs: Map<string, TriggerSubscriptionRecord>): Partial<Triggers> => ({
  register: (draft) => Effect.tap(real.register(draft), (r) => void subs.set(r.subscriptionId, r))
})

/**
 * A per-handle read cache: reads are remembered per handle and forgotten only on that handle's own writes, so a write
 * through another handle is never seen.
 */
const cachedReads = (handle: Handle): Handle => {
  const cache = new Map<string, unknown>()
  const read = <A, E>(key: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    cache.has(key) ? Effect.succeed(cache.get(key) as A) : Effect.tap(effect, (a) => void cache.set(key, a))
  const write = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> => Effect.tap(effect, () => cache.clear())
  const writes = <S extends object>(real: S, names: ReadonlyArray<keyof S>): Partial<S> =>
    Object.fromEntries(
      names.map((n) => [n, (...args: Array<unknown>) =>
        write((real[n] as (...a: Array<unknown>) => Effect.Effect<unknown, unknown>)(...args))]
      )
    ) as Partial<S>
  const h1 = override(handle, SessionStore, (real) => ({
    ...writes(real, ["create", "commit", "enqueue", "claimReady", "renewClaim", "abandonClaim"]),
    load: (s) => read(`load:${s}`, real.load(s)),
    listQueued: (s) => read(`queued:${s}`, real.listQueued(s)),
    listPending: (s) => read(`pending:${s}`, real.listPending(s))
  }))
  const h2 = override(h1, ProcessRegistry, (real) => ({
    ...writes(real, ["register", "appendEvent", "claimLease", "renewLease", "releaseLease", "grantHandle"]),
    eventsAfter: (id, seq) => read(`events:${id}:${seq}`, real.eventsAfter(id, seq)),
    listHandleGrants: (scope) => read(`grants:${scope.sessionId}:${scope.frameId ?? ""}`, real.listHandleGrants(scope))
  }))
  return override(h2, TriggerStore, (real) => ({
    ...writes(real, ["register", "cancel", "recordOccurrence", "reserveDeliveries"]),
    list: (filter) => read(`subs:${JSON.stringify(filter)}`, real.list(filter))
  }))
}

/** The mutants of this module. @since 0.1.0 */
export const storeMutants: ReadonlyArray<Mutant> = [
  {
    name: "read-cache-per-handle",
    port: "SessionStore",
    bug: "each handle caches reads (sessions, queues, events, grants, subscriptions) and misses other handles' writes",
    caughtBy: ["RP-R1", "PR-R1", "TS-R1", "X-REOPEN-3"],
    apply: wrapHandles("read-cache-per-handle", () => undefined, (handle) => cachedReads(handle))
  },
  {
    name: "reservations-not-stored",
    port: "TriggerStore",
    bug: "trigger reservations are not stored: every reserve re-delivers with isNew: true",
    caughtBy: ["TS-04"],
    foundByModel: "MB-TS",
    apply: triggerMutant("reservations-not-stored", () => undefined, (real) => ({
      reserveDeliveries: (occ) =>
        Effect.map(real.reserveDeliveries(occ), (rs) => rs.map((r) => ({ ...r, isNew: true })))
    }))
  },
  {
    name: "high-water-ignored",
    port: "TriggerStore",
    bug: "reserveDeliveries ignores the occurrence's high-water mark: a later subscription gets a delivery",
    caughtBy: ["TS-04b"],
    foundByModel: "MB-TS",
    apply: triggerMutant("high-water-ignored", subscriptions, (real, subs) => ({
      ...trackRegistrations(real, subs),
      reserveDeliveries: (occurrenceId) =>
        Effect.gen(function*() {
          const got = yield* real.reserveDeliveries(occurrenceId)
          const known = got[0]?.subscription
          if (known === undefined) return got
          const extra: Array<TriggerDeliveryReservation> = [...subs.values()]
            .filter((s) =>
              s.sourceKey === known.sourceKey && s.enabled &&
              !got.some((r) => r.subscription.subscriptionId === s.subscriptionId)
            )
            .map((subscription) => ({
              occurrenceId,
              subscription,
              processId: Ids.deliveryProcessId(occurrenceId, subscription.subscriptionId),
              isNew: true
            }))
          return [...got, ...extra].sort((a, b) => a.subscription.handleNo - b.subscription.handleNo)
        })
    }))
  },
  {
    name: "register-returns-stored-on-changed-draft",
    port: "TriggerStore",
    bug: "TriggerStore.register returns the stored record for a changed draft under a used key",
    caughtBy: ["TS-02"],
    apply: triggerMutant("register-returns-stored-on-changed-draft", () => undefined, (real) => ({
      register: (draft) =>
        real.register(draft).pipe(
          Effect.catchTag("TriggerRegistrationConflict", (e) =>
            Effect.flatMap(real.list({}), (all) => {
              const stored = all.find((s) =>
                s.registrationKey === draft.registrationKey &&
                JSON.stringify(s.registrant) === JSON.stringify(draft.registrant)
              )
              return stored === undefined ? Effect.fail(e) : Effect.succeed(stored)
            }))
        )
    }))
  },
  {
    name: "list-ignores-session-with-filters",
    port: "TriggerStore",
    bug: "list ignores the session filter when another filter is set",
    caughtBy: ["X-ISO-1"],
    apply: triggerMutant("list-ignores-session-with-filters", () => undefined, (real) => ({
      list: (filter) => {
        const { sessionId, ...rest } = filter
        return sessionId === undefined || Object.keys(rest).length === 0 ? real.list(filter) : real.list(rest)
      }
    }))
  },
  {
    name: "cancel-deletes",
    port: "TriggerStore",
    bug: "cancel deletes the subscription instead of disabling it",
    caughtBy: ["TS-03"],
    apply: triggerMutant("cancel-deletes", () => undefined, (real) => ({
      list: (filter) => Effect.map(real.list(filter), (subs) => subs.filter((s) => s.enabled))
    }))
  },
  {
    name: "idempotency-conflict-swallowed",
    port: "TriggerStore",
    bug: "recording a known idempotency key with another payload returns the stored occurrence",
    caughtBy: ["X-TRIG-1"],
    foundByModel: "MB-TS",
    apply: triggerMutant(
      "idempotency-conflict-swallowed",
      () => new Map<string, TriggerOccurrenceRecord>(),
      (real, seen) => ({
        recordOccurrence: (req) =>
          real.recordOccurrence(req).pipe(
            Effect.tap((r) => void seen.set(req.idempotencyKey, r)),
            Effect.catchTag("TriggerIdempotencyConflict", (e) => {
              const first = seen.get(req.idempotencyKey)
              return first === undefined ? Effect.fail(e) : Effect.succeed(first)
            })
          )
      })
    )
  },
  {
    name: "handle-counter-per-handle",
    port: "TriggerStore",
    bug: "trigger handles are numbered per handle: a new handle starts again at trigger:1",
    caughtBy: ["X-REOPEN-6"],
    apply: wrapHandles("handle-counter-per-handle", () => undefined, (handle) => {
      let next = 0
      return override(handle, TriggerStore, (real) => ({
        register: (draft) =>
          Effect.map(real.register(draft), (r) => {
            next += 1
            return { ...r, handle: Ids.triggerHandle(next), handleNo: next }
          })
      }))
    })
  },
  {
    name: "reserve-check-then-set",
    port: "TriggerStore",
    bug: "reserveDeliveries decides isNew from a read made before its write",
    caughtBy: ["X-RACE-7"],
    apply: triggerMutant("reserve-check-then-set", () => undefined, (real) => ({
      reserveDeliveries: (occurrenceId) =>
        Effect.gen(function*() {
          const before = new Set(
            (yield* real.listUnstartedDeliveries(10_000)).map((d) =>
              `${d.reservation.occurrenceId}|${d.reservation.processId}`
            )
          )
          yield* Effect.yieldNow()
          const got = yield* real.reserveDeliveries(occurrenceId)
          return got.map((r) => ({ ...r, isNew: !before.has(`${r.occurrenceId}|${r.processId}`) }))
        })
    }))
  },
  {
    name: "env-put-overwrites",
    port: "ProcessEnvStore",
    bug: "ProcessEnvStore.put overwrites an existing ref (last writer wins)",
    caughtBy: ["PE-02"],
    apply: wrapHandles(
      "env-put-overwrites",
      () => new Map<string, ProcessExecutionEnvSpec>(),
      (handle, latest) =>
        override(handle, ProcessEnvStore, (real) => ({
          put: (ref, spec) => Effect.tap(real.put(ref, spec), () => void latest.set(ref, spec)),
          get: (ref) => Effect.map(real.get(ref), (o) => (latest.has(ref) ? Option.some(latest.get(ref)!) : o))
        }))
    )
  },
  {
    name: "artifact-loses-host-requirements",
    port: "ArtifactStore",
    bug: "ArtifactStore.get returns the artifact without its hostRequirementsRef",
    caughtBy: ["AR-01"],
    apply: wrapHandles(
      "artifact-loses-host-requirements",
      () => undefined,
      (handle) =>
        override(handle, ArtifactStore, (real) => ({
          get: (ref) => Effect.map(real.get(ref), Option.map((a) => ({ ...a, hostRequirementsRef: "" })))
        }))
    )
  },
  {
    name: "journal-last-writer-wins",
    port: "EffectJournal",
    bug: "EffectJournal.record overwrites an existing entry (last writer wins)",
    caughtBy: ["EJ-03", "X-RACE-11"],
    apply: wrapHandles(
      "journal-last-writer-wins",
      () => new Map<string, JournalEntry>(),
      (handle, latest) =>
        override(handle, EffectJournal, (real) => ({
          record: (entry) =>
            Effect.tap(real.record(entry), () => void latest.set(`${entry.scopeId}\u0000${entry.replayKey}`, entry))
              .pipe(
                Effect.as(entry)
              ),
          lookup: (scopeId, replayKey) =>
            Effect.map(real.lookup(scopeId, replayKey), (o) => {
              const mine = latest.get(`${scopeId}\u0000${replayKey}`)
              return mine === undefined ? o : Option.some(mine)
            })
        }))
    )
  },
  {
    name: "journal-lookup-misses",
    port: "EffectJournal",
    bug: "EffectJournal.lookup never finds an entry: a restarted journaled controller re-runs local",
    caughtBy: ["DS-02"],
    apply: wrapHandles(
      "journal-lookup-misses",
      () => undefined,
      (handle) => override(handle, EffectJournal, () => ({ lookup: () => Effect.succeed(Option.none()) }))
    )
  },
  {
    name: "tier-lie",
    port: "StorageInfo",
    bug: "StorageInfo reports the other tier than the ports",
    caughtBy: ["X-TIER-1"],
    apply: wrapHandles(
      "tier-lie",
      () => undefined,
      (handle) =>
        override(
          handle,
          StorageInfo,
          (real) => ({ tier: real.tier === "inline" ? "durable" as const : "inline" as const })
        )
    )
  },
  {
    name: "durability-report-lie",
    port: "StorageInfo",
    bug: "the durability report claims a crash safety the tier does not have (power-loss in memory, none on disk)",
    caughtBy: ["X-TIER-3"],
    apply: wrapHandles("durability-report-lie", () => undefined, (handle) =>
      override(handle, StorageInfo, (real) => ({
        durabilityReport: Effect.map(real.durabilityReport, (r) => ({
          ...r,
          crashSafety: r.crashSafety === "none" ? "power-loss" as const : "none" as const
        }))
      })))
  },
  {
    name: "env-put-write-behind",
    port: "ProcessEnvStore",
    bug: "puts stay in the writing handle (a write-behind buffer never flushed)",
    caughtBy: ["PE-R1"],
    apply: wrapHandles("env-put-write-behind", () => undefined, (handle) => {
      const buffered = new Map<string, ProcessExecutionEnvSpec>()
      return override(handle, ProcessEnvStore, (real) => ({
        put: (ref, spec) => Effect.sync(() => void (buffered.has(ref) || buffered.set(ref, spec))),
        get: (ref) => (buffered.has(ref) ? Effect.succeed(Option.some(buffered.get(ref)!)) : real.get(ref))
      }))
    })
  },
  {
    name: "journal-write-behind",
    port: "EffectJournal",
    bug: "journal entries stay in the writing handle (a write-behind buffer never flushed)",
    caughtBy: ["EJ-R1"],
    apply: wrapHandles("journal-write-behind", () => undefined, (handle) => {
      const buffered = new Map<string, JournalEntry>()
      const keyOf = (scopeId: string, replayKey: string) => `${scopeId}\u0000${replayKey}`
      return override(handle, EffectJournal, (real) => ({
        record: (entry) =>
          Effect.sync(() => {
            const key = keyOf(entry.scopeId, entry.replayKey)
            if (!buffered.has(key)) buffered.set(key, entry)
            return buffered.get(key)!
          }),
        lookup: (scopeId, replayKey) => {
          const found = buffered.get(keyOf(scopeId, replayKey))
          return found === undefined ? real.lookup(scopeId, replayKey) : Effect.succeed(Option.some(found))
        }
      }))
    })
  },
  {
    name: "unstarted-deliveries-unlisted",
    port: "TriggerStore",
    bug: "listUnstartedDeliveries lists nothing: a reservation whose process was never registered is lost",
    caughtBy: ["TS-05"],
    apply: triggerMutant("unstarted-deliveries-unlisted", () => undefined, () => ({
      listUnstartedDeliveries: () => Effect.succeed([])
    }))
  },
  {
    name: "fresh-rebuilds-store",
    port: "fresh",
    bug: "building the layer `fresh` returned again creates a new, empty store (no reopen)",
    caughtBy: ["X-TIER-2"],
    apply: (backend) => ({
      ...backend,
      name: `${backend.name}+fresh-rebuilds-store`,
      fresh: Effect.succeed(Layer.unwrapScoped(backend.fresh))
    })
  },
  {
    name: "fresh-shares-store",
    port: "fresh",
    bug: "every `fresh` call returns the same store",
    caughtBy: ["PR-01"],
    apply: (backend): StorageUnderTest => {
      // While one store is open, every further `fresh` call hands it out again.
      let current: StorageLayer | undefined
      return {
        ...backend,
        name: `${backend.name}+fresh-shares-store`,
        fresh: Effect.suspend(() =>
          current !== undefined
            ? Effect.succeed(current)
            : Effect.tap(backend.fresh, (layer) =>
              Effect.zipRight(
                Effect.sync(() => (current = layer)),
                Effect.addFinalizer(() => Effect.sync(() => (current = undefined)))
              ))
        )
      }
    }
  }
]
