import { backendConformance, runtimeRebuildAndWorkerRecovery, type StorageUnderTest } from "@lash/testing"
import { Effect, Layer } from "effect"
import { LaggyBackend } from "../src/index.js"

const laggy: StorageUnderTest = {
  name: "laggy",
  tier: "inline", // the store lives in memory: no reopen, crash safety "none"
  fresh: Effect.map(Layer.build(LaggyBackend.layer()), Layer.succeedContext)
}

backendConformance(laggy)
runtimeRebuildAndWorkerRecovery(laggy)
