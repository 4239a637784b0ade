/**
 * Random operation sequences run in lockstep on several stores, for the tests that compare implementations
 * (fastPaths.test.ts here, differential.test.ts in the Postgres backend): each step draws its randomness first, then
 * applies the same operation everywhere, so a failure names a reproducible sequence.
 */
import {
  type LoadPathRequest,
  type ProcessAwaitOutput,
  type ProcessId,
  type ProcessLease,
  type ProcessRegistration,
  type ProcessRegistry,
  type SessionStore
} from "@lash/core"
import { Effect, Either, TestClock } from "effect"
import { appendCommit, engineRegistration, rootSession } from "./helpers.js"

/** A deterministic generator (LCG) of numbers in [0, 1). */
export const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

/**
 * Creates `sessionId` in every store and commits `commits` random appends to each: mostly 1–2 nodes on the current
 * leaf, sometimes (8 %) a branch from a node far back. Returns the node ids in commit order.
 */
export const branchedGraph = (
  stores: ReadonlyArray<SessionStore["Type"]>,
  sessionId: string,
  commits: number,
  random: () => number
) =>
  Effect.gen(function*() {
    for (const store of stores) yield* store.create(rootSession(sessionId))
    const ids: Array<string> = []
    let leaf: string | undefined
    for (let c = 0; c < commits; c++) {
      const branch = ids.length > 10 && random() < 0.08
      let parent = branch ? ids[Math.floor(random() * ids.length)] : leaf
      const nodes: Array<{ id: string; parent?: string }> = []
      const count = 1 + Math.floor(random() * 2)
      for (let k = 0; k < count; k++) {
        const id = `n${ids.length + nodes.length}`
        nodes.push(parent === undefined ? { id } : { id, parent })
        parent = id
      }
      const commit = appendCommit(sessionId, c, nodes)
      for (const store of stores) yield* store.commit(commit)
      for (const n of nodes) ids.push(n.id)
      leaf = nodes[nodes.length - 1]!.id
    }
    return ids
  })

/**
 * `loadPath` requests over a graph's node ids: from the leaf at each of `limits`, then `random` pairs (from an older
 * leaf, and paged with `beforeNodeId`) with limits below `maxLimit`.
 */
export const loadPathQueries = (
  ids: ReadonlyArray<string>,
  random: () => number,
  options: { readonly limits: ReadonlyArray<number>; readonly pairs: number; readonly maxLimit: number }
): Array<LoadPathRequest> => {
  const queries: Array<LoadPathRequest> = options.limits.map((limit) => ({ limit }))
  for (let q = 0; q < options.pairs; q++) {
    const leafNodeId = ids[Math.floor(random() * ids.length)]!
    const limit = Math.floor(random() * options.maxLimit)
    queries.push({ limit, leafNodeId })
    queries.push({ limit, beforeNodeId: ids[Math.floor(random() * ids.length)]! })
  }
  return queries
}

/**
 * Applies one registry operation to every registry under comparison and checks that they answer alike (the caller's
 * assertion); returns the answer.
 */
export type Lockstep = <A, E>(
  operation: (registry: ProcessRegistry["Type"]) => Effect.Effect<A, E>
) => Effect.Effect<Either.Either<A, E>>

/**
 * `steps` random process registry operations through `each`, under `TestClock`: registrations (15 % external) of
 * `processes` ids, `claimRunnable` with random TTLs and limits followed sometimes by a release or a completion of the
 * first lease, single `claimLease`s, and clock moves. Returns how many leases the claims handed out.
 */
export const registrySteps = (
  each: Lockstep,
  random: () => number,
  options: { readonly steps: number; readonly processes: number }
) =>
  Effect.gen(function*() {
    const pick = () => `p-${String(Math.floor(random() * options.processes)).padStart(2, "0")}`
    const external = (id: string): ProcessRegistration => ({
      ...engineRegistration(id),
      input: { type: "external", metadata: null }
    })
    let claimed = 0
    for (let step = 0; step < options.steps; step++) {
      const roll = random()
      if (roll < 0.3) {
        const id = pick()
        const registration = random() < 0.15 ? external(id) : engineRegistration(id)
        yield* each((r) => r.register(registration))
      } else if (roll < 0.6) {
        const request = { ownerId: `w${step}`, ttlMs: Math.floor(random() * 3) * 500, limit: Math.floor(random() * 5) }
        const leases = yield* each((r) => r.claimRunnable(request))
        const [then, release] = [random(), random() < 0.5]
        if (leases._tag === "Right") {
          claimed += leases.right.length
          const lease = leases.right[0]
          if (lease !== undefined && then < 0.4) {
            yield* each((r) =>
              release ? r.releaseLease(lease) : r.completeWithLease(lease, { type: "success", value: step })
            )
          }
        }
      } else if (roll < 0.7) {
        const id = pick() as ProcessId
        yield* each((r) => r.claimLease(id, `single-${step}`, 1_000))
      } else {
        yield* TestClock.adjust(Math.floor(random() * 700))
      }
    }
    return claimed
  })

/**
 * The fenced completions (`completeWithLease`, whose row write is `processes.updateRecordAndLease` when the driver has
 * it) through `each`, under `TestClock`: an end by the lease taken at registration, a failure end by a claimed lease,
 * the owner's end after the host ended the process (the same end: a replay that writes the release alone; another end:
 * a conflict that writes nothing), a stale fence after takeover (`LeaseLost`, nothing written) and then the current
 * owner's end, and the end of a parked run's lease (`LeaseLost`). Returns how many completions ended a process.
 */
export const fencedCompletionSteps = (each: Lockstep) =>
  Effect.gen(function*() {
    const day = 86_400_000
    const id = (name: string) => `fc-${name}` as ProcessId
    const claim = (name: string, ownerId: string, ttlMs: number) =>
      Effect.map(each((r) => r.claimLease(id(name), ownerId, ttlMs)), Either.getOrThrow)
    let ended = 0
    const complete = (lease: ProcessLease, output: ProcessAwaitOutput) =>
      Effect.tap(each((r) => r.completeWithLease(lease, output)), (answer) => {
        if (Either.isRight(answer)) ended++
      })
    const registered = Either.getOrThrow(
      yield* each((r) => r.register(engineRegistration(id("a")), { claim: { ownerId: "w", ttlMs: day } }))
    )
    yield* TestClock.adjust(5)
    yield* complete(registered.lease!, { type: "success", value: 1 })
    yield* each((r) => r.register(engineRegistration(id("b"))))
    yield* complete(yield* claim("b", "w", day), { type: "failure", code: "E", message: "failed" })
    for (const [name, value] of [["c", 3], ["d", 5]] as const) {
      yield* each((r) => r.register(engineRegistration(id(name))))
      const lease = yield* claim(name, "w", day)
      yield* TestClock.adjust(7)
      yield* each((r) => r.completeAsHost(id(name), { type: "success", value: 3 }))
      yield* complete(lease, { type: "success", value })
    }
    yield* each((r) => r.register(engineRegistration(id("e"))))
    const stale = yield* claim("e", "old", 0)
    const current = yield* claim("e", "new", day)
    yield* complete(stale, { type: "success", value: "stale" })
    yield* complete(current, { type: "success", value: "current" })
    yield* each((r) => r.register(engineRegistration(id("f"))))
    const parking = yield* claim("f", "w", day)
    yield* each((r) => r.park(parking, { untilMs: null, seenSequence: 0, reason: "signal" }))
    yield* complete(parking, { type: "success", value: "parked" })
    yield* each((r) => r.eventsAfter(id("e"), 0))
    return ended
  })
