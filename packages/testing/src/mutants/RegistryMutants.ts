/**
 * ProcessRegistry mutants (packages/testing/README.md, "The kit can fail").
 *
 * Longer than 400 lines on purpose: a list of independent entries, each readable on its own, that a reader
 * looks up by id; splitting it further would only scatter one port's contract over more files.
 *
 * @since 0.1.0
 */
import {
  Ids,
  type ProcessAwaitOutput,
  type ProcessEvent,
  type ProcessId,
  type ProcessLease,
  ProcessRegistry,
  type ProcessWakeDelivery
} from "@lash/core"
import { Clock, Deferred, Effect, FiberId, Option } from "effect"
import type { Handle } from "../conformance/Harness.js"
import { type Mutant, override, wrapHandles } from "./Mutant.js"

type Registry = ProcessRegistry["Type"]

/** The latest lease handed out per process, shared by every handle of a store. */
type Leases = Map<string, ProcessLease>

const tracking = (real: Registry, leases: Leases): Partial<Registry> => {
  const keep = (l: ProcessLease) => (leases.set(l.processId, l), l)
  return {
    claimLease: (id, owner, ttl) => Effect.map(real.claimLease(id, owner, ttl), keep),
    claimRunnable: (req) => Effect.map(real.claimRunnable(req), (ls) => ls.map(keep)),
    renewLease: (lease, ttl) => Effect.map(real.renewLease(lease, ttl), keep)
  }
}

/** A registry mutant over the tracked (still correct) registry: `f` gets it and the latest leases. */
const registryMutant = (
  name: string,
  f: (real: Registry, leases: Leases) => Partial<Registry>
) =>
  wrapHandles(
    name,
    () => new Map<string, ProcessLease>(),
    (handle, leases) =>
      override(handle, ProcessRegistry, (real) => {
        const tracked = Object.assign(Object.create(real) as Registry, tracking(real, leases))
        return { ...tracking(real, leases), ...f(tracked, leases) }
      })
  )

const now = Clock.currentTimeMillis
const isTerminalEvent = (type: string) =>
  type === "process.completed" || type === "process.failed" || type === "process.cancelled"

/** Rewrites a stored event's wake and its delivery as if every dedupe key were the event identity. */
const identityDedupe = (event: ProcessEvent): ProcessEvent =>
  event.wake === undefined
    ? event
    : { ...event, wake: { ...event.wake, dedupeKey: `${event.processId}:${event.sequence}` } }
const identityDelivery = (d: ProcessWakeDelivery): ProcessWakeDelivery => {
  const dedupeKey = `${d.processId}:${d.sequence}`
  return { ...d, dedupeKey, wakeId: Ids.wakeId(d.targetScopeId, dedupeKey) }
}

/** The ProcessRegistry mutants. @since 0.1.0 */
export const registryMutants: ReadonlyArray<Mutant> = [
  {
    name: "release-ignores-token",
    port: "ProcessRegistry",
    bug: "releaseLease frees whatever lease exists and ignores the token",
    caughtBy: ["PR-25"],
    apply: registryMutant("release-ignores-token", (real, leases) => ({
      releaseLease: (lease) => real.releaseLease(leases.get(lease.processId) ?? lease)
    }))
  },
  {
    name: "renew-any-live",
    port: "ProcessRegistry",
    bug: "renewLease checks only that some live lease exists, not that it is this one",
    caughtBy: ["PR-22", "X-LEASE-2"],
    apply: registryMutant("renew-any-live", (real, leases) => ({
      renewLease: (lease, ttl) =>
        real.renewLease(lease, ttl).pipe(
          Effect.catchTag("LeaseLost", (e) => {
            const latest = leases.get(lease.processId)
            return latest === undefined || latest.leaseToken === lease.leaseToken
              ? Effect.fail(e)
              : real.renewLease(latest, ttl)
          })
        )
    }))
  },
  {
    name: "expiry-off-by-one",
    port: "ProcessRegistry",
    bug: "off-by-one expiry (expiresAtMs >= now counted as live): a TTL-0 lease is still held",
    caughtBy: ["X-LEASE-1"],
    apply: registryMutant("expiry-off-by-one", (real) => ({
      claimLease: (id, owner, ttl) => real.claimLease(id, owner, ttl + 1)
    }))
  },
  {
    name: "renew-not-stored",
    port: "ProcessRegistry",
    bug: "renewal returns a new expiry but does not store it",
    caughtBy: ["PR-23"],
    apply: registryMutant("renew-not-stored", (real) => ({
      renewLease: (lease, ttl) =>
        Effect.gen(function*() {
          const t = yield* now
          const kept = yield* real.renewLease(lease, Math.max(0, lease.expiresAtMs - t))
          return { ...kept, expiresAtMs: t + ttl }
        })
    }))
  },
  {
    name: "renew-after-expiry",
    port: "ProcessRegistry",
    bug: "an expired lease may still renew while nobody else claimed the process",
    caughtBy: ["X-LEASE-4"],
    foundByModel: "MB-PR",
    apply: registryMutant("renew-after-expiry", (real, leases) => ({
      renewLease: (lease, ttl) =>
        real.renewLease(lease, ttl).pipe(
          Effect.catchTag("LeaseLost", (e) =>
            leases.get(lease.processId)?.leaseToken === lease.leaseToken
              ? Effect.mapError(real.claimLease(lease.processId, lease.ownerId, ttl), () => e)
              : Effect.fail(e))
        )
    }))
  },
  {
    name: "takeover-keeps-fencing",
    port: "ProcessRegistry",
    bug: "a claim after an expired (not released) lease reuses the expired lease's fencing token",
    caughtBy: ["X-RT-2", "X-LEASE-4"],
    foundByModel: "MB-PR",
    apply: wrapHandles("takeover-keeps-fencing", () => ({
      reported: new Map<string, ProcessLease>(),
      real: new Map<string, ProcessLease>(),
      released: new Set<string>()
    }), (handle, store) =>
      override(handle, ProcessRegistry, (real) => {
        const report = (lease: ProcessLease): ProcessLease => {
          const previous = store.reported.get(lease.processId)
          const shown = previous !== undefined && !store.released.has(lease.processId)
            ? { ...lease, fencingToken: previous.fencingToken }
            : lease
          store.released.delete(lease.processId)
          store.reported.set(lease.processId, shown)
          store.real.set(lease.leaseToken, lease)
          return shown
        }
        const actual = (lease: ProcessLease) => store.real.get(lease.leaseToken) ?? lease
        return {
          claimLease: (id, owner, ttl) => Effect.map(real.claimLease(id, owner, ttl), report),
          claimRunnable: (req) => Effect.map(real.claimRunnable(req), (ls) => ls.map(report)),
          renewLease: (lease, ttl) =>
            Effect.map(real.renewLease(actual(lease), ttl), (l) => ({ ...l, fencingToken: lease.fencingToken })),
          releaseLease: (lease) =>
            Effect.tap(real.releaseLease(actual(lease)), () => void store.released.add(lease.processId)),
          completeWithLease: (lease, output) => real.completeWithLease(actual(lease), output)
        }
      }))
  },
  {
    name: "lease-claim-check-then-set",
    port: "ProcessRegistry",
    bug: "claimLease checks for a live lease, yields, then writes: check-then-set without atomicity",
    caughtBy: ["X-RACE-1"],
    apply: registryMutant("lease-claim-check-then-set", (real, leases) => ({
      claimLease: (id, owner, ttl) =>
        Effect.gen(function*() {
          const t = yield* now
          const held = leases.get(id)
          if (held !== undefined && t < held.expiresAtMs) return yield* real.claimLease(id, owner, ttl)
          yield* Effect.yieldNow()
          return yield* real.claimLease(id, owner, ttl).pipe(
            Effect.catchTag("LeaseHeld", () =>
              Effect.succeed<ProcessLease>({
                processId: id,
                ownerId: owner,
                leaseToken: Ids.leaseToken(id, owner, (held?.fencingToken ?? 0) + 1),
                fencingToken: (held?.fencingToken ?? 0) + 1,
                claimedAtMs: t,
                expiresAtMs: t + ttl
              }))
          )
        })
    }))
  },
  {
    name: "sequence-outside-unit",
    port: "ProcessRegistry",
    bug: "the event sequence is computed as count + 1 outside the write unit",
    caughtBy: ["X-RACE-3"],
    foundByModel: "MB-PR",
    apply: registryMutant("sequence-outside-unit", (real) => ({
      appendEvent: (id, req) =>
        Effect.gen(function*() {
          const count = (yield* real.eventsAfter(id, 0)).length
          yield* Effect.yieldNow()
          const out = yield* real.appendEvent(id, req)
          return { ...out, event: { ...out.event, sequence: count + 1 } }
        })
    }))
  },
  {
    name: "register-check-then-set",
    port: "ProcessRegistry",
    bug: "register reads, yields, then inserts: concurrent first registrations all report created",
    caughtBy: ["X-RACE-5"],
    apply: registryMutant("register-check-then-set", (real) => ({
      register: (reg) =>
        Effect.gen(function*() {
          const missing = Option.isNone(Option.getRight(yield* Effect.either(real.get(reg.id))))
          yield* Effect.yieldNow()
          const out = yield* real.register(reg)
          return { ...out, created: missing }
        })
    }))
  },
  {
    name: "append-ignores-key",
    port: "ProcessRegistry",
    bug: "append ignores the replay key: a replayed keyed event is a new row",
    caughtBy: ["PR-08", "PR-05", "X-RACE-4"],
    apply: registryMutant("append-ignores-key", (real) => ({
      appendEvent: (id, req) => {
        const { replayKey: _ignored, ...rest } = req
        return real.appendEvent(id, isTerminalEvent(req.eventType) ? req : rest)
      }
    }))
  },
  {
    name: "register-swallows-conflict",
    port: "ProcessRegistry",
    bug: "a conflicting registration returns the stored record",
    caughtBy: ["PR-02"],
    foundByModel: "MB-PR",
    apply: registryMutant("register-swallows-conflict", (real) => ({
      register: (reg) =>
        real.register(reg).pipe(
          Effect.catchTag("ProcessRegistrationConflict", () =>
            Effect.map(Effect.orDie(real.get(reg.id as ProcessId)), (record) => ({ record, created: false })))
        )
    }))
  },
  {
    name: "claim-runnable-limit",
    port: "ProcessRegistry",
    bug: "claimRunnable ignores its limit",
    caughtBy: ["PR-26", "PR-26b"],
    apply: registryMutant("claim-runnable-limit", (real) => ({
      claimRunnable: (req) => real.claimRunnable({ ...req, limit: req.limit + 1 })
    }))
  },
  {
    name: "claim-runnable-leased-rows",
    port: "ProcessRegistry",
    bug: "claimRunnable also returns rows under a live lease",
    caughtBy: ["PR-26", "X-RACE-12"],
    apply: registryMutant("claim-runnable-leased-rows", (real, leases) => ({
      claimRunnable: (req) =>
        Effect.gen(function*() {
          const t = yield* now
          const got = yield* real.claimRunnable(req)
          const live = [...leases.values()].filter((l) =>
            t < l.expiresAtMs && !got.some((g) => g.processId === l.processId)
          )
          return [...got, ...live.map((l) => ({ ...l, ownerId: req.ownerId }))]
            .sort((a, b) => (a.processId < b.processId ? -1 : 1)).slice(0, req.limit)
        })
    }))
  },
  {
    name: "grant-ignores-frame",
    port: "ProcessRegistry",
    bug: "hasHandleGrant ignores the frame of the scope",
    caughtBy: ["PR-03"],
    apply: registryMutant("grant-ignores-frame", (real) => ({
      hasHandleGrant: (scope, id) => real.hasHandleGrant({ sessionId: scope.sessionId }, id)
    }))
  },
  {
    name: "wait-ignores-type",
    port: "ProcessRegistry",
    bug: "waitEventAfter returns the next event of any type",
    caughtBy: ["PR-06"],
    apply: registryMutant("wait-ignores-type", (real) => ({
      waitEventAfter: (id, type, seq) =>
        Effect.flatMap(
          real.eventsAfter(id, seq),
          (events) => events[0] !== undefined ? Effect.succeed(events[0]) : real.waitEventAfter(id, type, seq)
        )
    }))
  },
  {
    name: "events-after-includes-cursor",
    port: "ProcessRegistry",
    bug: "eventsAfter(n) includes event n",
    caughtBy: ["PR-06"],
    apply: registryMutant("events-after-includes-cursor", (real) => ({
      eventsAfter: (id, seq) => real.eventsAfter(id, Math.max(0, seq - 1))
    }))
  },
  {
    name: "dedupe-selector-ignored",
    port: "ProcessRegistry",
    bug: "a wake's dedupe key is always the event identity (selector and const dedupe keys ignored)",
    caughtBy: ["PR-07"],
    apply: registryMutant("dedupe-selector-ignored", (real) => ({
      appendEvent: (id, req) =>
        Effect.map(real.appendEvent(id, req), (out) => ({
          event: identityDedupe(out.event),
          wakeDelivery: Option.map(out.wakeDelivery, identityDelivery)
        })),
      eventsAfter: (id, seq) => Effect.map(real.eventsAfter(id, seq), (es) => es.map(identityDedupe))
    }))
  },
  {
    name: "await-never-wakes",
    port: "ProcessRegistry",
    bug: "awaitProcess checks once and is never woken by a later terminal write (no notify, no poll)",
    caughtBy: ["X-WAIT-1", "X-WAIT-2"],
    apply: registryMutant("await-never-wakes", (real) => ({
      awaitProcess: (id) =>
        Effect.flatMap(real.get(id), (r) => (r.status.state === "running" ? Effect.never : real.awaitProcess(id)))
    }))
  },
  {
    name: "waits-see-own-handle-only",
    port: "ProcessRegistry",
    bug: "waitEventAfter and awaitProcess are woken only by writes through their own handle (no store signal, no poll)",
    caughtBy: ["X-WAIT-2"],
    apply: wrapHandles("waits-see-own-handle-only", () => undefined, (handle) => {
      let written = Deferred.unsafeMake<void>(FiberId.none)
      const announce = Effect.suspend(() => {
        const done = written
        written = Deferred.unsafeMake<void>(FiberId.none)
        return Deferred.succeed(done, undefined)
      })
      /** Checks, and until `ready` answers, waits for the next write through this handle. */
      const waitFor = <A, E>(ready: Effect.Effect<Option.Option<A>, E>): Effect.Effect<A, E> =>
        Effect.suspend(() => {
          const next = written
          return Effect.flatMap(
            ready,
            Option.match({
              onSome: Effect.succeed,
              onNone: () => Effect.zipRight(Deferred.await(next), waitFor(ready))
            })
          )
        })
      return override(handle, ProcessRegistry, (real) => ({
        appendEvent: (id, req) => Effect.tap(real.appendEvent(id, req), () => announce),
        completeAsHost: (id, output) => Effect.tap(real.completeAsHost(id, output), () => announce),
        waitEventAfter: (id, eventType, sequence) =>
          waitFor(
            Effect.map(real.eventsAfter(id, sequence), (events) =>
              Option.fromNullable(events.find((e) => e.eventType === eventType)))
          ),
        awaitProcess: (id) =>
          Effect.zipRight(
            waitFor(Effect.map(real.get(id), (r) => (r.status.state === "running" ? Option.none() : Option.some(r)))),
            real.awaitProcess(id)
          )
      }))
    })
  },
  {
    name: "complete-swallows-conflict",
    port: "ProcessRegistry",
    bug: "completeAsHost on a terminal process returns the stored record whatever the output",
    caughtBy: ["X-RACE-10", "X-VAL-2"],
    apply: registryMutant("complete-swallows-conflict", (real) => ({
      completeAsHost: (id, output) =>
        Effect.catchTag(real.completeAsHost(id, output), "ProcessEventRejected", () => real.get(id))
    }))
  },
  {
    name: "await-returns-early",
    port: "ProcessRegistry",
    bug: "awaitProcess on a running process returns at once",
    caughtBy: ["X-WAIT-1"],
    apply: registryMutant("await-returns-early", (real) => ({
      awaitProcess: (id) =>
        Effect.flatMap(real.get(id), (r) =>
          r.status.state === "running"
            ? Effect.succeed<ProcessAwaitOutput>({ type: "cancelled", message: "not finished" })
            : real.awaitProcess(id))
    }))
  },
  {
    name: "originator-filter-dropped",
    port: "ProcessRegistry",
    bug: "list drops the originator filter when a status filter is also set",
    caughtBy: ["X-ISO-2"],
    apply: registryMutant("originator-filter-dropped", (real) => ({
      list: (filter) => {
        if (filter.status === undefined) return real.list(filter)
        const { originatorSessionId: _dropped, ...rest } = filter
        return real.list(rest)
      }
    }))
  },
  {
    name: "leases-per-handle",
    port: "ProcessRegistry",
    bug: "leases live in a per-handle table: another handle does not see them",
    caughtBy: ["X-REOPEN-1"],
    apply: wrapHandles("leases-per-handle", () => undefined, (handle) => {
      const local = new Map<string, ProcessLease>()
      return override(handle, ProcessRegistry, (real) => ({
        claimLease: (id, owner, ttl) =>
          Effect.gen(function*() {
            yield* real.get(id)
            const t = yield* now
            const held = local.get(id)
            if (held !== undefined && t < held.expiresAtMs) {
              return yield* real.claimLease(id, owner, ttl) // fails with LeaseHeld, as the local table says
            }
            const lease = yield* real.claimLease(id, owner, ttl).pipe(
              Effect.catchTag("LeaseHeld", () => {
                const fencingToken = (held?.fencingToken ?? 0) + 1
                return Effect.succeed<ProcessLease>({
                  processId: id,
                  ownerId: owner,
                  leaseToken: Ids.leaseToken(id, owner, fencingToken),
                  fencingToken,
                  claimedAtMs: t,
                  expiresAtMs: t + ttl
                })
              })
            )
            local.set(id, lease)
            return lease
          })
      }))
    })
  },
  {
    name: "terminal-write-behind",
    port: "ProcessRegistry",
    bug: "terminal results are kept in the handle and never reach the store",
    caughtBy: ["X-REOPEN-2", "X-VAL-2"],
    apply: wrapHandles("terminal-write-behind", () => undefined, (handle: Handle) => {
      const done = new Map<string, ProcessAwaitOutput>()
      return override(handle, ProcessRegistry, (real) => ({
        completeAsHost: (id, output) =>
          Effect.flatMap(real.get(id), (record) => {
            done.set(id, output)
            return Effect.succeed({ ...record, status: { state: "completed" as const, awaitOutput: output } })
          }),
        awaitProcess: (id) => {
          const out = done.get(id)
          return out === undefined ? real.awaitProcess(id) : Effect.succeed(out)
        },
        listNonTerminalIds: () => Effect.map(real.listNonTerminalIds(), (ids) => ids.filter((id) => !done.has(id)))
      }))
    })
  },
  {
    name: "sequence-per-handle",
    port: "ProcessRegistry",
    bug: "event sequences are counted per handle: a new handle starts again at 1",
    caughtBy: ["X-REOPEN-5"],
    apply: wrapHandles("sequence-per-handle", () => undefined, (handle: Handle) => {
      const counts = new Map<string, number>()
      return override(handle, ProcessRegistry, (real) => ({
        appendEvent: (id, req) =>
          Effect.map(real.appendEvent(id, req), (out) => {
            const sequence = (counts.get(id) ?? 0) + 1
            counts.set(id, sequence)
            return { ...out, event: { ...out.event, sequence } }
          })
      }))
    })
  },
  {
    name: "park-keeps-lease",
    port: "ProcessRegistry",
    bug: "park answers parked but leaves the lease live and the row unparked",
    caughtBy: ["PK-01", "PK-02", "PK-06"],
    apply: registryMutant("park-keeps-lease", () => ({
      park: () => Effect.succeed({ parked: true })
    }))
  },
  {
    name: "park-ignores-fence",
    port: "ProcessRegistry",
    bug: "park by a superseded lease parks the process under the live lease",
    caughtBy: ["PK-05"],
    apply: registryMutant("park-ignores-fence", (real, leases) => ({
      park: (lease, req) => real.park(leases.get(lease.processId) ?? lease, req)
    }))
  }
]
