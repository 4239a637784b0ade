/**
 * MB-PR: the process registry against a reference model (packages/testing/README.md, "Model-based conformance").
 * Steps: register (two variants per id, so conflicts happen), claim, renew, release, complete with a lease, complete
 * as host, keyed and unkeyed appends, `claimRunnable`, reads, and advancing `TestClock`. The model is the contract in
 * a few lines: a lease is live iff `now < expiresAtMs`, fencing tokens only rise, keyed appends replay, terminal
 * writes happen once.
 *
 * @since 0.1.0
 */
import {
  type ProcessAwaitOutput,
  type ProcessId,
  type ProcessLease,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry
} from "@lash/core"
import { Clock, Context, Effect, FastCheck as fc, TestClock } from "effect"
import { plainType, same } from "../conformance/Fixtures.js"
import type { Handle, ScenarioContext } from "../conformance/Harness.js"
import { modelScenario, type ModelStep } from "./ModelRun.js"

interface ProcessState {
  readonly external: boolean
  readonly variant: number
  output: ProcessAwaitOutput | undefined
  readonly events: Array<{ readonly key: string | undefined; readonly payload: unknown }>
  /** The highest fencing token handed out for the process. */
  fencing: number
  lease: { readonly token: string; readonly fencing: number; expiresAtMs: number } | undefined
}

interface RegistryModel {
  now: number
  readonly processes: Map<string, ProcessState>
  /** Every lease the store handed out, in order; steps refer to them by index. */
  readonly leases: Array<ProcessLease>
}

const IDS = ["p1", "p2", "p3"]
const EXTERNAL = new Set(["p3"])
const OWNERS = ["owner-a", "owner-b", "owner-c"]
const TTLS = [0, 10, 100, 1_000]
const OUTPUTS: ReadonlyArray<ProcessAwaitOutput> = [
  { type: "success", value: { n: 1 } },
  { type: "failure", code: "model", message: "failed" },
  { type: "cancelled", message: "stopped" }
]

const registration = (id: string, variant: number) =>
  ProcessRegistration.make({
    id: id as ProcessId,
    input: EXTERNAL.has(id) ? { type: "external", metadata: null } : { type: "engine", kind: "model", payload: null },
    provenance: ProcessProvenance.host(),
    eventTypes: [plainType(variant === 0 ? "model.line" : "model.other")],
    ...(EXTERNAL.has(id) ? {} : { envRef: "env:model" as never })
  })

const registry = (h: Handle) => Context.get(h, ProcessRegistry)
const live = (p: ProcessState, now: number) => p.lease !== undefined && now < p.lease.expiresAtMs
const leaseOf = (m: RegistryModel, i: number) => m.leases[i % m.leases.length]!
const current = (p: ProcessState | undefined, lease: ProcessLease) =>
  p?.lease !== undefined && p.lease.token === lease.leaseToken && p.lease.fencing === lease.fencingToken

/** Checks a lease the store handed out against the model, and records it. */
const granted = (
  ctx: ScenarioContext,
  m: RegistryModel,
  p: ProcessState,
  lease: ProcessLease,
  owner: string,
  ttl: number
) =>
  Effect.gen(function*() {
    yield* ctx.invariant(
      "a new lease belongs to its owner, starts now, expires at now + ttl and fences above every earlier lease",
      lease.ownerId === owner && lease.claimedAtMs === m.now && lease.expiresAtMs === m.now + ttl &&
        lease.fencingToken > p.fencing,
      { ownerId: owner, claimedAtMs: m.now, expiresAtMs: m.now + ttl, fencingToken: `> ${p.fencing}` },
      lease
    )
    p.fencing = lease.fencingToken
    p.lease = { token: lease.leaseToken, fencing: lease.fencingToken, expiresAtMs: lease.expiresAtMs }
    m.leases.push(lease)
  })

const register = (id: string, variant: number): ModelStep<RegistryModel> => ({
  label: `register(${id}, variant ${variant})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const known = m.processes.get(id)
      if (known !== undefined && known.variant !== variant) {
        yield* ctx.expectFailure(
          "another registration under a used id conflicts",
          registry(h).register(registration(id, variant)),
          "ProcessRegistrationConflict"
        )
        return
      }
      const out = yield* ctx.expectSuccess("registration succeeds", registry(h).register(registration(id, variant)))
      yield* ctx.invariant(
        "register creates once, then returns the stored record",
        out.created === (known === undefined),
        known === undefined,
        out.created
      )
      if (known === undefined) {
        m.processes.set(id, {
          external: EXTERNAL.has(id),
          variant,
          output: undefined,
          events: [],
          fencing: 0,
          lease: undefined
        })
      }
    })
})

const claim = (id: string, owner: string, ttl: number): ModelStep<RegistryModel> => ({
  label: `claimLease(${id}, ${owner}, ${ttl})`,
  // External rows are completed by the host, never leased; terminal rows are not claimed.
  applies: (m) => !EXTERNAL.has(id) && m.processes.get(id)?.output === undefined,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const p = m.processes.get(id)
      if (p === undefined) {
        yield* ctx.expectFailure(
          "claiming an unknown process fails",
          registry(h).claimLease(id as ProcessId, owner, ttl),
          "ProcessNotFound"
        )
        return
      }
      if (live(p, m.now)) {
        yield* ctx.expectFailure(
          "a live lease blocks every claimant",
          registry(h).claimLease(id as ProcessId, owner, ttl),
          "LeaseHeld"
        )
        return
      }
      const lease = yield* ctx.expectSuccess(
        "a process without a live lease can be claimed",
        registry(h).claimLease(id as ProcessId, owner, ttl)
      )
      yield* granted(ctx, m, p, lease, owner, ttl)
    })
})

const renew = (i: number, ttl: number): ModelStep<RegistryModel> => ({
  label: `renewLease(lease #${i}, ${ttl})`,
  applies: (m) => m.leases.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const lease = leaseOf(m, i)
      const p = m.processes.get(lease.processId)!
      if (!(current(p, lease) && live(p, m.now))) {
        yield* ctx.expectFailure(
          "only the current, live lease renews (not a superseded, released or expired one)",
          registry(h).renewLease(lease, ttl),
          "LeaseLost"
        )
        return
      }
      const renewed = yield* ctx.expectSuccess("the current live lease renews", registry(h).renewLease(lease, ttl))
      yield* ctx.invariant(
        "a renewal keeps the tokens and moves the expiry to now + ttl",
        renewed.leaseToken === lease.leaseToken && renewed.fencingToken === lease.fencingToken &&
          renewed.expiresAtMs === m.now + ttl,
        { leaseToken: lease.leaseToken, fencingToken: lease.fencingToken, expiresAtMs: m.now + ttl },
        renewed
      )
      p.lease!.expiresAtMs = m.now + ttl
      m.leases.push(renewed)
    })
})

const release = (i: number): ModelStep<RegistryModel> => ({
  label: `releaseLease(lease #${i})`,
  applies: (m) => m.leases.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const lease = leaseOf(m, i)
      yield* ctx.expectSuccess("releaseLease never fails (a stale lease is a no-op)", registry(h).releaseLease(lease))
      const p = m.processes.get(lease.processId)!
      if (current(p, lease)) p.lease = undefined
    })
})

const completeWithLease = (i: number, o: number): ModelStep<RegistryModel> => ({
  label: `completeWithLease(lease #${i}, ${OUTPUTS[o]!.type})`,
  applies: (m) => m.leases.length > 0,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const lease = leaseOf(m, i)
      const p = m.processes.get(lease.processId)!
      if (!(current(p, lease) && live(p, m.now))) {
        yield* ctx.expectFailure(
          "only the current, live lease writes the terminal result",
          registry(h).completeWithLease(lease, OUTPUTS[o]!),
          "LeaseLost"
        )
        return
      }
      const record = yield* ctx.expectSuccess(
        "the current live lease writes the terminal result",
        registry(h).completeWithLease(lease, OUTPUTS[o]!)
      )
      yield* ctx.invariant(
        "the record is terminal with the written output",
        record.status.state !== "running" && same(record.status.awaitOutput, OUTPUTS[o]),
        OUTPUTS[o],
        record.status
      )
      p.output = OUTPUTS[o]
      p.lease = undefined
      p.events.push({ key: "terminal", payload: null })
    })
})

const completeAsHost = (id: string, o: number): ModelStep<RegistryModel> => ({
  label: `completeAsHost(${id}, ${OUTPUTS[o]!.type})`,
  applies: (m) => m.processes.get(id)?.external === true,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const p = m.processes.get(id)!
      const output = OUTPUTS[o]!
      if (p.output !== undefined && !same(p.output, output)) {
        yield* ctx.expectFailure(
          "a second, different terminal write is rejected",
          registry(h).completeAsHost(id as ProcessId, output),
          "ProcessEventRejected",
          ["already_terminal", "replay_conflict"]
        )
        return
      }
      const record = yield* ctx.expectSuccess(
        "a first terminal write, or an identical retry, succeeds",
        registry(h).completeAsHost(id as ProcessId, output)
      )
      yield* ctx.invariant(
        "the record holds the first terminal output",
        same(record.status.state === "running" ? undefined : record.status.awaitOutput, output),
        output,
        record.status
      )
      if (p.output === undefined) p.events.push({ key: "terminal", payload: null })
      p.output = output
    })
})

const append = (id: string, key: number | undefined, payload: number): ModelStep<RegistryModel> => ({
  label: `appendEvent(${id}, key ${key ?? "none"}, payload ${payload})`,
  applies: (m) => m.processes.has(id),
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const p = m.processes.get(id)!
      const replayKey = key === undefined ? undefined : `k${key}`
      const req = {
        eventType: p.variant === 0 ? "model.line" : "model.other",
        payload: { n: payload },
        ...(replayKey === undefined ? {} : { replayKey })
      }
      const stored = replayKey === undefined ? -1 : p.events.findIndex((e) => e.key === replayKey)
      if (stored >= 0 && !same(p.events[stored]!.payload, req.payload)) {
        yield* ctx.expectFailure(
          "a used replay key with another payload conflicts",
          registry(h).appendEvent(id as ProcessId, req),
          "ProcessEventRejected",
          "replay_conflict"
        )
        return
      }
      if (stored < 0 && p.output !== undefined) {
        yield* ctx.expectFailure(
          "a terminal process takes no new event",
          registry(h).appendEvent(id as ProcessId, req),
          "ProcessEventRejected",
          "already_terminal"
        )
        return
      }
      const out = yield* ctx.expectSuccess("the append succeeds", registry(h).appendEvent(id as ProcessId, req))
      const expected = stored >= 0 ? stored + 1 : p.events.length + 1
      yield* ctx.invariant(
        stored >= 0
          ? "a replayed key returns the stored event's sequence"
          : "a new event takes the next dense sequence",
        out.event.sequence === expected,
        expected,
        out.event.sequence
      )
      if (stored < 0) p.events.push({ key: replayKey, payload: req.payload })
    })
})

const claimRunnable = (owner: string, ttl: number, limit: number): ModelStep<RegistryModel> => ({
  label: `claimRunnable(${owner}, ${ttl}, limit ${limit})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const expected = [...m.processes.entries()]
        .filter(([, p]) => !p.external && p.output === undefined && !live(p, m.now))
        .map(([id]) => id)
        .sort()
        .slice(0, limit)
      const leases = yield* ctx.expectSuccess(
        "claimRunnable succeeds",
        registry(h).claimRunnable({ ownerId: owner, ttlMs: ttl, limit })
      )
      yield* ctx.invariant(
        "claimRunnable leases the running, non-external rows without a live lease, in id order, up to the limit",
        same(leases.map((l) => l.processId), expected),
        expected,
        leases.map((l) => l.processId)
      )
      for (const lease of leases) yield* granted(ctx, m, m.processes.get(lease.processId)!, lease, owner, ttl)
    })
})

const reads = (id: string): ModelStep<RegistryModel> => ({
  label: `read(${id})`,
  run: (m, h, ctx) =>
    Effect.gen(function*() {
      const worklist = yield* registry(h).listNonTerminalIds()
      const expected = [...m.processes.entries()].filter(([, p]) => p.output === undefined).map(([k]) => k).sort()
      yield* ctx.invariant(
        "the worklist is every non-terminal process, in id order",
        same(worklist, expected),
        expected,
        worklist
      )
      const p = m.processes.get(id)
      if (p === undefined) return
      const events = yield* registry(h).eventsAfter(id as ProcessId, 0)
      yield* ctx.invariant(
        "eventsAfter(0) returns every event, densely numbered",
        same(events.map((e) => e.sequence), p.events.map((_, i) => i + 1)),
        p.events.map((_, i) => i + 1),
        events.map((e) => e.sequence)
      )
      if (p.output !== undefined) {
        const out = yield* ctx.within(
          "awaitProcess returns at once for a terminal process",
          1_000,
          registry(h).awaitProcess(id as ProcessId)
        )
        yield* ctx.invariant("awaitProcess returns the first terminal output", same(out, p.output), p.output, out)
      }
    })
})

const advance = (ms: number): ModelStep<RegistryModel> => ({
  label: `advance(${ms} ms)`,
  run: (m) => Effect.sync(() => void (m.now += ms)).pipe(Effect.zipLeft(TestClock.adjust(ms)))
})

const pick = <A>(xs: ReadonlyArray<A>) => fc.constantFrom(...xs)

/** MB-PR. @since 0.1.0 */
export const registryModelScenario = modelScenario<RegistryModel>({
  id: "MB-PR",
  suite: "ModelBased",
  title: "the process registry behaves like its reference model under generated call sequences",
  initial: Effect.map(Clock.currentTimeMillis, (now) => ({ now, processes: new Map(), leases: [] })),
  steps: [
    fc.tuple(pick(IDS), fc.constantFrom(0, 0, 1)).map(([id, v]) => register(id, v)),
    fc.tuple(pick(IDS), pick(OWNERS), pick(TTLS)).map(([id, o, t]) => claim(id, o, t)),
    fc.tuple(fc.nat(20), pick(TTLS)).map(([i, t]) => renew(i, t)),
    fc.nat(20).map(release),
    fc.tuple(fc.nat(20), fc.nat(2)).map(([i, o]) => completeWithLease(i, o)),
    fc.tuple(pick(IDS), fc.nat(2)).map(([id, o]) => completeAsHost(id, o)),
    fc.tuple(pick(IDS), fc.option(fc.nat(2), { nil: undefined }), fc.nat(1)).map(([id, k, p]) => append(id, k, p)),
    fc.tuple(pick(OWNERS), pick(TTLS), fc.integer({ min: 0, max: 3 })).map(([o, t, l]) => claimRunnable(o, t, l)),
    pick(IDS).map(reads),
    fc.constantFrom(1, 5, 10, 50, 100, 1_000).map(advance)
  ]
})
