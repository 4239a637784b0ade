/**
 * Cross-process signals: two handles on one schema stand in for two machines. A waiter on one (`awaitProcess`) wakes
 * when the other completes the process:
 * - by `LISTEN/NOTIFY`, well before its backstop poll (set to a minute here);
 * - with `notify: false`, by the backstop poll alone;
 * - after the server terminated its listening connection: the listener reconnects and re-checks (a poll), and later
 *   notifications arrive on the new connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ProcessId, ProcessRegistry } from "@lash/core"
import { Context, Effect, Fiber, Layer } from "effect"
import * as Pg from "pg"
import { engineRegistration } from "../../sqlite/test/helpers.js"
import { PostgresBackend, type PostgresBackendOptions } from "../src/index.js"

const machines = (options: Omit<PostgresBackendOptions, "url" | "schema">) =>
  Effect.gen(function*() {
    const schema = yield* PostgresBackend.testing.schema()
    const open = (applicationName: string) =>
      Effect.map(
        Layer.build(PostgresBackend.layer({
          url: PostgresBackend.testing.url(),
          schema,
          poolSize: 2,
          applicationName,
          ...options
        })),
        (ctx) => Context.get(ctx, ProcessRegistry)
      )
    const suffix = schema.slice(-8)
    return { writer: yield* open(`lash-w-${suffix}`), waiter: yield* open(`lash-r-${suffix}`), suffix }
  })

/** Registers and completes `id` on `registry`. */
const complete = (registry: ProcessRegistry["Type"], id: string) =>
  Effect.gen(function*() {
    const lease = yield* registry.claimLease(id as ProcessId, "writer", 10_000)
    yield* registry.completeWithLease(lease, { type: "success", value: id })
  })

/** How long `waiter.awaitProcess(id)` takes to return after `writer` completes `id`. */
const wakeLatency = (writer: ProcessRegistry["Type"], waiter: ProcessRegistry["Type"], id: string) =>
  Effect.gen(function*() {
    yield* writer.register(engineRegistration(id))
    const waiting = yield* Effect.fork(waiter.awaitProcess(id as ProcessId))
    yield* Effect.sleep("300 millis")
    const start = Date.now()
    yield* complete(writer, id)
    yield* Fiber.join(waiting)
    return Date.now() - start
  })

const withPsql = <A, E, R>(f: (client: Pg.Client) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const client = new Pg.Client({ connectionString: PostgresBackend.testing.url() })
      client.on("error", () => undefined)
      await client.connect()
      return client
    }),
    f,
    (client) => Effect.promise(() => client.end().catch(() => undefined))
  )

describe("signals between machines", () => {
  it.scopedLive("NOTIFY wakes a waiter on another handle long before its backstop poll", () =>
    Effect.gen(function*() {
      const { waiter, writer } = yield* machines({ pollIntervalMs: 60_000 })
      const ms = yield* wakeLatency(writer, waiter, "notify-1")
      expect(ms, "woken by the notification, not by the one-minute poll").toBeLessThan(5_000)
    }))

  it.scopedLive("with notify off, the backstop poll wakes the waiter", () =>
    Effect.gen(function*() {
      const { waiter, writer } = yield* machines({ notify: false, pollIntervalMs: 200 })
      const ms = yield* wakeLatency(writer, waiter, "poll-1")
      expect(ms).toBeLessThan(5_000)
    }))

  it.scopedLive("a terminated listening connection reconnects, re-checks, and hears later notifications", () =>
    Effect.gen(function*() {
      const { suffix, waiter, writer } = yield* machines({ pollIntervalMs: 60_000 })
      const id = "dropped-1"
      yield* writer.register(engineRegistration(id))
      const waiting = yield* Effect.fork(waiter.awaitProcess(id as ProcessId))
      yield* Effect.sleep("300 millis")
      // Kill the waiter's LISTEN connection, then complete while it is down: only the reconnect's re-check sees it.
      const killed = yield* withPsql((client) =>
        Effect.promise(() =>
          client.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
              WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
            [`lash-r-${suffix}`]
          ).then((r) => r.rowCount ?? 0)
        )
      )
      expect(killed, "the listening connection was found and terminated").toBe(1)
      yield* complete(writer, id)
      yield* Fiber.join(waiting).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "no wake" }))
      const ms = yield* wakeLatency(writer, waiter, "dropped-2")
      expect(ms, "the new listening connection hears notifications").toBeLessThan(5_000)
    }))
})
