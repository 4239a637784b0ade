/**
 * `ProcessRegistry.register` with `claim` (packages/core/src/storage/ProcessRegistryEngine.ts): the registering unit
 * also leases a runnable process, so a worker with a free slot starts the run without a second write unit. On both
 * first-party drivers: the lease is an ordinary lease (fenced, held against every other claimer, completes the
 * process), and nothing that is not runnable is leased.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import {
  type LashStorage,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  type StorageSignals
} from "@lash/core"
import { Context, Effect, Layer, type Scope } from "effect"
import { SqliteBackend } from "../src/index.js"
import { engineRegistration, tempDbFile } from "./helpers.js"

const backends: ReadonlyArray<
  readonly [string, Effect.Effect<Context.Context<LashStorage | StorageSignals>, unknown, Scope.Scope>]
> = [
  ["memory", Layer.build(MemoryBackend.layer())],
  ["sqlite", Effect.flatMap(tempDbFile, (filename) => Layer.build(SqliteBackend.layer({ filename })))]
]

const claim = (ownerId: string) => ({ claim: { ownerId, ttlMs: 60_000 } })

describe.each(backends)("%s: register with claim", (_name, open) => {
  it.scopedLive("a new process is leased by its registering unit, and the lease is an ordinary one", () =>
    Effect.gen(function*() {
      const registry = Context.get(yield* open, ProcessRegistry)
      const out = yield* registry.register(engineRegistration("p1"), claim("worker-a"))
      expect(out.created).toBe(true)
      expect(out.lease).toMatchObject({ processId: "p1", ownerId: "worker-a", fencingToken: 1 })
      // Held against every other claimer.
      expect(yield* registry.claimRunnable({ ownerId: "worker-b", ttlMs: 60_000, limit: 10 })).toEqual([])
      expect(yield* Effect.flip(registry.claimLease("p1" as ProcessId, "worker-b", 60_000))).toMatchObject({
        _tag: "LeaseHeld"
      })
      // It completes the process like any lease.
      const record = yield* registry.completeWithLease(out.lease!, { type: "success", value: 1 })
      expect(record.status.state).toBe("completed")
      expect(yield* registry.awaitProcess("p1" as ProcessId)).toEqual({ type: "success", value: 1 })
    }))

  it.scopedLive("a repeat leases only a runnable row; without claim, external or conflicting nothing is leased", () =>
    Effect.gen(function*() {
      const registry = Context.get(yield* open, ProcessRegistry)
      // Without claim: runnable for any worker, as before.
      expect((yield* registry.register(engineRegistration("p2"))).lease).toBeUndefined()
      // A repeat with claim leases the unleased row (fencing continues from the stored one).
      const repeat = yield* registry.register(engineRegistration("p2"), claim("worker-a"))
      expect(repeat.created).toBe(false)
      expect(repeat.lease).toMatchObject({ ownerId: "worker-a", fencingToken: 1 })
      // A repeat while that lease is live leases nothing.
      expect((yield* registry.register(engineRegistration("p2"), claim("worker-b"))).lease).toBeUndefined()
      // A terminal row is never leased.
      yield* registry.completeWithLease(repeat.lease!, { type: "success", value: null })
      expect((yield* registry.register(engineRegistration("p2"), claim("worker-b"))).lease).toBeUndefined()
      // External processes are run by the host, never leased.
      const external = ProcessRegistration.make({
        id: "ext" as ProcessId,
        input: { type: "external", metadata: null },
        provenance: ProcessProvenance.host()
      })
      expect((yield* registry.register(external, claim("worker-a"))).lease).toBeUndefined()
      // A different registration under a used id is still a conflict.
      const other = ProcessRegistration.make({
        id: "p2" as ProcessId,
        input: { type: "engine", kind: "other", payload: null },
        provenance: ProcessProvenance.host()
      })
      expect(yield* Effect.flip(registry.register(other, claim("worker-a")))).toMatchObject({
        _tag: "ProcessRegistrationConflict"
      })
    }))
})
