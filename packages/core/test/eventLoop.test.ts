/**
 * The worker's scheduler (src/internal/eventLoop.ts): its yield check reads a fiber's limits only every
 * `YIELD_CHECK_EVERY` steps, a busy worker fiber still lets the event loop run (its own limit obeyed within that many
 * steps), and a process's tool runs on it (src/internal/worker.ts, `forkFiber`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Fiber, FiberRef, Schema } from "effect"
import { workerScheduler, workerShouldYield, YIELD_CHECK_EVERY } from "../src/internal/eventLoop.js"
import { ProcessRegistration } from "../src/Process.js"
import { defineTool } from "../src/TypedTool.js"
import { processCore } from "./fixtures.js"

/** A fiber at `steps` steps of its slice, with `maxOps` and `priority` as its fiber refs; counts the reads. */
const fiberAt = (steps: number, maxOps: number, priority: number) => {
  const reads = { n: 0 }
  const fiber = {
    currentOpCount: steps,
    getFiberRef: (ref: unknown) => {
      reads.n++
      if (ref === FiberRef.currentMaxOpsBeforeYield) return maxOps
      if (ref === FiberRef.currentSchedulingPriority) return priority
      throw new Error("unexpected fiber ref")
    }
  } as unknown as Fiber.RuntimeFiber<unknown, unknown>
  return { fiber, reads }
}

/**
 * Runs `steps` one-step effects on the worker's scheduler, from the start of a slice (after a yield); answers the
 * loop's count when an immediate queued just before it ran.
 */
const countAtImmediate = (steps: number, limit?: number) =>
  Effect.gen(function*() {
    let done = 0
    let seen: number | undefined
    const loop = Effect.gen(function*() {
      yield* Effect.yieldNow()
      setImmediate(() => {
        seen = done
      })
      yield* Effect.forEach(Array.from({ length: steps }), () => Effect.sync(() => void done++), { discard: true })
    })
    yield* Effect.withScheduler(limit === undefined ? loop : Effect.withMaxOpsBeforeYield(loop, limit), workerScheduler)
    return { seen, done }
  })

describe("the worker's scheduler", () => {
  it("reads a fiber's limits only every YIELD_CHECK_EVERY steps, and yields past them with its priority", () => {
    expect(YIELD_CHECK_EVERY).toBe(64)
    const between = fiberAt(2_049, 2_048, 0)
    expect(workerShouldYield(between.fiber)).toBe(false)
    expect(between.reads.n, "no read between two checks").toBe(0)
    const atLimit = fiberAt(2_048, 2_048, 0)
    expect(workerShouldYield(atLimit.fiber), "not past the limit yet").toBe(false)
    expect(atLimit.reads.n).toBe(1)
    const past = fiberAt(2_112, 2_048, 5)
    expect(workerShouldYield(past.fiber), "the first check past the limit yields, at the fiber's priority").toBe(5)
    expect(workerShouldYield(fiberAt(128, 100, 0).fiber), "a lower limit of the fiber's own").toBe(0)
    expect(workerShouldYield(fiberAt(64, 100, 0).fiber)).toBe(false)
  })

  it.live("a busy worker fiber lets the event loop run midway, within its own limit", () =>
    Effect.gen(function*() {
      const busy = yield* countAtImmediate(20_000)
      expect(busy.done).toBe(20_000)
      expect(busy.seen, "the immediate ran before the loop ended").toBeGreaterThan(0)
      expect(busy.seen).toBeLessThan(20_000)
      const limited = yield* countAtImmediate(2_000, 100)
      expect(limited.seen, "a limit of 100 steps is obeyed within YIELD_CHECK_EVERY steps").toBeGreaterThan(0)
      expect(limited.seen).toBeLessThanOrEqual(100 + YIELD_CHECK_EVERY)
    }))
})

describe("the worker's fibers", () => {
  it.scopedLive("a process's tool runs on the worker's scheduler, the host's start and await on Effect's default", () =>
    Effect.gen(function*() {
      const seen: Array<boolean> = []
      const probe = defineTool({
        name: "probe",
        description: "Notes whether it runs on the worker's scheduler",
        input: Schema.Struct({}),
        output: Schema.Boolean,
        execute: () =>
          Effect.map(FiberRef.get(FiberRef.currentScheduler), (scheduler) => {
            seen.push(scheduler === workerScheduler)
            return scheduler === workerScheduler
          })
      })
      const { core, envRef } = yield* processCore({ tool: () => probe })
      yield* core.processes().start(ProcessRegistration.toolCall({ id: "probe", toolName: "probe", args: {}, envRef }))
      const output = yield* core.processes().await("probe").pipe(Effect.timeout("5 seconds"))
      expect(output).toEqual({ type: "success", value: true })
      expect(seen).toEqual([true])
      expect(yield* FiberRef.get(FiberRef.currentScheduler), "the host's fiber is left as it was").not.toBe(
        workerScheduler
      )
    }))
})
