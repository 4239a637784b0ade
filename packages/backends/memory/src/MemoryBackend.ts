/**
 * The memory backend (inline tier): the storage engine of `@lash/core` over the memory driver. Every layer build is a
 * new private store; nothing is shared between two builds. Rows are kept as the engine encodes them (canonical JSON
 * next to projected columns) and decoded on every read, exactly as in the durable backends, so returned values are
 * fresh and a corrupt row surfaces as `CorruptRecord` naming it.
 *
 * @since 0.1.0
 */
import {
  type LashStorage,
  type RowTampering,
  StorageEngine,
  type StorageSignals,
  type TamperableTable
} from "@lash/core"
import { Context, Effect, Layer } from "effect"
import * as MemoryDriver from "./MemoryDriver.js"
import type { MemoryStore } from "./MemoryStore.js"

/** The tables `MemoryBackendInternals.corrupt` can overwrite a row of. @since 0.1.0 */
export type MemoryTable = TamperableTable

/**
 * Access to a built memory backend's rows, for tests that inject a corrupt row.
 *
 * @since 0.1.0
 */
export class MemoryBackendInternals
  extends Context.Tag("@lash/backend-memory/MemoryBackendInternals")<MemoryBackendInternals, RowTampering>()
{}

const splitLast = (key: string): readonly [string, number] => {
  const at = key.lastIndexOf("#")
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

/** The JSON column of each row kind, by table. */
const jsonField = {
  sessions: "headJson",
  nodes: "nodeJson",
  batches: "batchJson",
  processes: "recordJson",
  events: "eventJson",
  envs: "json",
  artifacts: "json",
  journal: "entryJson",
  subscriptions: "recordJson",
  occurrences: "recordJson"
} as const

const internalsOf = (store: MemoryStore): MemoryBackendInternals["Type"] => {
  const overwrite = (table: MemoryTable, key: string, field: string, value: string | number) =>
    Effect.suspend(() => {
      const t = store.tables
      const replace = <K, V>(map: Map<K, V> | undefined, id: K, change: (row: V) => V) => {
        const row = map?.get(id)
        if (row === undefined) return Effect.dieMessage(`no ${table} row ${key}`)
        map!.set(id, change(row))
        return Effect.void
      }
      const change = <V>(row: V): V => ({ ...row, [field]: value })
      switch (table) {
        case "sessions":
          return replace(t.sessions, key, change)
        case "nodes": {
          const [sessionId, seq] = splitLast(key)
          const nodes = t.nodes.get(sessionId)
          const row = nodes?.bySeq[seq]
          if (nodes === undefined || row === undefined) return Effect.dieMessage(`no nodes row ${key}`)
          nodes.bySeq[seq] = change(row)
          nodes.byId.set(row.nodeId, nodes.bySeq[seq]!)
          return Effect.void
        }
        case "batches":
          return replace(t.batches, key, change)
        case "processes":
          return replace(t.processes, key, change)
        case "events": {
          const [processId, sequence] = splitLast(key)
          const events = t.events.get(processId)
          const row = events?.bySequence[sequence - 1]
          if (events === undefined || row === undefined) return Effect.dieMessage(`no events row ${key}`)
          const changed = change(row)
          events.bySequence[sequence - 1] = changed
          if (row.replayKey !== null) events.byReplayKey.set(row.replayKey, changed)
          return Effect.void
        }
        case "envs":
          return replace(t.envs, key, change)
        case "artifacts":
          return replace(t.artifacts, key, change)
        case "journal": {
          const at = key.indexOf("#")
          return replace(t.journal, `${key.slice(0, at)}\u0000${key.slice(at + 1)}`, change)
        }
        case "subscriptions":
          return replace(t.subscriptions, key, change)
        case "occurrences":
          return replace(t.occurrences, key, change)
      }
    })
  return {
    corrupt: (table, key, rawJson) => overwrite(table, key, jsonField[table], rawJson),
    setRecordVersion: (table, key, version) => overwrite(table, key, "recordVersion", version)
  }
}

const build = Effect.flatMap(
  MemoryDriver.make,
  ({ driver, store }) =>
    Effect.map(StorageEngine.make(driver), (ctx) => Context.add(ctx, MemoryBackendInternals, internalsOf(store)))
)

/**
 * The memory backend.
 *
 * @since 0.1.0
 */
export const MemoryBackend = {
  /** Every storage port plus `StorageSignals`, over a new private store per build. */
  layer: (): Layer.Layer<LashStorage | StorageSignals> =>
    StorageEngine.layer(Effect.map(MemoryDriver.make, ({ driver }) => driver)),
  /** Like `layer`, plus `MemoryBackendInternals` for tests that inject corrupt rows. */
  layerWithInternals: (): Layer.Layer<LashStorage | StorageSignals | MemoryBackendInternals> =>
    Layer.scopedContext(build),
  /** Factories for `@lash/testing` (inline tier: no reopen). */
  testing: {
    make: (): Layer.Layer<LashStorage | StorageSignals> =>
      StorageEngine.layer(Effect.map(MemoryDriver.make, ({ driver }) => driver))
  }
}
