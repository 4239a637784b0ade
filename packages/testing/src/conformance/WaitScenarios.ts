/**
 * Blocking waits across handles (packages/testing/README.md, "Handles and reopen"): X-WAIT-2. A waiter on one handle
 * must be woken by writes made through another, whether the backend notifies, polls or both.
 *
 * @since 0.1.0
 */
import { ProcessRegistry } from "@lash/core"
import { Context, Effect, Fiber, Option } from "effect"
import { lineType, pid, reg, same } from "./Fixtures.js"
import type { Scenario } from "./Harness.js"

/** The cross-handle wait scenarios. @since 0.1.0 */
export const waitScenarios: ReadonlyArray<Scenario> = [
  {
    id: "X-WAIT-2",
    suite: "ProcessRegistry",
    title: "waiters on one handle wake within 1 s of an append and a completion made through another",
    clock: "live",
    run: (ctx) =>
      Effect.gen(function*() {
        const writer = Context.get(ctx.handle, ProcessRegistry)
        const waiting = Context.get(yield* ctx.reopen, ProcessRegistry)
        const id = pid("proc-cross-wait")
        yield* writer.register(reg("proc-cross-wait", { external: true, eventTypes: [lineType("producer.line")] }))
        const event = yield* Effect.fork(waiting.waitEventAfter(id, "producer.line", 0))
        const done = yield* Effect.fork(waiting.awaitProcess(id))
        yield* Effect.sleep("100 millis")
        const early = [Option.isSome(yield* Fiber.poll(event)), Option.isSome(yield* Fiber.poll(done))]
        yield* ctx.invariant(
          "neither waiter has returned before the writes",
          !early[0] && !early[1],
          { waitEventAfterReturned: false, awaitProcessReturned: false },
          { waitEventAfterReturned: early[0], awaitProcessReturned: early[1] }
        )
        yield* writer.appendEvent(id, { eventType: "producer.line", payload: { line: "across" } })
        const seen = yield* ctx.within(
          "waitEventAfter on the other handle returns within 1 s of the append",
          1_000,
          Fiber.join(event)
        )
        yield* ctx.invariant("it returns the appended event", seen.sequence === 1, 1, seen.sequence)
        const output = { type: "success" as const, value: { across: true } }
        yield* writer.completeAsHost(id, output)
        const out = yield* ctx.within(
          "awaitProcess on the other handle returns within 1 s of the completion",
          1_000,
          Fiber.join(done)
        )
        yield* ctx.invariant("it returns the terminal output", same(out, output), output, out)
      })
  }
]
