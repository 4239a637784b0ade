/**
 * ProcessRegistry scenarios of events: validation, wakes (the selector matrix, replay, targets), event streams and
 * blocking waits (packages/testing/README.md, "ProcessRegistry").
 *
 * @since 0.1.0
 */
import {
  type EnvRef,
  Ids,
  type ProcessEventType,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  type ProcessWakeDelivery
} from "@lash/core"
import { Context, Effect, Fiber, Option } from "effect"
import { lineType, pid, plainType, reg, same, scope, wakeType } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)

/** An event type of the PR-07 matrix: any payload, the given wake. */
const matrixType = (
  name: string,
  wake: NonNullable<ProcessEventType["semantics"]["wake"]>
): ProcessEventType => ({ name, payloadSchema: {}, semantics: { wake } })

/** The event and wait scenarios. @since 0.1.0 */
export const eventScenarios: ReadonlyArray<Scenario> = [
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
    id: "PR-06",
    suite: "ProcessRegistry",
    title: "event streams: filter, order and wait",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const id = pid("proc-stream")
        yield* r.register(
          reg("proc-stream", {
            eventTypes: [lineType("producer.line"), wakeType("producer.wake"), plainType("producer.future")]
          })
        )
        yield* r.appendEvent(id, { eventType: "producer.line", payload: { line: "one" } })
        yield* r.appendEvent(id, {
          eventType: "producer.wake",
          payload: { wake_input: "wake two" },
          wakeTargetScope: scope("root")
        })
        yield* r.appendEvent(id, { eventType: "producer.line", payload: { line: "three" } })
        const all = (yield* r.eventsAfter(id, 0)).map((e) => [e.sequence, e.eventType])
        yield* ctx.invariant(
          "eventsAfter(0) returns every event in sequence order with its type",
          same(all, [[1, "producer.line"], [2, "producer.wake"], [3, "producer.line"]]),
          [[1, "producer.line"], [2, "producer.wake"], [3, "producer.line"]],
          all
        )
        const after1 = (yield* r.eventsAfter(id, 1)).map((e) => e.sequence)
        const after3 = (yield* r.eventsAfter(id, 3)).map((e) => e.sequence)
        yield* ctx.invariant(
          "eventsAfter(n) is ascending and excludes the cursor",
          same([after1, after3], [[2, 3], []]),
          [[2, 3], []],
          [after1, after3]
        )
        const line = yield* ctx.within(
          "waitEventAfter returns an event that already exists at once",
          1_000,
          r.waitEventAfter(id, "producer.line", 1)
        )
        const wake = yield* ctx.within(
          "waitEventAfter returns an existing event of its type at once",
          1_000,
          r.waitEventAfter(id, "producer.wake", 0)
        )
        yield* ctx.invariant(
          "waitEventAfter filters by type: the first producer.line after 1 is 3, the first producer.wake after 0 is 2",
          line.sequence === 3 && line.eventType === "producer.line" && wake.sequence === 2,
          [3, 2],
          [line.sequence, wake.sequence]
        )
        const waiter = yield* Effect.fork(r.waitEventAfter(id, "producer.future", 3))
        yield* Effect.sleep("20 millis")
        const early = yield* Fiber.poll(waiter)
        yield* ctx.invariant(
          "waitEventAfter blocks while no matching event exists",
          Option.isNone(early),
          "still waiting",
          early
        )
        yield* r.appendEvent(id, { eventType: "producer.future", payload: { n: 4 } })
        const woke = yield* ctx.within(
          "an append wakes a blocked waitEventAfter within 1 s",
          1_000,
          Fiber.join(waiter)
        )
        yield* ctx.invariant(
          "the woken waiter gets the new event",
          woke.sequence === 4 && woke.eventType === "producer.future",
          { sequence: 4, eventType: "producer.future" },
          { sequence: woke.sequence, eventType: woke.eventType }
        )
      })
  },
  {
    id: "PR-07",
    suite: "ProcessRegistry",
    title: "wake semantics matrix: payload and const inputs, selector and const dedupe keys",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const id = pid("proc-wake-matrix")
        const identity = { type: "event_identity" as const }
        const wakeInput = { type: "pointer" as const, pointer: "/wake_input" }
        yield* r.register(
          reg("proc-wake-matrix", {
            eventTypes: [
              matrixType("matrix.payload", { input: { type: "payload" }, dedupeKey: identity }),
              matrixType("matrix.const_input", {
                input: { type: "const", value: "constant wake input" },
                dedupeKey: identity
              }),
              matrixType("matrix.selector_dedupe", {
                input: wakeInput,
                dedupeKey: { type: "selector", selector: { type: "pointer", pointer: "/dedupe" } }
              }),
              matrixType("matrix.const_dedupe", {
                input: wakeInput,
                dedupeKey: { type: "const", value: "constant-dedupe" }
              })
            ]
          })
        )
        const append = (eventType: string, payload: unknown) =>
          Effect.map(
            r.appendEvent(id, { eventType, payload: payload as never, wakeTargetScope: scope("root") }),
            (out) => Option.getOrUndefined(out.wakeDelivery)
          )
        const rows: Array<ProcessWakeDelivery | undefined> = [
          yield* append("matrix.payload", "payload wake"),
          yield* append("matrix.const_input", {}),
          yield* append("matrix.selector_dedupe", { wake_input: "one", dedupe: "group-a" }),
          yield* append("matrix.selector_dedupe", { wake_input: "two", dedupe: "group-a" }),
          yield* append("matrix.const_dedupe", { wake_input: "one" }),
          yield* append("matrix.const_dedupe", { wake_input: "two" })
        ]
        const seen = rows.map((d) => d === undefined ? null : [d.sequence, d.input, d.dedupeKey])
        const expected = [
          [1, "payload wake", "proc-wake-matrix:1"],
          [2, "constant wake input", "proc-wake-matrix:2"],
          [3, "one", "group-a"],
          [4, "two", "group-a"],
          [5, "one", "constant-dedupe"],
          [6, "two", "constant-dedupe"]
        ]
        yield* ctx.invariant(
          "each wake takes its input and dedupe key from its event type's selectors",
          same(seen, expected),
          expected,
          seen
        )
        const ids = rows.map((d) => d?.wakeId)
        const expectedIds = expected.map(([, , dedupe]) => Ids.wakeId("session:root", dedupe as string))
        yield* ctx.invariant(
          "the wake id is h([target scope, dedupe key]): equal dedupe keys share one wake id",
          same(ids, expectedIds) && ids[2] === ids[3] && ids[4] === ids[5] && ids[0] !== ids[1],
          expectedIds,
          ids
        )
        const stored = (yield* r.eventsAfter(id, 0)).map((e) => [e.sequence, e.wake?.input, e.wake?.dedupeKey])
        yield* ctx.invariant(
          "dedupe merges wake identities and never drops events: all 6 rows are stored with their wakes",
          same(stored, expected),
          expected,
          stored
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
    id: "X-WAIT-1",
    suite: "ProcessRegistry",
    title: "awaitProcess blocks until the process is terminal",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        yield* r.register(reg("proc-wait", { external: true }))
        const waiter = yield* Effect.fork(r.awaitProcess(pid("proc-wait")))
        yield* Effect.sleep("100 millis")
        const early = yield* Fiber.poll(waiter)
        yield* ctx.invariant(
          "awaitProcess on a running process has not returned after 100 ms",
          Option.isNone(early),
          "still waiting",
          early
        )
        yield* r.completeAsHost(pid("proc-wait"), { type: "success", value: { done: true } })
        const out = yield* ctx.within(
          "awaitProcess returns within 1 s of the terminal write",
          1_000,
          Fiber.join(waiter)
        )
        yield* ctx.invariant(
          "awaitProcess returns the terminal output",
          same(out, { type: "success", value: { done: true } }),
          { type: "success", value: { done: true } },
          out
        )
      })
  },
  {
    id: "X-VAL-2",
    suite: "ProcessRegistry",
    title:
      "append validation: undeclared types, one terminal event, idempotent host completion (a counterexample of MB-PR)",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        const id = pid("proc-val")
        yield* r.register(reg("proc-val", { external: true, eventTypes: [plainType("model.line")] }))
        yield* ctx.expectFailure(
          "an undeclared event type is rejected",
          r.appendEvent(id, { eventType: "model.undeclared", payload: {} }),
          "ProcessEventRejected",
          "undeclared_type"
        )
        const first = yield* r.completeAsHost(id, { type: "success", value: { v: 1 } })
        yield* ctx.expectFailure(
          "a terminal process takes no new event",
          r.appendEvent(id, { eventType: "model.line", payload: { n: 1 } }),
          "ProcessEventRejected",
          "already_terminal"
        )
        yield* ctx.expectSuccess(
          "completeAsHost again with an identical output succeeds and returns the same record",
          r.completeAsHost(id, { type: "success", value: { v: 1 } }),
          (record) => same(record.status, first.status),
          first.status
        )
        yield* ctx.expectFailure(
          "completeAsHost with another output fails",
          r.completeAsHost(id, { type: "failure", code: "late", message: "too late" }),
          "ProcessEventRejected",
          ["already_terminal", "replay_conflict"]
        )
        const out = yield* ctx.within("awaitProcess returns at once", 1_000, r.awaitProcess(id))
        yield* ctx.invariant(
          "awaitProcess still returns the first output",
          same(out, { type: "success", value: { v: 1 } }),
          { type: "success", value: { v: 1 } },
          out
        )
        const terminal = (yield* r.eventsAfter(id, 0)).filter((e) => e.eventType.startsWith("process."))
        yield* ctx.invariant("exactly one terminal event is stored", terminal.length === 1, 1, terminal.length)
      })
  }
]
