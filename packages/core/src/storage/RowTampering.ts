/**
 * What a backend's test internals offer to inject corrupt rows, the same on every backend, so one corrupt-row test
 * runs against any of them.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"

/** The row kinds a test can tamper with. @since 0.1.0 */
export type TamperableTable =
  | "sessions"
  | "nodes"
  | "batches"
  | "processes"
  | "events"
  | "envs"
  | "artifacts"
  | "journal"
  | "subscriptions"
  | "occurrences"

/**
 * Row tampering. Keys: the row id; for `nodes` and `events` `<id>#<n>` (node seq from 0, event sequence from 1); for
 * `journal` `<scopeId>#<replayKey>`. Both die if the row does not exist.
 *
 * @since 0.1.0
 */
export interface RowTampering {
  /** Replaces the stored JSON text of one row. */
  corrupt(table: TamperableTable, key: string, rawJson: string): Effect.Effect<void>
  /** Sets the record version of one row, to test the version check. */
  setRecordVersion(table: TamperableTable, key: string, version: number): Effect.Effect<void>
}
