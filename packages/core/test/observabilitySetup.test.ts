/**
 * docs/observability.md's setup is a program that runs (telemetry/setupExample.ts, shown verbatim in the doc: see
 * scripts/test/readmes.test.ts): in a child process (the OpenTelemetry SDK registers global providers), one turn
 * under that setup prints lash's spans and metrics through the console exporters.
 */
import { isRunning, spawnChild, waitForChildren } from "@lash/testing/processes"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { SpanNames } from "../src/index.js"

describe("docs/observability.md setup", () => {
  it("exports a turn's spans and lash's metrics", async () => {
    const printed = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const child = yield* spawnChild({
        script: fileURLToPath(new URL("./telemetry/setupExample.ts", import.meta.url)),
        cwd: fileURLToPath(new URL("..", import.meta.url))
      })
      yield* waitForChildren("the setup example to finish", () => !isRunning(child), {
        timeoutMs: 60_000,
        watched: [child]
      })
      expect(child.child.exitCode).toBe(0)
      return child.lines.join("\n")
    })))
    for (const span of [SpanNames.turn, SpanNames.llmCall, SpanNames.commit]) {
      expect(printed).toContain(`name: '${span}'`)
    }
    // lash.turns: LashMetrics.turns, exported by the metric reader when the scope closes
    expect(printed).toContain("name: 'lash.turns'")
  }, 90_000)
})
