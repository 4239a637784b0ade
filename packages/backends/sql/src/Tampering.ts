/**
 * Where a row of a tamperable table lives in the SQL schema: the table, the JSON column and the key columns. Test
 * internals of every SQL backend (`RowTampering`) overwrite rows through it.
 *
 * @since 0.1.0
 */
import type { TamperableTable } from "@lash/core"

const splitLast = (key: string): readonly [string, number] => {
  const at = key.lastIndexOf("#")
  return [key.slice(0, at), Number(key.slice(at + 1))]
}

const splitFirst = (key: string): readonly [string, string] => {
  const at = key.indexOf("#")
  return [key.slice(0, at), key.slice(at + 1)]
}

/** A row of the SQL schema. @since 0.1.0 */
export interface Target {
  readonly table: string
  readonly column: string
  readonly where: ReadonlyArray<readonly [string, string | number]>
}

/**
 * The row of `table` with key `key` (the memory backend's key forms: `session#seq`, `scope#replayKey`, …).
 *
 * @since 0.1.0
 */
export const targetOf = (table: TamperableTable, key: string): Target => {
  switch (table) {
    case "sessions":
      return { table: "lash_sessions", column: "head_json", where: [["session_id", key]] }
    case "nodes": {
      const [sessionId, seq] = splitLast(key)
      return { table: "lash_graph_nodes", column: "node_json", where: [["session_id", sessionId], ["seq", seq]] }
    }
    case "batches":
      return { table: "lash_queued_batches", column: "batch_json", where: [["batch_id", key]] }
    case "processes":
      return { table: "lash_processes", column: "record_json", where: [["process_id", key]] }
    case "events": {
      const [processId, sequence] = splitLast(key)
      return {
        table: "lash_process_events",
        column: "event_json",
        where: [["process_id", processId], ["sequence", sequence]]
      }
    }
    case "envs":
      return { table: "lash_process_envs", column: "spec_json", where: [["env_ref", key]] }
    case "artifacts":
      return { table: "lash_artifacts", column: "artifact_json", where: [["module_ref", key]] }
    case "journal": {
      const [scopeId, replayKey] = splitFirst(key)
      return {
        table: "lash_effect_journal",
        column: "entry_json",
        where: [["scope_id", scopeId], ["replay_key", replayKey]]
      }
    }
    case "subscriptions":
      return { table: "lash_trigger_subscriptions", column: "record_json", where: [["subscription_id", key]] }
    case "occurrences":
      return { table: "lash_trigger_occurrences", column: "record_json", where: [["occurrence_id", key]] }
  }
}
