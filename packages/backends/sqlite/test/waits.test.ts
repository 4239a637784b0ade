/**
 * Blocking waits on SQLite: they answer from in-process signals, from another handle's commits (data_version), and
 * from the poller's once-a-second `poll` when a change announced nothing at all; and statements bind parameters.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ProcessId, ProcessRegistry, type SessionId, SessionStore } from "@lash/core"
import { Clock, Context, Duration, Effect, Fiber, Layer, Option } from "effect"
import { SqliteBackend, SqliteBackendInternals } from "../src/index.js"
import { engineRegistration, rootSession, tempDbFile } from "./helpers.js"

const pid = (s: string) => s as ProcessId

describe("blocking waits", () => {
  it.scopedLive("awaitProcess wakes on the in-process terminal signal", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const ctx = yield* Layer.build(SqliteBackend.layer({ filename }))
      const registry = Context.get(ctx, ProcessRegistry)
      yield* registry.register(engineRegistration("w1"))
      const waiting = yield* Effect.fork(registry.awaitProcess(pid("w1")))
      yield* Effect.sleep("20 millis")
      yield* registry.completeAsHost(pid("w1"), { type: "success", value: 7 })
      const out = yield* Fiber.join(waiting).pipe(Effect.timeout("500 millis"))
      expect(out).toEqual({ type: "success", value: 7 })
    }))

  it.scopedLive("a wait on one process ends only when that process ends, not on another's terminal signal", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const ctx = yield* Layer.build(SqliteBackend.layer({ filename }))
      const registry = Context.get(ctx, ProcessRegistry)
      yield* registry.register(engineRegistration("mine"))
      yield* registry.register(engineRegistration("other"))
      const waiting = yield* Effect.fork(registry.awaitProcess(pid("mine")))
      yield* Effect.sleep("20 millis")
      yield* registry.completeAsHost(pid("other"), { type: "success", value: 1 })
      yield* Effect.sleep("50 millis")
      expect(Option.isNone(yield* Fiber.poll(waiting)), "another process's end does not end this wait").toBe(true)
      yield* registry.completeAsHost(pid("mine"), { type: "success", value: 2 })
      expect(yield* Fiber.join(waiting).pipe(Effect.timeout("500 millis"))).toEqual({ type: "success", value: 2 })
    }))

  it.scopedLive("a commit by another handle on the file ends the wait (data_version poll)", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const a = Context.get(yield* Layer.build(SqliteBackend.layer({ filename })), ProcessRegistry)
      const b = Context.get(yield* Layer.build(SqliteBackend.layer({ filename })), ProcessRegistry)
      yield* a.register(engineRegistration("x"))
      const waiting = yield* Effect.fork(a.awaitProcess(pid("x")))
      yield* Effect.sleep("20 millis")
      yield* b.completeAsHost(pid("x"), { type: "failure", code: "c", message: "m" })
      expect(yield* Fiber.join(waiting).pipe(Effect.timeout("1 second"))).toEqual({
        type: "failure",
        code: "c",
        message: "m"
      })
    }))

  it.scopedLive("a change nobody announced is still seen: the poller publishes poll at least once a second", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const ctx = yield* Layer.build(SqliteBackend.layerWithInternals({ filename }))
      const registry = Context.get(ctx, ProcessRegistry)
      const internals = Context.get(ctx, SqliteBackendInternals)
      yield* registry.register(engineRegistration("silent"))
      // The terminal record a completion would write, applied behind the backend's back on its own connection:
      // no signal is published, and this connection's data_version does not change.
      const terminal = yield* registry.completeAsHost(pid("silent"), { type: "success", value: "done" })
      yield* internals.sql`UPDATE lash_processes SET terminal = 0, record_json = ${
        JSON.stringify({ ...terminal, status: { state: "running" } })
      } WHERE process_id = ${"silent"}`
      const started = yield* Clock.currentTimeMillis
      const waiting = yield* Effect.fork(registry.awaitProcess(pid("silent")))
      yield* Effect.sleep("50 millis")
      expect(Option.isNone(yield* Fiber.poll(waiting)), "the process reads as running again").toBe(true)
      yield* internals.sql`UPDATE lash_processes SET terminal = 1, record_json = ${
        JSON.stringify(terminal)
      } WHERE process_id = ${"silent"}`
      const out = yield* Fiber.join(waiting).pipe(Effect.timeout(Duration.seconds(3)))
      expect(out).toEqual({ type: "success", value: "done" })
      expect((yield* Clock.currentTimeMillis) - started, "answered by the periodic poll, within about a second")
        .toBeLessThan(2500)
    }))
})

describe("statements", () => {
  it.scopedLive("interpolations are bound parameters, never spliced into the SQL text", () =>
    Effect.gen(function*() {
      const filename = yield* tempDbFile
      const store = Context.get(yield* Layer.build(SqliteBackend.layer({ filename })), SessionStore)
      const hostile = "x'); DROP TABLE lash_sessions; --" as SessionId
      yield* store.create(rootSession(hostile))
      expect(yield* store.exists(hostile)).toBe(true)
      expect(yield* store.exists("x" as SessionId)).toBe(false)
      const head = yield* store.loadHead(hostile)
      expect(Option.map(head, (h) => h.sessionId)).toEqual(Option.some(hostile))
    }))
})
