// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
// test/conformance.test.ts of a backend; the memory backend stands in for yours.
import { MemoryBackend } from "@lash/backend-memory"
import {
  backendConformance,
  mutationSuite,
  runtimeRebuildAndWorkerRecovery,
  type StorageUnderTest
} from "@lash/testing"
import { Effect, Layer } from "effect"

// An inline store is built once per `fresh` call: every build of the returned layer hands out that same live store.
const mine: StorageUnderTest = {
  name: "mine",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

backendConformance(mine) // every storage suite, the model-based suite and the backend-wide checks, each with a VERDICT
runtimeRebuildAndWorkerRecovery(mine) // RB-01..05 under both effect controllers, and X-RT-2
mutationSuite(mine) // the kit's mutants, wrapped around this backend: each must be rejected by its scenario
