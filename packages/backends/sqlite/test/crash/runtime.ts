/**
 * The runtime the crash and contention tests share between the test process and its child workers: the rebuild
 * surface plugin of @lash/testing plus a slow tool, so a SIGKILL lands in the middle of process runs.
 */
import { defineTool, InlineEffectController, LashCore, type LashCoreConfig } from "@lash/core"
import { rebuildSurfacePlugin } from "@lash/testing/fixtures"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Schema } from "effect"
import { SqliteBackend } from "../../src/index.js"

/** A session whose turn registers `step_on_tick` on `clock.Alarm`; each occurrence starts one process. */
export const SESSION = "crash-session"

/** Each process: one slow tool call, one wake, then finish. */
export const PROGRAM = `process step_on_tick(tick: clock.Tick) {
  r = await tools.slow_step({ id: tick.id })?
  wake format("done {}", tick.id)
  finish { id: tick.id, step: r.step }
}
handle = await triggers.register({ source: clock.Alarm({ at: "08:00" }), target: step_on_tick, inputs: { tick: trigger.event }, name: "crash" })?
submit "registered"`

const slowTool = (delayMs: number, onStart: (id: string) => void) =>
  defineTool({
    name: "slow_step",
    description: "Takes a while",
    input: Schema.Struct({ id: Schema.String }),
    output: Schema.Struct({ step: Schema.String }),
    execute: ({ id }) =>
      Effect.gen(function*() {
        onStart(id)
        yield* Effect.sleep(delayMs)
        return { step: `stepped ${id}` }
      })
  })

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** A core over `filename`. Worker timings are short so takeover after a kill happens within a second. */
export const crashCore = (
  filename: string,
  options: {
    readonly worker: boolean
    readonly delayMs?: number
    readonly onStart?: (id: string) => void
    readonly leaseTtlMs?: number
  }
) => {
  const provider = TestProvider.builder()
    .complete((req) =>
      req.messages.some((m) => m.content.startsWith("Runtime event")) ? fence("submit \"ack\"") : fence(PROGRAM)
    )
    .build()
  const config: LashCoreConfig = {
    mode: "rlm",
    model: { id: "crash-model", limits: { contextWindowTokens: 4096 } },
    plugins: [rebuildSurfacePlugin],
    tools: [slowTool(options.delayMs ?? 200, options.onStart ?? (() => {}))],
    worker: {
      enabled: options.worker,
      leaseTtl: options.leaseTtlMs ?? 900,
      renewEvery: Math.floor((options.leaseTtlMs ?? 900) / 3),
      sweepEvery: "150 millis",
      maxConcurrent: 4
    }
  }
  return LashCore.layer(config).pipe(
    Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer)),
    Layer.provideMerge(SqliteBackend.layer({ filename }))
  )
}
