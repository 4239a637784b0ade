/**
 * The optimistic check the driver's units rely on: a transaction whose reads (keys or scanned prefixes) changed
 * before it commits is refused, and through the driver such a unit runs again instead of answering from a stale read.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ProcessId, ProcessProvenance, ProcessRegistration, ProcessRegistry } from "@lash/core"
import { Context, Effect, Either, Layer } from "effect"
import { LaggyBackend } from "../src/index.js"
import { KeyValueStore } from "../src/KeyValueStore.js"
import { below, key, KeyValueTransaction } from "../src/KeyValueTransaction.js"

describe("optimistic transactions", () => {
  it("a commit whose read key was written since is refused; its writes are not applied", () => {
    const store = new KeyValueStore()
    const first = new KeyValueTransaction(store)
    const second = new KeyValueTransaction(store)
    expect(first.get(key("counter", "n"))).toBeUndefined()
    expect(second.get(key("counter", "n"))).toBeUndefined()
    first.put(key("counter", "n"), 1)
    second.put(key("counter", "n"), 2)
    expect(store.commit(first, first.writes)).toBe(true)
    expect(store.commit(second, second.writes)).toBe(false)
    expect(new KeyValueTransaction(store).get(key("counter", "n"))).toBe(1)
  })

  it("a scanned prefix that gained or lost a key since the scan is refused", () => {
    const store = new KeyValueStore()
    const seed = new KeyValueTransaction(store)
    seed.put(key("open", "s", 1), "a")
    store.commit(seed, seed.writes)
    const scanner = new KeyValueTransaction(store)
    expect(scanner.scan(below("open", "s"))).toEqual(["a"])
    const remover = new KeyValueTransaction(store)
    remover.delete(key("open", "s", 1))
    expect(store.commit(remover, remover.writes)).toBe(true)
    expect(store.isCurrent(scanner)).toBe(false)
    const elsewhere = new KeyValueTransaction(store)
    expect(elsewhere.scan(below("open", "t"))).toEqual([])
    expect(store.isCurrent(elsewhere)).toBe(true)
  })

  it.scopedLive("racing lease claims through the driver: the losers re-run and see the winner's lease", () =>
    Effect.gen(function*() {
      const registry = Context.get(yield* Layer.build(LaggyBackend.layer({ maxMicros: 2000 })), ProcessRegistry)
      const id = "contended" as ProcessId
      yield* registry.register(
        ProcessRegistration.make({
          id,
          input: { type: "engine", kind: "test", payload: null },
          provenance: ProcessProvenance.host()
        })
      )
      const outcomes = yield* Effect.all(
        Array.from({ length: 12 }, (_, i) => Effect.either(registry.claimLease(id, `owner-${i}`, 60_000))),
        { concurrency: "unbounded" }
      )
      expect(outcomes.filter(Either.isRight)).toHaveLength(1)
      expect(outcomes.filter(Either.isLeft).map((o) => o.left._tag)).toEqual(Array(11).fill("LeaseHeld"))
    }))
})
