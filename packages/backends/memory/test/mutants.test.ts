/**
 * The kit must be able to fail (packages/testing/README.md, "The kit can fail"): every mutant of the kit wraps the
 * memory backend, breaks one rule, and must be rejected by its scenario with a ConformanceViolation, while the same
 * scenario passes on the real backend.
 */
import { mutationSuite, type StorageUnderTest } from "@lash/testing"
import { Effect, Layer } from "effect"
import { MemoryBackend } from "../src/index.js"

const memory: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

mutationSuite(memory)
