/**
 * The state of one memory store: plain maps of the driver's rows (immutable objects, replaced on every update, so a
 * row handed to a caller never changes under it), plus the undo log of the unit that is writing.
 *
 * Atomicity: units run one at a time (`MemoryDriver`); a write unit applies its writes to the maps as it goes and
 * records how to revert each one, and a failed, dying or interrupted unit replays the log backwards.
 *
 * @since 0.1.0
 */
import type {
  BatchRow,
  ContentRow,
  CounterName,
  DeliveryRow,
  EventRow,
  GrantRow,
  JournalRow,
  NodeRow,
  OccurrenceRow,
  ProcessRow,
  SessionRow,
  StampRow,
  SubscriptionRow
} from "@lash/core"

/** A compound map key (the parts never contain U+0000). @since 0.1.0 */
export const pairKey = (a: string, b: string): string => `${a}\u0000${b}`

/** How to revert the writes of one unit. @since 0.1.0 */
export class UndoLog {
  private readonly steps: Array<() => void> = []

  /** `map.set(key, value)`, revertible. */
  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key)
    const previous = map.get(key)
    map.set(key, value)
    this.steps.push(had ? () => void map.set(key, previous as V) : () => void map.delete(key))
  }

  /** `map.delete(key)`, revertible. */
  delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return
    const previous = map.get(key) as V
    map.delete(key)
    this.steps.push(() => void map.set(key, previous))
  }

  /** `array.push(value)`, revertible. */
  push<T>(array: Array<T>, value: T): void {
    array.push(value)
    this.steps.push(() => void array.pop())
  }

  /** The inner map under `key`, created (revertibly) when absent. */
  inner<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
    const existing = map.get(key)
    if (existing !== undefined) return existing
    const created = new Map<K2, V>()
    this.set(map, key, created)
    return created
  }

  /** Reverts every recorded write, newest first. */
  rollback(): void {
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!()
    this.steps.length = 0
  }
}

/** A session's nodes: in seq order, and by node id. @since 0.1.0 */
export interface SessionNodes {
  readonly bySeq: Array<NodeRow>
  readonly byId: Map<string, NodeRow>
}

/** A process's events: in sequence order, and by replay key. @since 0.1.0 */
export interface ProcessEvents {
  readonly bySequence: Array<EventRow>
  readonly byReplayKey: Map<string, EventRow>
}

/** Every table of one memory store. @since 0.1.0 */
export interface MemoryTables {
  readonly sessions: Map<string, SessionRow>
  readonly nodes: Map<string, SessionNodes>
  /** Keyed `pairKey(sessionId, turnId)`. */
  readonly stamps: Map<string, StampRow>
  readonly batches: Map<string, BatchRow>
  /** Open batch ids per session (the claim and listing scans). */
  readonly openBatches: Map<string, Map<string, true>>
  /** Batch id per `pairKey(sessionId, sourceKey)`, tombstones included. */
  readonly batchBySourceKey: Map<string, string>
  readonly processes: Map<string, ProcessRow>
  readonly events: Map<string, ProcessEvents>
  /** Grants per scope id, then per process id. */
  readonly grants: Map<string, Map<string, GrantRow>>
  readonly envs: Map<string, ContentRow>
  readonly artifacts: Map<string, ContentRow>
  /** Keyed `pairKey(scopeId, replayKey)`. */
  readonly journal: Map<string, JournalRow>
  readonly counters: Map<CounterName, number>
  readonly subscriptions: Map<string, SubscriptionRow>
  /** Subscription id per `pairKey(registrantScopeId, registrationKey)`. */
  readonly subscriptionByRegistrationKey: Map<string, string>
  readonly subscriptionByHandle: Map<string, string>
  readonly occurrences: Map<string, OccurrenceRow>
  /** Reservations per occurrence id, then per subscription id. */
  readonly deliveries: Map<string, Map<string, DeliveryRow>>
}

/** One store: its tables and the log of the unit that is writing (none between units and in read units). @since 0.1.0 */
export interface MemoryStore {
  readonly tables: MemoryTables
  log: UndoLog | undefined
}

/**
 * A new, empty store (nothing is shared between two stores).
 *
 * @since 0.1.0
 */
export const emptyStore = (): MemoryStore => ({
  tables: {
    sessions: new Map(),
    nodes: new Map(),
    stamps: new Map(),
    batches: new Map(),
    openBatches: new Map(),
    batchBySourceKey: new Map(),
    processes: new Map(),
    events: new Map(),
    grants: new Map(),
    envs: new Map(),
    artifacts: new Map(),
    journal: new Map(),
    counters: new Map(),
    subscriptions: new Map(),
    subscriptionByRegistrationKey: new Map(),
    subscriptionByHandle: new Map(),
    occurrences: new Map(),
    deliveries: new Map()
  },
  log: undefined
})

/**
 * The log of the writing unit (a write outside a write unit is a bug in the driver).
 *
 * @since 0.1.0
 */
export const writing = (store: MemoryStore): UndoLog => {
  if (store.log === undefined) throw new Error("memory store: a write outside a write unit")
  return store.log
}
