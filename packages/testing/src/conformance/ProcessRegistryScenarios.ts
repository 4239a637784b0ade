/**
 * ProcessRegistry scenarios (packages/testing/README.md, with the lease and race scenarios that concern it).
 *
 * @since 0.1.0
 */
import {
  type EnvRef,
  type ProcessEventType,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  type SessionScope,
  StorageInfo
} from "@lash/core"
import { Context, Effect, Exit, Option, TestClock } from "effect"
import type { Scenario, ScenarioContext } from "./Harness.js"

const pid = (id: string) => id as ProcessId
const scope = (
  sessionId: string,
  frameId?: string
): SessionScope => (frameId === undefined
  ? { sessionId: sessionId as never }
  : { sessionId: sessionId as never, frameId })

/** An event type whose wake input is `/wake_input`. @since 0.1.0 */
export const wakeType = (name: string): ProcessEventType => ({
  name,
  payloadSchema: { type: "object", properties: { line: { type: "string" }, wake_input: { type: "string" } } },
  semantics: { wake: { input: { type: "pointer", pointer: "/wake_input" }, dedupeKey: { type: "event_identity" } } }
})

/** A plain event type requiring `line`. @since 0.1.0 */
export const lineType = (name: string): ProcessEventType => ({
  name,
  payloadSchema: {
    type: "object",
    properties: { line: { type: "string" }, wake_input: { type: "string" } },
    required: ["line"]
  },
  semantics: {}
})

/** A runnable (engine) registration, or an external one. @since 0.1.0 */
export const reg = (
  id: string,
  options: {
    readonly eventTypes?: ReadonlyArray<ProcessEventType>
    readonly external?: boolean
    readonly wakeTarget?: SessionScope
    readonly originator?: string
    readonly kind?: string
  } = {}
) =>
  ProcessRegistration.make({
    id: pid(id),
    input: options.external === true
      ? { type: "external", metadata: null }
      : { type: "engine", kind: options.kind ?? "conformance", payload: null },
    provenance: options.originator === undefined
      ? ProcessProvenance.host()
      : ProcessProvenance.session(scope(options.originator)),
    ...(options.kind === undefined ? {} : { identity: { kind: options.kind } }),
    ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
    ...(options.wakeTarget === undefined ? {} : { wakeTarget: options.wakeTarget }),
    envRef: "env:conformance" as EnvRef
  })

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)
const day = 60_000

/** The ProcessRegistry scenarios. @since 0.1.0 */
export const processRegistryScenarios: ReadonlyArray<Scenario> = [
  {
    id: "PR-01",
    suite: "ProcessRegistry",
    title: "declared tier",
    clock: "test",
    run: (ctx) =>
      ctx.invariant(
        "the registry reports the declared tier",
        registry(ctx).tier === ctx.tier,
        ctx.tier,
        registry(ctx).tier
      )
  },
  {
    id: "PR-02",
    suite: "ProcessRegistry",
    title: "registration is idempotent; hash conflicts fail",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const first = yield* r.register(reg("proc-idempotent"))
        const second = yield* r.register(reg("proc-idempotent"))
        yield* ctx.invariant("the first register creates, the second does not", first.created && !second.created, [
          true,
          false
        ], [first.created, second.created])
        yield* ctx.expectFailure(
          "a different registration under the same id conflicts",
          r.register(reg("proc-idempotent", { eventTypes: [wakeType("producer.wake")] })),
          "ProcessRegistrationConflict"
        )
        const stored = yield* r.get(pid("proc-idempotent"))
        yield* ctx.invariant(
          "the first registration is kept",
          !stored.eventTypes.some((t) => t.name === "producer.wake"),
          "no producer.wake",
          stored.eventTypes.map((t) => t.name)
        )
      })
  },
  {
    id: "PR-03",
    suite: "ProcessRegistry",
    title: "handle grants",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-grant"))
        const before = yield* r.hasHandleGrant(scope("grant-owner"), pid("proc-grant"))
        yield* r.grantHandle(scope("grant-owner"), pid("proc-grant"), { kind: "conformance", label: "g" })
        const after = yield* r.hasHandleGrant(scope("grant-owner"), pid("proc-grant"))
        yield* ctx.invariant("a grant exists only after grantHandle", !before && after, [false, true], [before, after])
        const list = yield* r.listHandleGrants(scope("grant-owner"))
        yield* ctx.invariant(
          "listHandleGrants returns the grant with its descriptor",
          JSON.stringify(list) ===
            JSON.stringify([{ processId: "proc-grant", descriptor: { kind: "conformance", label: "g" } }]),
          "[proc-grant {kind,label}]",
          list
        )
        const frame = yield* r.hasHandleGrant(scope("grant-owner", "f1"), pid("proc-grant"))
        yield* ctx.invariant("a frame scope is a different scope", !frame, false, frame)
      })
  },
  {
    id: "PR-04",
    suite: "ProcessRegistry",
    title: "custom events are validated and wakes materialize",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(
          reg("proc-1", { eventTypes: [{ ...lineType("producer.line"), semantics: wakeType("x").semantics }] })
        )
        const { event } = yield* r.appendEvent(pid("proc-1"), {
          eventType: "producer.line",
          payload: { line: "deploy failed", wake_input: "Process event: deploy failed" },
          wakeTargetScope: scope("s1")
        })
        yield* ctx.invariant("the first event has sequence 1", event.sequence === 1, 1, event.sequence)
        yield* ctx.expectFailure(
          "a payload missing a required field is rejected",
          r.appendEvent(pid("proc-1"), {
            eventType: "producer.line",
            payload: { wake_input: "missing required line" }
          }),
          "ProcessEventRejected",
          "payload_invalid"
        )
      })
  },
  {
    id: "PR-08",
    suite: "ProcessRegistry",
    title: "keyed events give idempotent wakes",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-wake", { eventTypes: [wakeType("process.wake")] }))
        const req = {
          eventType: "process.wake",
          payload: { line: "deploy failed", wake_input: "Process wake: deploy failed" },
          replayKey: "wake:deploy failed",
          wakeTargetScope: scope("session")
        }
        const a = yield* r.appendEvent(pid("proc-wake"), req)
        const b = yield* r.appendEvent(pid("proc-wake"), req)
        yield* ctx.invariant(
          "a replayed keyed append returns the same sequence",
          a.event.sequence === b.event.sequence,
          a.event.sequence,
          b.event.sequence
        )
        yield* ctx.invariant(
          "the two wake deliveries are equal",
          JSON.stringify(a.wakeDelivery) === JSON.stringify(b.wakeDelivery),
          a.wakeDelivery,
          b.wakeDelivery
        )
        const events = yield* r.eventsAfter(pid("proc-wake"), 0)
        yield* ctx.invariant("one row for one key", events.length === 1, 1, events.length)
        const delivery = Option.getOrUndefined(a.wakeDelivery)
        yield* ctx.invariant(
          "the wake targets session:session",
          delivery?.targetScopeId === "session:session",
          "session:session",
          delivery?.targetScopeId
        )
        yield* ctx.expectFailure(
          "the same key with another payload conflicts",
          r.appendEvent(pid("proc-wake"), { ...req, payload: { line: "other", wake_input: "x" } }),
          "ProcessEventRejected",
          "replay_conflict"
        )
      })
  },
  {
    id: "PR-05",
    suite: "ProcessRegistry",
    title: "replaying a custom wake keeps one row and an identical delivery with provenance",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const causedBy = {
          type: "session_node" as const,
          sessionId: "target-session" as never,
          nodeId: "trigger:button"
        }
        yield* r.register(
          ProcessRegistration.make({
            id: pid("proc-provenance"),
            input: { type: "engine", kind: "conformance", payload: null },
            provenance: ProcessProvenance.session(scope("owner-session"), causedBy),
            eventTypes: [wakeType("producer.custom_wake")],
            envRef: "env:conformance" as EnvRef
          })
        )
        const req = {
          eventType: "producer.custom_wake",
          payload: { line: "build failed", wake_input: "custom wake: build failed" },
          replayKey: "custom-wake:build-failed",
          wakeTargetScope: scope("target-session", "target-frame")
        }
        const a = yield* r.appendEvent(pid("proc-provenance"), req)
        const b = yield* r.appendEvent(pid("proc-provenance"), req)
        const rows = yield* r.eventsAfter(pid("proc-provenance"), 0)
        yield* ctx.invariant(
          "both calls return sequence 1 and one row is stored",
          a.event.sequence === 1 && b.event.sequence === 1 && rows.length === 1,
          [1, 1, 1],
          [a.event.sequence, b.event.sequence, rows.length]
        )
        const d = Option.getOrUndefined(a.wakeDelivery)
        const expected = {
          eventType: "producer.custom_wake",
          processCausedBy: causedBy,
          targetSessionId: "target-session",
          targetScopeId: "session:target-session/frame:target-frame",
          processId: "proc-provenance",
          sequence: 1,
          dedupeKey: "proc-provenance:1",
          input: "custom wake: build failed"
        }
        const actual = d === undefined
          ? undefined
          : {
            eventType: d.eventType,
            processCausedBy: d.processCausedBy,
            targetSessionId: d.targetSessionId,
            targetScopeId: d.targetScopeId,
            processId: d.processId,
            sequence: d.sequence,
            dedupeKey: d.dedupeKey,
            input: d.input
          }
        yield* ctx.invariant(
          "the delivery carries target, provenance, dedupe key and input",
          JSON.stringify(actual) === JSON.stringify(expected),
          expected,
          actual
        )
        yield* ctx.invariant(
          "the replayed delivery is identical (wakeId, createdAtMs included)",
          JSON.stringify(a.wakeDelivery) === JSON.stringify(b.wakeDelivery),
          a.wakeDelivery,
          b.wakeDelivery
        )
      })
  },
  {
    id: "PR-09",
    suite: "ProcessRegistry",
    title: "a wake without a target is recorded without delivery",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-missing-wake-target", { eventTypes: [wakeType("process.wake")] }))
        const out = yield* r.appendEvent(pid("proc-missing-wake-target"), {
          eventType: "process.wake",
          payload: { wake_input: "nobody" },
          replayKey: "wake:missing-target"
        })
        const rows = yield* r.eventsAfter(pid("proc-missing-wake-target"), 0)
        yield* ctx.invariant(
          "the event is stored with no delivery",
          out.event.sequence === 1 && Option.isNone(out.wakeDelivery) && rows.length === 1,
          [1, "None", 1],
          [out.event.sequence, out.wakeDelivery._tag, rows.length]
        )
      })
  },
  {
    id: "PR-10",
    suite: "ProcessRegistry",
    title: "terminal events require replay keys",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-terminal", { external: true }))
        yield* ctx.expectFailure(
          "a terminal append without a key is rejected",
          r.appendEvent(pid("proc-terminal"), {
            eventType: "process.completed",
            payload: { awaitOutput: { type: "success", value: null } }
          }),
          "ProcessEventRejected",
          "replay_key_required"
        )
        const record = yield* r.completeAsHost(pid("proc-terminal"), { type: "cancelled", message: "stopped" })
        yield* ctx.invariant(
          "completeAsHost(cancelled) makes the status cancelled",
          record.status.state === "cancelled",
          "cancelled",
          record.status.state
        )
      })
  },
  {
    id: "PR-11",
    suite: "ProcessRegistry",
    title: "await reads the terminal output",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-2", { external: true }))
        yield* r.completeAsHost(pid("proc-2"), { type: "success", value: { ok: true } })
        const out = yield* r.awaitProcess(pid("proc-2")).pipe(Effect.timeout("5 seconds"))
        yield* ctx.invariant(
          "awaitProcess returns the stored output",
          JSON.stringify(out) === JSON.stringify({ type: "success", value: { ok: true } }),
          { type: "success", value: { ok: true } },
          out
        )
      })
  },
  {
    id: "PR-13",
    suite: "ProcessRegistry",
    title: "list filters",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-list-running"))
        yield* r.register(reg("proc-list-done", { external: true }))
        yield* r.register(reg("proc-list-other", { originator: "other", kind: "other-kind" }))
        yield* r.completeAsHost(pid("proc-list-done"), { type: "success", value: null })
        const ids = (xs: ReadonlyArray<{ readonly id: string }>) => xs.map((x) => x.id)
        const all = ids(yield* r.list({}))
        yield* ctx.invariant(
          "list({}) returns all in id order",
          JSON.stringify(all) === JSON.stringify(["proc-list-done", "proc-list-other", "proc-list-running"]),
          ["proc-list-done", "proc-list-other", "proc-list-running"],
          all
        )
        const running = ids(yield* r.list({ status: "running" }))
        yield* ctx.invariant(
          "status running",
          JSON.stringify(running) === JSON.stringify(["proc-list-other", "proc-list-running"]),
          ["proc-list-other", "proc-list-running"],
          running
        )
        const terminal = ids(yield* r.list({ status: "terminal" }))
        yield* ctx.invariant("status terminal", JSON.stringify(terminal) === JSON.stringify(["proc-list-done"]), [
          "proc-list-done"
        ], terminal)
        const other = ids(yield* r.list({ originatorSessionId: "other" as never }))
        const kind = ids(yield* r.list({ kind: "other-kind" }))
        yield* ctx.invariant(
          "originator and kind filters",
          other.join() === "proc-list-other" && kind.join() === "proc-list-other",
          ["proc-list-other", "proc-list-other"],
          [other, kind]
        )
      })
  },
  {
    id: "PR-17",
    suite: "ProcessRegistry",
    title: "registration never grants implicitly",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-4", { originator: "s1" }))
        const grants = yield* r.listHandleGrants(scope("s1"))
        yield* ctx.invariant("no grant without grantHandle", grants.length === 0, [], grants)
      })
  },
  {
    id: "PR-19",
    suite: "ProcessRegistry",
    title: "the recovery worklist excludes terminal processes",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-live"))
        yield* r.register(reg("proc-done", { external: true }))
        yield* r.completeAsHost(pid("proc-done"), { type: "success", value: null })
        const ids = yield* r.listNonTerminalIds()
        const records = (yield* r.listNonTerminal()).map((x) => x.id)
        yield* ctx.invariant(
          "only proc-live is non-terminal",
          ids.join() === "proc-live" && records.join() === "proc-live",
          ["proc-live"],
          [ids, records]
        )
      })
  },
  {
    id: "PR-21",
    suite: "ProcessRegistry",
    title: "a live lease blocks every claimant, its owner too",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        yield* r.claimLease(pid("p"), "owner-a", day)
        yield* ctx.expectFailure("another owner is blocked", r.claimLease(pid("p"), "owner-b", day), "LeaseHeld")
        yield* ctx.expectFailure(
          "the owner re-claiming is blocked (it renews instead)",
          r.claimLease(pid("p"), "owner-a", day),
          "LeaseHeld"
        )
      })
  },
  {
    id: "PR-22",
    suite: "ProcessRegistry",
    title: "a superseded lease cannot renew",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "owner-a", 0)
        yield* r.claimLease(pid("p"), "owner-b", day).pipe(
          Effect.mapError(() => "a TTL-0 lease must be expired at once")
        )
        yield* ctx.expectFailure("the superseded lease cannot renew", r.renewLease(old, day), "LeaseLost")
      })
  },
  {
    id: "PR-23",
    suite: "ProcessRegistry",
    title: "renewal persists a new expiry",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const lease = yield* r.claimLease(pid("p"), "owner-a", 20)
        const renewed = yield* r.renewLease(lease, day)
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* ctx.invariant(
          "the renewed expiry is now + ttl",
          renewed.expiresAtMs === now + day,
          now + day,
          renewed.expiresAtMs
        )
        yield* TestClock.adjust("30 millis")
        const again = yield* Effect.exit(r.renewLease(renewed, day))
        yield* ctx.invariant(
          "the renewal was stored, not only returned",
          Exit.isSuccess(again),
          "renew succeeds after 30 ms",
          Exit.isSuccess(again) ? "success" : "LeaseLost"
        )
      })
  },
  {
    id: "PR-24",
    suite: "ProcessRegistry",
    title: "release, then re-claim bumps fencing",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const first = yield* r.claimLease(pid("p"), "owner-a", day)
        yield* r.releaseLease(first)
        const second = yield* r.claimLease(pid("p"), "owner-b", day)
        yield* ctx.invariant(
          "fencing tokens only increase, also across release",
          second.fencingToken > first.fencingToken,
          `> ${first.fencingToken}`,
          second.fencingToken
        )
      })
  },
  {
    id: "PR-25",
    suite: "ProcessRegistry",
    title: "a stale release cannot free a live lease",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "owner-a", 0)
        const current = yield* r.claimLease(pid("p"), "owner-b", day)
        yield* r.releaseLease(old)
        yield* ctx.expectFailure("the live lease still blocks", r.claimLease(pid("p"), "owner-c", day), "LeaseHeld")
        const renewed = yield* Effect.exit(r.renewLease(current, day))
        yield* ctx.invariant(
          "the live lease can still renew",
          Exit.isSuccess(renewed),
          "success",
          Exit.isSuccess(renewed) ? "success" : "failure"
        )
      })
  },
  {
    id: "PR-26",
    suite: "ProcessRegistry",
    title: "claimRunnable leases only runnable rows, in id order",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        for (const id of ["run-a", "run-b", "run-c", "run-d", "run-done"]) yield* r.register(reg(id))
        yield* r.register(reg("run-ext", { external: true }))
        const done = yield* r.claimLease(pid("run-done"), "owner-z", day)
        yield* r.completeWithLease(done, { type: "success", value: null })
        yield* r.claimLease(pid("run-b"), "owner-x", day)
        const page = (yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })).map((l) => l.processId)
        yield* ctx.invariant(
          "the first page is [run-a, run-c]",
          page.join() === "run-a,run-c",
          ["run-a", "run-c"],
          page
        )
        const next = (yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })).map((l) => l.processId)
        yield* ctx.invariant("the next page is [run-d]", next.join() === "run-d", ["run-d"], next)
        const last = yield* r.claimRunnable({ ownerId: "sweep-1", ttlMs: day, limit: 2 })
        yield* ctx.invariant("then nothing", last.length === 0, [], last.map((l) => l.processId))
        yield* ctx.expectFailure(
          "a claimRunnable lease holds like any lease",
          r.claimLease(pid("run-a"), "owner-y", day),
          "LeaseHeld"
        )
      })
  },
  {
    id: "X-LEASE-1",
    suite: "ProcessRegistry",
    title: "TTL 0 is already expired, and expiry is strict",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        yield* r.register(reg("q"))
        const zero = yield* r.claimLease(pid("p"), "a", 0)
        yield* ctx.invariant(
          "a TTL-0 lease expires when claimed",
          zero.expiresAtMs === zero.claimedAtMs,
          zero.claimedAtMs,
          zero.expiresAtMs
        )
        const b = yield* Effect.exit(r.claimLease(pid("p"), "b", day))
        yield* ctx.invariant(
          "a competitor claims at once without a clock advance",
          Exit.isSuccess(b),
          "success",
          Exit.isSuccess(b) ? "success" : "LeaseHeld"
        )
        yield* r.claimLease(pid("q"), "c", 100)
        yield* TestClock.adjust("99 millis")
        yield* ctx.expectFailure("still held 1 ms before expiry", r.claimLease(pid("q"), "d", day), "LeaseHeld")
        yield* TestClock.adjust("1 millis")
        const at = yield* Effect.exit(r.claimLease(pid("q"), "d", day))
        yield* ctx.invariant(
          "free exactly at expiresAtMs",
          Exit.isSuccess(at),
          "success",
          Exit.isSuccess(at) ? "success" : "LeaseHeld"
        )
      })
  },
  {
    id: "X-LEASE-2",
    suite: "ProcessRegistry",
    title: "a stale fencing token is rejected after takeover",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("p"))
        const old = yield* r.claimLease(pid("p"), "a", 0)
        const cur = yield* r.claimLease(pid("p"), "b", day)
        yield* ctx.expectFailure("the stale owner cannot renew", r.renewLease(old, day), "LeaseLost")
        yield* ctx.expectFailure(
          "the stale owner cannot write the terminal result",
          r.completeWithLease(old, { type: "success", value: "stale" }),
          "LeaseLost"
        )
        const still = yield* r.get(pid("p"))
        yield* ctx.invariant(
          "the process stays running",
          still.status.state === "running",
          "running",
          still.status.state
        )
        yield* r.completeWithLease(cur, { type: "success", value: "current" })
        const terminal = (yield* r.eventsAfter(pid("p"), 0)).filter((e) => e.eventType === "process.completed")
        yield* ctx.invariant(
          "exactly one terminal event, the current owner's",
          terminal.length === 1,
          1,
          terminal.length
        )
      })
  },
  {
    id: "X-LEASE-5",
    suite: "ProcessRegistry",
    title: "claims need a known process",
    clock: "test",
    run: (ctx) =>
      Effect.asVoid(
        ctx.expectFailure(
          "claiming an unknown process fails",
          registry(ctx).claimLease(pid("missing-process"), "a", day),
          "ProcessNotFound"
        )
      )
  },
  {
    id: "X-RACE-1",
    suite: "ProcessRegistry",
    title: "one lease, many claimers: exactly one wins",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        for (let round = 0; round < 5; round++) {
          const id = pid(`race-${round}`)
          yield* r.register(reg(id))
          const exits = yield* ctx.race(8, (i) => r.claimLease(id, `owner-${i}`, day))
          const wins = exits.filter(Exit.isSuccess).length
          yield* ctx.invariant("exactly one claimer wins", wins === 1, 1, wins)
        }
      })
  },
  {
    id: "X-RACE-3",
    suite: "ProcessRegistry",
    title: "dense event sequences under concurrent appends",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("dense", { eventTypes: [lineType("producer.line")] }))
        const exits = yield* ctx.race(16, (i) =>
          r.appendEvent(pid("dense"), { eventType: "producer.line", payload: { line: `l${i}` } }))
        const seqs = exits.flatMap((e) => (Exit.isSuccess(e) ? [e.value.event.sequence] : [])).sort((a, b) =>
          a - b
        )
        yield* ctx.invariant(
          "sequences are exactly 1..16",
          seqs.join() === Array.from({ length: 16 }, (_, i) => i + 1).join(),
          "1..16",
          seqs
        )
        const stored = (yield* r.eventsAfter(pid("dense"), 0)).map((e) => e.sequence)
        yield* ctx.invariant("eventsAfter agrees", stored.join() === seqs.join(), seqs, stored)
      })
  },
  {
    id: "X-RACE-5",
    suite: "ProcessRegistry",
    title: "first registration: one creator, conflicts for a different registration",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const same = yield* ctx.race(8, () => r.register(reg("first")))
        const created = same.filter((e) => Exit.isSuccess(e) && e.value.created).length
        yield* ctx.invariant(
          "all succeed, exactly one creates",
          same.every(Exit.isSuccess) && created === 1,
          "8 successes, 1 created",
          `${same.filter(Exit.isSuccess).length} successes, ${created} created`
        )
        const mixed = yield* ctx.race(8, (i) =>
          r.register(i % 2 === 0 ? reg("contested") : reg("contested", { eventTypes: [wakeType("other.wake")] })))
        const ok = mixed.filter(Exit.isSuccess).length
        yield* ctx.invariant("one of the two registrations is stored; the other's callers conflict", ok === 4, 4, ok)
      })
  },
  {
    id: "PR-R1",
    suite: "ProcessRegistry",
    title: "the registry survives reopen",
    clock: "live",
    tiers: ["durable"],
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-reopen", { eventTypes: [wakeType("producer.reopen_wake")] }))
        yield* r.grantHandle(scope("reopen-session"), pid("proc-reopen"), {})
        const req = {
          eventType: "producer.reopen_wake",
          payload: { wake_input: "w" },
          replayKey: "producer:reopen",
          wakeTargetScope: scope("reopen-session")
        }
        const first = yield* r.appendEvent(pid("proc-reopen"), req)
        const second = Context.get(yield* ctx.reopen, ProcessRegistry)
        const events = yield* second.eventsAfter(pid("proc-reopen"), 0)
        const grants = yield* second.listHandleGrants(scope("reopen-session"))
        yield* ctx.invariant("events and grants survive", events.length === 1 && grants.length === 1, [1, 1], [
          events.length,
          grants.length
        ])
        const replay = yield* second.appendEvent(pid("proc-reopen"), req)
        yield* ctx.invariant(
          "a replayed key on the new handle returns the original sequence",
          replay.event.sequence === first.event.sequence,
          first.event.sequence,
          replay.event.sequence
        )
      })
  },
  {
    id: "X-TIER-1",
    suite: "Backend",
    title: "one tier for the whole backend",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const info = Context.get(ctx.handle, StorageInfo)
        yield* ctx.invariant("StorageInfo reports the declared tier", info.tier === ctx.tier, ctx.tier, info.tier)
        const report = yield* info.durabilityReport
        const expected = ctx.tier === "inline" ? "none" : "not none"
        yield* ctx.invariant(
          "the durability report matches the tier",
          ctx.tier === "inline" ? report.crashSafety === "none" : report.crashSafety !== "none",
          expected,
          report.crashSafety
        )
      })
  }
]
