/**
 * B3, trigger emit throughput: `core.triggers().emit` of distinct occurrences matching 1 subscription, and 8
 * subscriptions (fan-out: one started process per match), on a LashCore over SqliteBackend. Worker paused
 * (`worker.enabled: false`: the store cost of recording the occurrence and starting the processes), then running
 * (the worker runs the started echo processes concurrently; every one is awaited and counted once at the end).
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import { Ids, type SessionId, TriggerStore } from "@lash/core"
import { Context, Effect, Layer } from "effect"
import { buildCore, echoTool, emptyEnv } from "./Core.js"
import { tempDir } from "./Fixtures.js"
import { summarize, type Summary } from "./Stats.js"

const SOURCE = "bench.Ping"

const draft = (envRef: string, k: number) => ({
  registrant: { type: "session" as const, scope: { sessionId: "owner" as SessionId } },
  registrationKey: `owner:bench:${k}`,
  envRef: envRef as never,
  wakeTarget: { sessionId: "owner" as SessionId },
  name: `echo on ping ${k}`,
  sourceType: SOURCE,
  sourceKey: Ids.emptySourceKey(SOURCE),
  source: {},
  payloadSchema: { type: "object", properties: { n: { type: "number" } }, required: ["n"], additionalProperties: true },
  target: {
    type: "tool_call" as const,
    call: {
      callId: `ping-${k}`,
      toolId: "tool:echo" as never,
      toolName: "echo",
      args: { label: `ping-${k}` },
      preparedPayload: null
    }
  },
  targetIdentity: { kind: "tool_call" },
  eventTypes: [],
  inputTemplate: {}
})

export const b3 = (
  synchronous: "full" | "normal",
  subscriptions: number,
  running: boolean,
  n: number
): Promise<Summary> => {
  const tmp = tempDir("b3")
  const program = Effect.gen(function*() {
    const storage = yield* Layer.build(SqliteBackend.layer({ filename: tmp.file("lash.db"), synchronous }))
    const counter = { n: 0 }
    const core = yield* buildCore(storage, { tools: [echoTool(counter)], worker: { enabled: running } })
    const envRef = yield* core.processEnv.persist(emptyEnv)
    for (let k = 0; k < subscriptions; k++) yield* Context.get(storage, TriggerStore).register(draft(envRef, k))
    const warmup = Math.min(50, n)
    const samples: Array<number> = []
    const started: Array<string> = []
    for (let i = 0; i < warmup + n; i++) {
      const request = {
        sourceType: SOURCE,
        sourceKey: Ids.emptySourceKey(SOURCE),
        payload: { n: i },
        idempotencyKey: `ping-${i}`
      }
      const t0 = process.hrtime.bigint()
      const report = yield* core.triggers().emit(request)
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (report.startedProcessIds.length !== subscriptions) {
        return yield* Effect.dieMessage(
          `B3: ${report.startedProcessIds.length} processes started for ${subscriptions} subscriptions`
        )
      }
      started.push(...report.startedProcessIds)
      if (i >= warmup) samples.push(ms)
    }
    if (running) {
      for (const pid of started) {
        const out = yield* core.processes().await(pid)
        if (out.type !== "success") return yield* Effect.dieMessage(`B3 ${pid}: ${JSON.stringify(out)}`)
      }
      if (counter.n !== started.length) {
        return yield* Effect.dieMessage(
          `B3 exactly-once violated: ${counter.n} executions for ${started.length} processes`
        )
      }
    }
    return summarize(samples)
  })
  return Effect.runPromise(Effect.scoped(program)).finally(tmp.dispose)
}
