/**
 * What one trigger emit writes (issue 18, B8): the storage calls of an emit whose delivery runs on a worker with a free
 * slot, counted at the ports.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Layer, Ref } from "effect"
import { Ids, ProcessRegistry, TriggerStore } from "../src/index.js"
import { buildCore, counterTool, emptyEnv, pingSubscription } from "./fixtures.js"

/** The storage with its registry's calls counted by method name. */
const countedStorage = Effect.gen(function*() {
  const storage = yield* Layer.build(MemoryBackend.layer())
  const calls: Record<string, number> = {}
  const real = Context.get(storage, ProcessRegistry)
  const counted = new Proxy(real, {
    get: (target, name, receiver) => {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== "function" || typeof name !== "string") return value
      return (...args: Array<unknown>) => {
        calls[name] = (calls[name] ?? 0) + 1
        return (value as (...a: Array<unknown>) => unknown).apply(target, args)
      }
    }
  })
  return { storage: Context.add(storage, ProcessRegistry, counted), calls }
})

describe("trigger emit units", () => {
  it.scopedLive("a delivery is registered and leased in one unit when the worker has a free slot: no claim follows", () =>
    Effect.gen(function*() {
      const { calls, storage } = yield* countedStorage
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(storage, TestProvider.builder().build(), {
        tools: [counterTool(counter)],
        worker: { startupSweep: false, leaseTtl: "30 seconds", renewEvery: "10 seconds" }
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* Context.get(storage, TriggerStore).register(pingSubscription(envRef))
      const report = yield* core.triggers().emit({
        sourceType: "test.Ping",
        sourceKey: Ids.emptySourceKey("test.Ping"),
        payload: { n: 1 },
        idempotencyKey: "ping-1"
      })
      const pid = report.startedProcessIds[0]!
      expect(yield* core.processes().await(pid).pipe(Effect.timeout("5 seconds"))).toMatchObject({ type: "success" })
      expect(yield* Ref.get(counter)).toBe(1)
      expect(calls.claimLease ?? 0).toBe(0)
      expect(calls.claimRunnable ?? 0).toBe(0)
      expect(calls.register).toBe(1)
    }))
})
