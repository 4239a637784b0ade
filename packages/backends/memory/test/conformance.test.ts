import { backendConformance, runtimeRebuildAndWorkerRecovery, type StorageUnderTest } from "@lash/testing"
import { Effect, Layer } from "effect"
import { MemoryBackend } from "../src/index.js"

/** One live store per `fresh`; "reopening" it hands out the same store (inline tier). */
const memory: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

runtimeRebuildAndWorkerRecovery(memory)
backendConformance(memory)
