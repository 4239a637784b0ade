import { backendConformance, runtimeRebuildAndWorkerRecovery, type StorageUnderTest } from "@lash/testing"
import { Effect } from "effect"
import { SqliteBackend } from "../src/index.js"

/** A new temp file per `fresh`; every build of the layer is a real second handle (a restart) on that file. */
const sqlite: StorageUnderTest = {
  name: "sqlite",
  tier: "durable",
  fresh: Effect.map(SqliteBackend.testing.reopenable(), ({ open }) => open())
}

runtimeRebuildAndWorkerRecovery(sqlite)
backendConformance(sqlite)
