/**
 * The insert-if-absent ports over a driver: `ProcessEnvStore` and `ArtifactStore` (content-addressed, first write
 * wins) and `EffectJournal` (one outcome per (scope, replay key); `record` returns the winner).
 *
 * @since 0.1.0
 */
import { ModuleArtifact } from "@lash/lashlang"
import { Effect, Option, type Schema } from "effect"
import type { ArtifactStoreService } from "../ArtifactStore.js"
import type { EffectJournalService } from "../EffectJournal.js"
import { JournalEntry } from "../Effects.js"
import type { DurabilityTier } from "../Model.js"
import { ProcessExecutionEnvSpec } from "../Process.js"
import type { ProcessEnvStoreService } from "../ProcessEnvStore.js"
import * as RecordCodec from "./RecordCodec.js"
import type { Units } from "./Unit.js"

const { RecordKeys } = RecordCodec

/** A content-addressed store over one of the driver's content tables (envs, artifacts). */
const contentStore = <A, I>(
  units: Units,
  tier: DurabilityTier,
  port: string,
  table: "envs" | "artifacts",
  schema: Schema.Schema<A, I>,
  keyOf: (ref: string) => string
) => ({
  tier,
  put: (ref: string, value: A) =>
    units.write(port, "put", (unit) =>
      Effect.flatMap(unit.now, (nowMs) =>
        unit.tx[table].insert({
          ref,
          json: RecordCodec.encode(schema, value),
          recordVersion: RecordCodec.RECORD_VERSION,
          createdAtMs: nowMs
        }))),
  get: (ref: string) =>
    units.read(port, "get", (unit) =>
      Effect.flatMap(unit.tx[table].read(ref), (row) =>
        row === undefined
          ? Effect.succeed(Option.none<A>())
          : Effect.map(RecordCodec.decode(schema, port, keyOf(ref), row.json, row.recordVersion), Option.some)))
})

/**
 * Builds the env store.
 *
 * @since 0.1.0
 */
export const makeEnvStore = (units: Units, tier: DurabilityTier): ProcessEnvStoreService =>
  contentStore(
    units,
    tier,
    "ProcessEnvStore",
    "envs",
    ProcessExecutionEnvSpec,
    RecordKeys.env
  )

/**
 * Builds the artifact store.
 *
 * @since 0.1.0
 */
export const makeArtifactStore = (units: Units, tier: DurabilityTier): ArtifactStoreService => {
  const store = contentStore(
    units,
    tier,
    "ArtifactStore",
    "artifacts",
    ModuleArtifact,
    RecordKeys.artifact
  )
  return { tier, put: (artifact) => store.put(artifact.moduleRef, artifact), get: store.get }
}

/**
 * Builds the effect journal.
 *
 * @since 0.1.0
 */
export const makeJournal = (units: Units, tier: DurabilityTier): EffectJournalService => {
  const port = "EffectJournal"
  const entryOf = (
    row: {
      readonly scopeId: string
      readonly replayKey: string
      readonly entryJson: string
      readonly recordVersion: number
    }
  ) =>
    RecordCodec.decode(
      JournalEntry,
      port,
      RecordKeys.journal(row.scopeId, row.replayKey),
      row.entryJson,
      row.recordVersion
    )
  return {
    tier,
    lookup: (scopeId, replayKey) =>
      units.read(
        port,
        "lookup",
        (unit) =>
          Effect.flatMap(
            unit.tx.journal.read(scopeId, replayKey),
            (row) => row === undefined ? Effect.succeed(Option.none()) : Effect.map(entryOf(row), Option.some)
          )
      ),
    record: (entry) =>
      units.write(port, "record", (unit) =>
        Effect.gen(function*() {
          const nowMs = yield* unit.now
          const inserted = yield* unit.tx.journal.insert({
            scopeId: entry.scopeId,
            replayKey: entry.replayKey,
            entryJson: RecordCodec.encode(JournalEntry, entry),
            recordVersion: RecordCodec.RECORD_VERSION,
            recordedAtMs: nowMs
          })
          if (inserted) return entry
          const winner = yield* unit.tx.journal.read(entry.scopeId, entry.replayKey)
          if (winner === undefined) {
            return yield* Effect.dieMessage(`journal ${entry.scopeId}: the winning row vanished`)
          }
          return yield* entryOf(winner)
        }))
  }
}
