/**
 * Coalesced background runs (internal/coalesced.ts), the gate in front of the worker's and the queued sweeps: a burst of
 * requests while a run is in flight costs one more run, not one each; a request is always followed by a run that
 * starts after it; a run never overlaps another.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, FiberSet } from "effect"
import { coalesced } from "../src/internal/coalesced.js"

const harness = Effect.gen(function*() {
  const fibers = yield* FiberSet.make()
  const fork = (run: Effect.Effect<void>) => Effect.asVoid(FiberSet.run(fibers, run))
  const log: Array<string> = []
  let inFlight = 0
  let overlapped = false
  let gate = yield* Deferred.make<void>()
  const run = Effect.gen(function*() {
    inFlight++
    if (inFlight > 1) overlapped = true
    log.push("start")
    yield* Deferred.await(gate)
    log.push("end")
    inFlight--
  })
  const request = coalesced(run, fork)
  /** Lets the run in flight end (the next run waits on a new gate). */
  const open = Effect.gen(function*() {
    const current = gate
    gate = yield* Deferred.make<void>()
    yield* Deferred.succeed(current, undefined)
  })
  const settle = Effect.gen(function*() {
    for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
  })
  return { log, request, open, settle, overlapped: () => overlapped }
})

describe("coalesced runs", () => {
  it.scoped("a burst of requests during a run costs one more run, which starts after the last request", () =>
    Effect.gen(function*() {
      const h = yield* harness
      yield* h.request
      yield* h.settle
      expect(h.log).toEqual(["start"])
      for (let i = 0; i < 50; i++) yield* h.request
      yield* h.open
      yield* h.settle
      expect(h.log, "one more run for the 50 requests").toEqual(["start", "end", "start"])
      yield* h.open
      yield* h.settle
      expect(h.log).toEqual(["start", "end", "start", "end"])
      expect(h.overlapped()).toBe(false)
    }))

  it.scoped("requests before the forked run started are that run; an idle gate runs again on the next request", () =>
    Effect.gen(function*() {
      const h = yield* harness
      yield* h.request
      yield* h.request
      yield* h.request
      yield* h.settle
      yield* h.open
      yield* h.settle
      expect(h.log, "the run had not started: it covers the requests").toEqual(["start", "end"])
      yield* h.request
      yield* h.settle
      yield* h.open
      yield* h.settle
      expect(h.log).toEqual(["start", "end", "start", "end"])
    }))

  it.scoped("a run that dies leaves the gate idle: the next request runs", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberSet.make()
      let runs = 0
      const request = coalesced(
        Effect.suspend(() => (++runs === 1 ? Effect.dieMessage("boom") : Effect.void)),
        (run) => Effect.asVoid(FiberSet.run(fibers, run))
      )
      yield* request
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      yield* request
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      expect(runs).toBe(2)
    }))
})
