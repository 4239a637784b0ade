/**
 * What one trigger emit writes (issue 18, B8): the storage calls of an emit whose delivery runs on a worker with a free
 * slot, counted at the ports, with a trigger store that records and starts in one unit and with one that cannot.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Ref } from "effect"
import { Ids, ProcessRegistry, SessionScope, TriggerStore } from "../src/index.js"
import { buildCore, counterTool, emptyEnv, pingSubscription } from "./fixtures.js"

/** `service` with its calls counted by method name in `calls`; the methods in `hidden` read as absent. */
const counted = <S extends object>(service: S, calls: Record<string, number>, hidden: ReadonlyArray<string> = []): S =>
  new Proxy(service, {
    get: (target, name, receiver) => {
      if (typeof name === "string" && hidden.includes(name)) return undefined
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== "function" || typeof name !== "string") return value
      return (...args: Array<unknown>) => {
        calls[name] = (calls[name] ?? 0) + 1
        return (value as (...a: Array<unknown>) => unknown).apply(target, args)
      }
    }
  })

/** Emits one ping on a fresh store whose registry and trigger store are counted; answers the calls. */
const emitOne = (hidden: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const base = yield* Layer.build(MemoryBackend.layer())
    const calls: Record<string, number> = {}
    const storage = base.pipe(
      Context.add(ProcessRegistry, counted(Context.get(base, ProcessRegistry), calls)),
      Context.add(TriggerStore, counted(Context.get(base, TriggerStore), calls, hidden))
    )
    const counter = yield* Ref.make(0)
    const core = yield* buildCore(storage, TestProvider.builder().build(), {
      tools: [counterTool(counter)],
      worker: { startupSweep: false, leaseTtl: "30 seconds", renewEvery: "10 seconds" }
    })
    const envRef = yield* core.processEnv.persist(emptyEnv)
    yield* Context.get(base, TriggerStore).register(pingSubscription(envRef))
    for (const key of Object.keys(calls)) delete calls[key]
    const report = yield* core.triggers().emit({
      sourceType: "test.Ping",
      sourceKey: Ids.emptySourceKey("test.Ping"),
      payload: { n: 1 },
      idempotencyKey: "ping-1"
    })
    const pid = report.startedProcessIds[0]!
    expect(yield* core.processes().await(pid).pipe(Effect.timeout("5 seconds"))).toMatchObject({ type: "success" })
    expect(yield* Ref.get(counter)).toBe(1)
    const owner = SessionScope.make({ sessionId: "owner" as never })
    expect(yield* Context.get(base, ProcessRegistry).hasHandleGrant(owner, pid)).toBe(true)
    return calls
  })

describe("trigger emit units", () => {
  it.scopedLive("occurrence, reservation, registration and grant are one unit; the lease is taken by one more", () =>
    Effect.gen(function*() {
      const calls = yield* emitOne([])
      expect(calls.recordAndStart).toBe(1)
      expect(calls.recordOccurrence ?? 0).toBe(0)
      expect(calls.reserveDeliveriesReport ?? 0).toBe(0)
      expect(calls.grantHandle ?? 0).toBe(0)
      // registerForRun: the row the emit's unit wrote, leased for this worker; no claimLease, no get.
      expect(calls.register).toBe(1)
      expect(calls.claimLease ?? 0).toBe(0)
      expect(calls.get ?? 0).toBe(0)
    }))

  it.scopedLive("a trigger store without recordAndStart: recorded, reserved, then registered and leased in one unit", () =>
    Effect.gen(function*() {
      const calls = yield* emitOne(["recordAndStart"])
      expect(calls.recordOccurrence).toBe(1)
      expect(calls.reserveDeliveriesReport).toBe(1)
      expect(calls.register).toBe(1)
      expect(calls.grantHandle).toBe(1)
      expect(calls.claimLease ?? 0).toBe(0)
    }))
})
