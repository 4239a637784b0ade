/**
 * Transient store failures during a process's run, on memory and SQLite (docs/architecture.md, "The worker"; the
 * Postgres test that found them is packages/backends/postgres/test/termination.test.ts): a `StoreUnavailable` while
 * the env loads is not the process's outcome (it runs again, its tool once); a store failure of the cancel watch does
 * not stop a run whose tool is running (it used to end the run as if its lease were lost, and the tool ran again under
 * the next lease); renewals that fail are retried while the lease is valid (they gave up after ten tries, before it
 * lapsed, and stopped the run mid-tool); the lease is renewed while a slow terminal write is retried (it lapsed under
 * the write, and the next lease ran the tool again); and no tool starts once the run cannot renew its lease (it ran under a lease
 * about to lapse, and again under the next one).
 */
import { describe, expect, it } from "@effect/vitest"
import { TestProvider } from "@lash/testing/provider"
import { Context, Effect, Ref } from "effect"
import {
  ProcessEnvStore,
  type ProcessEnvStoreService,
  type ProcessId,
  ProcessRegistry,
  type ProcessRegistryService,
  StoreUnavailable
} from "../../src/index.js"
import { buildCore, counterTool, emptyEnv, toolCallRegistration } from "../fixtures.js"
import { corruptibleBackends, eventually } from "./corruptBackends.js"

const provider = TestProvider.builder().build()
const worker = { leaseTtl: "1 second", renewEvery: "250 millis", sweepEvery: "100 millis" } as const
const outage = (what: string) => new StoreUnavailable({ port: "ProcessRegistry", cause: `failpoint: ${what}` })

/** `count({ label })`: counts its execution first (the side effect), then takes `delayMs`. */
const countingTool = (counter: Ref.Ref<number>, delayMs: number) => counterTool(counter, delayMs, true)

describe.each(corruptibleBackends)("%s: store outages during a run", (_name, open) => {
  it.scopedLive("a StoreUnavailable while the env loads: the process runs again and succeeds, its tool once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const envs = Context.get(storage, ProcessEnvStore)
      let failuresLeft = 0
      const flaky: ProcessEnvStoreService = {
        ...envs,
        get: (ref) => (failuresLeft-- > 0 ? Effect.fail(outage("env load")) : envs.get(ref))
      }
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(Context.add(storage, ProcessEnvStore, flaky), provider, {
        tools: [countingTool(counter, 0)],
        worker
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      failuresLeft = 2
      yield* core.processes().start(toolCallRegistration("p-env", envRef))
      const output = yield* core.processes().await("p-env").pipe(Effect.timeout("20 seconds"))
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-env" } })
      expect(failuresLeft).toBeLessThan(0)
      expect(yield* Ref.get(counter)).toBe(1)
    }))

  it.scopedLive("the cancel watch failing while the tool runs does not stop the run: the tool runs once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      const counter = yield* Ref.make(0)
      let watchFailures = 0
      // The first watch fails once the tool has started (a lost connection under the watcher's read), whether the
      // watcher was registered before the process (watchEventAfter, a start with a free slot) or waits afresh.
      const failFirst = <A, E>(wait: Effect.Effect<A, E>): Effect.Effect<A, E | StoreUnavailable> =>
        Effect.suspend((): Effect.Effect<A, E | StoreUnavailable> =>
          watchFailures++ === 0
            ? Effect.zipRight(eventually(Ref.get(counter), (n) => n >= 1), Effect.fail(outage("cancel watch")))
            : wait
        )
      const flaky: ProcessRegistryService = {
        ...registry,
        waitEventAfter: (id, eventType, sequence) => failFirst(registry.waitEventAfter(id, eventType, sequence)),
        watchEventAfter: (id, eventType, sequence) =>
          Effect.map(registry.watchEventAfter!(id, eventType, sequence), failFirst)
      }
      const core = yield* buildCore(Context.add(storage, ProcessRegistry, flaky), provider, {
        tools: [countingTool(counter, 300)],
        worker
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("p-watch", envRef))
      const output = yield* core.processes().await("p-watch").pipe(Effect.timeout("20 seconds"))
      expect(watchFailures).toBeGreaterThanOrEqual(2)
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-watch" } })
      // Past the first lease's lifetime: nothing ran it again.
      yield* Effect.sleep("1500 millis")
      expect(yield* Ref.get(counter)).toBe(1)
      expect((yield* registry.get("p-watch" as ProcessId)).status.state).toBe("completed")
    }))

  it.scopedLive("renewals failing for most of the lease's lifetime are retried until one succeeds: the tool runs once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      // Every renewal fails until 600 ms before the lease would lapse (a 2 s lease, renewals due every 250 ms): a
      // renewal that gives up before then (ten tries 50 ms apart did) stops the run mid-tool.
      let failures = 0
      const flaky: ProcessRegistryService = {
        ...registry,
        renewLease: (lease, ttlMs) =>
          Effect.suspend(() =>
            Date.now() < lease.expiresAtMs - 600
              ? Effect.sync(() => failures++).pipe(Effect.zipRight(Effect.fail(outage("renewal"))))
              : registry.renewLease(lease, ttlMs)
          )
      }
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(Context.add(storage, ProcessRegistry, flaky), provider, {
        tools: [countingTool(counter, 2_500)],
        worker: { ...worker, leaseTtl: "2 seconds" }
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("p-renew", envRef))
      const output = yield* core.processes().await("p-renew").pipe(Effect.timeout("20 seconds"))
      expect(failures).toBeGreaterThan(11)
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-renew" } })
      expect(yield* Ref.get(counter)).toBe(1)
      expect((yield* registry.get("p-renew" as ProcessId)).status.state).toBe("completed")
    }))

  it.scopedLive("a terminal write attempt that outlasts the lease: renewals go on meanwhile, the tool runs once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      // The first terminal write hangs for longer than the lease's lifetime (reconnects, an in-doubt COMMIT), then
      // fails with StoreUnavailable.
      let slowWrites = 1
      const flaky: ProcessRegistryService = {
        ...registry,
        completeWithLease: (lease, output) =>
          Effect.suspend(() =>
            slowWrites-- > 0
              ? Effect.zipRight(Effect.sleep("1300 millis"), Effect.fail(outage("terminal write")))
              : registry.completeWithLease(lease, output)
          )
      }
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(Context.add(storage, ProcessRegistry, flaky), provider, {
        tools: [countingTool(counter, 0)],
        worker
      })
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("p-slow-write", envRef))
      const output = yield* core.processes().await("p-slow-write").pipe(Effect.timeout("20 seconds"))
      expect(slowWrites).toBeLessThan(0)
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-slow-write" } })
      yield* Effect.sleep("1500 millis")
      expect(yield* Ref.get(counter)).toBe(1)
    }))

  it.scopedLive("no tool starts under a lease that cannot be renewed: the next lease runs it, once", () =>
    Effect.gen(function*() {
      const { storage } = yield* open
      const registry = Context.get(storage, ProcessRegistry)
      const envs = Context.get(storage, ProcessEnvStore)
      // The first lease can never be renewed (every renewal is lost to the store), and the env load of its run takes
      // most of the lease's lifetime: its tool would start shortly before the lease lapses.
      const flakyRegistry: ProcessRegistryService = {
        ...registry,
        renewLease: (lease, ttlMs) =>
          lease.fencingToken === 1 ? Effect.fail(outage("renewal")) : registry.renewLease(lease, ttlMs)
      }
      let slowLoads = 1
      const slowEnvs: ProcessEnvStoreService = {
        ...envs,
        get: (ref) => (slowLoads-- > 0 ? Effect.zipRight(Effect.sleep("850 millis"), envs.get(ref)) : envs.get(ref))
      }
      const counter = yield* Ref.make(0)
      const core = yield* buildCore(
        Context.add(Context.add(storage, ProcessRegistry, flakyRegistry), ProcessEnvStore, slowEnvs),
        provider,
        { tools: [countingTool(counter, 400)], worker }
      )
      const envRef = yield* core.processEnv.persist(emptyEnv)
      yield* core.processes().start(toolCallRegistration("p-lapse", envRef))
      const output = yield* core.processes().await("p-lapse").pipe(Effect.timeout("20 seconds"))
      expect(output).toEqual({ type: "success", value: { n: 1, label: "p-lapse" } })
      expect(yield* Ref.get(counter)).toBe(1)
      const record = yield* registry.get("p-lapse" as ProcessId)
      expect(record.status.state).toBe("completed")
    }))
})
