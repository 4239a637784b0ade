/**
 * The kit must be able to fail (packages/testing/README.md): each mutant is the memory backend with exactly one rule broken,
 * and the named scenario must reject it with a ConformanceViolation (not a crash), while passing on the real one.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type LashStorage,
  type ProcessId,
  type ProcessLease,
  ProcessRegistry,
  SessionStore,
  StorageInfo,
  type StorageSignals
} from "@lash/core"
import { runScenarioById, type StorageUnderTest } from "@lash/testing"
import { Clock, Context, Effect, Layer } from "effect"
import { MemoryBackend } from "../src/index.js"

type Handle = Context.Context<LashStorage | StorageSignals>

const backend = (name: string, mutate: (ctx: Handle) => Handle): StorageUnderTest => ({
  name,
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), (ctx) => Layer.succeedContext(mutate(ctx)))
})

const registryMutant = (
  name: string,
  f: (real: ProcessRegistry["Type"], latest: Map<string, ProcessLease>) => Partial<ProcessRegistry["Type"]>
) =>
  backend(name, (ctx) => {
    const real = Context.get(ctx, ProcessRegistry)
    const latest = new Map<string, ProcessLease>()
    const remember = (l: ProcessLease) => (latest.set(l.processId, l), l)
    const tracked: ProcessRegistry["Type"] = {
      ...real,
      claimLease: (id, owner, ttl) => Effect.map(real.claimLease(id, owner, ttl), remember),
      renewLease: (lease, ttl) => Effect.map(real.renewLease(lease, ttl), remember)
    }
    return Context.add(ctx, ProcessRegistry, { ...tracked, ...f(tracked, latest) })
  })

const storeMutant = (name: string, f: (real: SessionStore["Type"]) => Partial<SessionStore["Type"]>) =>
  backend(name, (ctx) => {
    const real = Context.get(ctx, SessionStore)
    return Context.add(ctx, SessionStore, { ...real, ...f(real) })
  })

const mutants: ReadonlyArray<readonly [string, string, StorageUnderTest]> = [
  [
    "releaseLease frees whatever lease exists and ignores the token",
    "PR-25",
    registryMutant("release-ignores-token", (real, latest) => ({
      releaseLease: (lease) => real.releaseLease(latest.get(lease.processId) ?? lease)
    }))
  ],
  [
    "renewLease checks only that some live lease exists",
    "PR-22",
    registryMutant("renew-any-live", (real, latest) => ({
      renewLease: (lease, ttl) =>
        real.renewLease(lease, ttl).pipe(
          Effect.catchTag(
            "LeaseLost",
            (e) => (latest.has(lease.processId) ? real.renewLease(latest.get(lease.processId)!, ttl) : Effect.fail(e))
          )
        )
    }))
  ],
  [
    "off-by-one expiry: a TTL-0 lease is still held",
    "X-LEASE-1",
    registryMutant(
      "expiry-off-by-one",
      (real) => ({ claimLease: (id, owner, ttl) => real.claimLease(id, owner, ttl + 1) })
    )
  ],
  [
    "renewal returns a new expiry but does not store it",
    "PR-23",
    registryMutant("renew-not-stored", (real) => ({
      renewLease: (lease, ttl) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const kept = yield* real.renewLease(lease, Math.max(0, lease.expiresAtMs - now))
          return { ...kept, expiresAtMs: now + ttl }
        })
    }))
  ],
  [
    "append ignores the replay key (duplicate rows)",
    "PR-08",
    registryMutant("append-ignores-key", (real) => ({
      appendEvent: (id, req) => {
        const { replayKey: _ignored, ...rest } = req
        return real.appendEvent(
          id,
          req.eventType.startsWith("process.c") || req.eventType === "process.failed" ? req : rest
        )
      }
    }))
  ],
  [
    "claimRunnable ignores its limit",
    "PR-26",
    registryMutant(
      "claim-runnable-limit",
      (real) => ({ claimRunnable: (req) => real.claimRunnable({ ...req, limit: req.limit + 1 }) })
    )
  ],
  [
    "a conflicting registration returns the stored record",
    "PR-02",
    registryMutant("register-swallows-conflict", (real) => ({
      register: (reg) =>
        real.register(reg).pipe(
          Effect.catchTag("ProcessRegistrationConflict", () =>
            Effect.map(Effect.orDie(real.get(reg.id as ProcessId)), (record) => ({ record, created: false })))
        )
    }))
  ],
  [
    "commit ignores expectedHeadRevision",
    "X-CAS-1",
    storeMutant("commit-ignores-cas", (real) => ({
      commit: (c) =>
        Effect.flatMap(
          real.load(c.sessionId),
          (loaded) =>
            real.commit({
              ...c,
              expectedHeadRevision: loaded._tag === "Some" ? loaded.value.headRevision : c.expectedHeadRevision
            })
        )
    }))
  ],
  [
    "commit ignores expectedHeadRevision (seen by racing first commits)",
    "X-RACE-8",
    storeMutant("commit-ignores-cas-race", (real) => ({
      commit: (c) =>
        Effect.flatMap(
          real.load(c.sessionId),
          (loaded) =>
            real.commit({
              ...c,
              expectedHeadRevision: loaded._tag === "Some" ? loaded.value.headRevision : c.expectedHeadRevision
            })
        )
    }))
  ],
  [
    "no turn-stamp dedupe: a retried final commit is a new commit",
    "RP-18",
    storeMutant("no-stamp-dedupe", (real) => ({
      commit: (c) => {
        const { turnStamp: _dropped, ...rest } = c
        return real.commit(rest)
      }
    }))
  ],
  [
    "source keys are ignored: a replayed enqueue creates a second batch",
    "RP-07",
    storeMutant("enqueue-ignores-source-key", (real) => ({
      enqueue: (draft) => {
        const { sourceKey: _dropped, ...rest } = draft
        return real.enqueue(rest)
      }
    }))
  ],
  [
    "commit completes a claim without checking its lease token",
    "RP-13",
    backend("completion-ignores-token", (ctx) => {
      const real = Context.get(ctx, SessionStore)
      const tokens = new Map<string, string>()
      return Context.add(ctx, SessionStore, {
        ...real,
        claimReady: (req) =>
          Effect.tap(
            real.claimReady(req),
            (c) => void (c._tag === "Some" && tokens.set(c.value.claimId, c.value.leaseToken))
          ),
        commit: (c) =>
          real.commit({
            ...c,
            completedClaims: c.completedClaims.map((x) => ({ ...x, leaseToken: tokens.get(x.claimId) ?? x.leaseToken }))
          })
      })
    })
  ],
  [
    "StorageInfo claims the durable tier over inline ports",
    "X-TIER-1",
    backend(
      "tier-lie",
      (ctx) => Context.add(ctx, StorageInfo, { ...Context.get(ctx, StorageInfo), tier: "durable" as const })
    )
  ]
]

const real: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

describe("the kit catches broken backends", () => {
  for (const [bug, scenarioId, mutant] of mutants) {
    it.scoped(`${scenarioId} rejects: ${bug}`, () =>
      Effect.gen(function*() {
        const verdict = yield* Effect.flip(runScenarioById(scenarioId, mutant))
        expect(verdict._tag, `the mutant must be caught as a violation, not a crash: ${verdict.message}`).toBe(
          "ConformanceViolation"
        )
        expect(verdict.scenarioId).toBe(scenarioId)
        // Positive control: the same scenario passes on the real backend.
        yield* runScenarioById(scenarioId, real)
      }))
  }
})
