/**
 * ProcessRegistry mutants of the claim path the worker depends on (packages/testing/README.md, "The kit can fail"):
 * a claim of an unknown process, and a runnable index kept per handle, which only a restarted worker notices.
 *
 * @since 0.1.0
 */
import { Ids, type ProcessLease, ProcessRegistry } from "@lash/core"
import { Clock, Effect, Option } from "effect"
import { type Mutant, override, wrapHandles } from "./Mutant.js"

/** The claim-path mutants. @since 0.1.0 */
export const claimMutants: ReadonlyArray<Mutant> = [
  {
    name: "claim-unknown-process",
    port: "ProcessRegistry",
    bug: "claimLease on an unknown process hands out a lease instead of failing ProcessNotFound",
    caughtBy: ["X-LEASE-5"],
    apply: wrapHandles(
      "claim-unknown-process",
      () => undefined,
      (handle) =>
        override(handle, ProcessRegistry, (real) => ({
          claimLease: (id, ownerId, ttlMs) =>
            Effect.catchTag(real.claimLease(id, ownerId, ttlMs), "ProcessNotFound", () =>
              Effect.map(Clock.currentTimeMillis, (now): ProcessLease => ({
                processId: id,
                ownerId,
                leaseToken: Ids.leaseToken(id, ownerId, 1),
                fencingToken: 1,
                claimedAtMs: now,
                expiresAtMs: now + ttlMs
              })))
        }))
    )
  },
  {
    name: "runnable-index-per-handle",
    port: "ProcessRegistry",
    bug: "claimRunnable only finds processes registered through this handle (a per-handle runnable index)",
    caughtBy: ["RB-04-I", "RB-04-J"],
    apply: wrapHandles("runnable-index-per-handle", () => undefined, (handle) => {
      const registered = new Set<string>()
      return override(handle, ProcessRegistry, (real) => ({
        register: (registration) => Effect.tap(real.register(registration), () => void registered.add(registration.id)),
        claimRunnable: (req) =>
          Effect.gen(function*() {
            const leases: Array<ProcessLease> = []
            for (const row of yield* real.listNonTerminal()) {
              if (leases.length >= req.limit) break
              if (!registered.has(row.id) || row.input.type === "external") continue
              const lease = yield* Effect.option(real.claimLease(row.id, req.ownerId, req.ttlMs))
              if (Option.isSome(lease)) leases.push(lease.value)
            }
            return leases
          })
      }))
    })
  }
]
