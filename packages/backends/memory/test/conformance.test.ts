import { StorageSignals } from "@lash/core"
import {
  backendConformance,
  processRegistrySuite,
  runtimeRebuildAndWorkerRecovery,
  type StorageUnderTest
} from "@lash/testing"
import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { MemoryBackend, MemoryBackendInternals } from "../src/index.js"

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lash-memory-report-")), "memory.json")

/** One live store per `fresh`; building its layer again hands out the same store (inline tier). */
const memory: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layerWithInternals()), Layer.succeedContext),
  tampering: (handle) => Context.unsafeGet(handle, MemoryBackendInternals),
  report
}

/** The same store without the optional StorageSignals: waits and the worker must not depend on it. */
const withoutSignals: StorageUnderTest = {
  name: "memory (no StorageSignals)",
  tier: "inline",
  fresh: Effect.map(
    Layer.build(MemoryBackend.layer()),
    (ctx) => Layer.succeedContext(Context.omit(StorageSignals)(ctx))
  )
}

runtimeRebuildAndWorkerRecovery(memory)
backendConformance(memory)
processRegistrySuite(withoutSignals)
runtimeRebuildAndWorkerRecovery(withoutSignals)

describe("memory › the JSON report", () => {
  afterAll(() => fs.rmSync(path.dirname(report), { recursive: true, force: true }))
  it("lists every scenario run above with its suite, outcome and duration, and every verdict", () => {
    const written = JSON.parse(fs.readFileSync(report, "utf8"))
    expect(written).toMatchObject({ kit: "@lash/testing", backend: "memory", tier: "inline" })
    const suites = written.verdicts.map((v: { suite: string; text: string }) => [v.suite, v.text])
    expect(suites).toEqual([
      ["RuntimeRebuild", "conformant"],
      ["ProcessRegistry", "conformant"],
      ["RuntimePersistence", "conformant"],
      ["SessionLifecycle", "conformant"],
      ["TriggerStore", "conformant"],
      ["EnvAndArtifact", "conformant"],
      ["EffectJournal", "conformant"],
      ["EffectController", "conformant"],
      ["ModelBased", "conformant"],
      ["Backend", "conformant"]
    ])
    const byId = new Map(written.scenarios.map((s: { scenario: string }) => [s.scenario, s]))
    expect(byId.get("X-LEASE-4")).toMatchObject({ suite: "ProcessRegistry", outcome: "passed" })
    expect(byId.get("RB-02-J")).toMatchObject({ suite: "RuntimeRebuild", outcome: "passed" })
    for (const s of written.scenarios) {
      expect(["passed", "n/a"]).toContain(s.outcome)
      expect(typeof s.durationMs).toBe("number")
    }
  })
})
