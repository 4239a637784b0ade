/**
 * The consumer check's kit run: the conformance suites from the packed `@lash/testing`, against the packed memory
 * backend, under the consumer's own vitest (scripts/consumer-check.ts copies this file out of the workspace).
 */
import { MemoryBackend } from "@lash/backend-memory"
import { backendConformance, type StorageUnderTest } from "@lash/testing"
import { Effect, Layer } from "effect"

/** One live store per `fresh`; building the layer again hands out the same store (inline tier). */
const memory: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

backendConformance(memory)
