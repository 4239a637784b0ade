/**
 * ProcessRegistry scenarios: registration, grants, events and wakes, terminal writes, waits and list filters
 * (packages/testing/README.md, "ProcessRegistry"). Leases are in LeaseScenarios.ts, races in RaceScenarios.ts.
 *
 * @since 0.1.0
 */
import { ProcessProvenance, ProcessRegistration, ProcessRegistry } from "@lash/core"
import { Context, Effect } from "effect"
import { pid, reg, same, scope, wakeType } from "./Fixtures.js"
import type { Scenario, ScenarioContext } from "./Harness.js"

const registry = (ctx: ScenarioContext) => Context.get(ctx.handle, ProcessRegistry)

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
    id: "X-ISO-2",
    suite: "ProcessRegistry",
    title: "session-scoped process queries see only their session, also combined with other filters",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const r = registry(ctx)
        for (const s of ["s1", "s2"]) {
          yield* r.register(reg(`${s}-running`, { originator: s, kind: "shared-kind" }))
          yield* r.register(
            ProcessRegistration.make({
              id: pid(`${s}-done`),
              input: { type: "external", metadata: null },
              provenance: ProcessProvenance.session(scope(s)),
              identity: { kind: "shared-kind" }
            })
          )
          yield* r.completeAsHost(pid(`${s}-done`), { type: "success", value: null })
          yield* r.grantHandle(scope(s), pid(`${s}-running`), { label: s })
        }
        const ids = (xs: ReadonlyArray<{ readonly id: string }>) => xs.map((x) => x.id)
        const s1 = "s1" as never
        const seen = {
          all: ids(yield* r.list({ originatorSessionId: s1 })),
          running: ids(yield* r.list({ originatorSessionId: s1, status: "running" })),
          terminal: ids(yield* r.list({ originatorSessionId: s1, status: "terminal" })),
          kind: ids(yield* r.list({ originatorSessionId: s1, kind: "shared-kind" }))
        }
        const expected = {
          all: ["s1-done", "s1-running"],
          running: ["s1-running"],
          terminal: ["s1-done"],
          kind: ["s1-done", "s1-running"]
        }
        yield* ctx.invariant(
          "list({ originatorSessionId }) returns only that session's processes, with any other filter",
          same(seen, expected),
          expected,
          seen
        )
        const grants = (yield* r.listHandleGrants(scope("s1"))).map((g) => g.processId)
        const foreign = yield* r.hasHandleGrant(scope("s1"), pid("s2-running"))
        yield* ctx.invariant(
          "a scope's grants are its own: listHandleGrants(s1) is [s1-running] and s1 holds no grant of s2's process",
          same(grants, ["s1-running"]) && !foreign,
          { grants: ["s1-running"], foreign: false },
          { grants, foreign }
        )
      })
  }
]
