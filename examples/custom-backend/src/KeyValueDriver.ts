/**
 * The storage driver over the key-value store: each unit is one optimistic transaction. The body runs against a
 * fresh transaction (repeatable reads, buffered writes); at the end the store checks that nothing the body read has
 * changed and applies the writes at once. If something changed, the body saw a stale store, so its outcome, success
 * or failure, is thrown away and the unit runs again; past the retry budget the caller gets a `StoreConflict`.
 *
 * Every unit pays a simulated network hop (a random wait of real time) when it starts and when it commits, so
 * concurrent callers interleave the way they do against a remote database, and the optimistic check really fires.
 *
 * @since 0.1.0
 */
import { type StorageDriver, StoreConflict, type WriteTransaction } from "@lash/core"
import { Clock, Effect, Exit } from "effect"
import { content, journal } from "./ContentRows.js"
import { KeyValueStore } from "./KeyValueStore.js"
import { KeyValueTransaction } from "./KeyValueTransaction.js"
import { events, grants, processes } from "./ProcessRows.js"
import { batches, nodes, sessions, stamps } from "./SessionRows.js"
import { lift } from "./Sync.js"
import { counters, deliveries, occurrences, subscriptions } from "./TriggerRows.js"

/** Options of the driver. @since 0.1.0 */
export interface KeyValueDriverOptions {
  /** The longest simulated network hop, in microseconds (default 500; 0 turns hops off). */
  readonly maxMicros?: number
  /** How many times a unit runs before it gives up with `StoreConflict` (default 100). */
  readonly maxAttempts?: number
}

const transactionOver = (tx: KeyValueTransaction): WriteTransaction => ({
  now: Clock.currentTimeMillis,
  sessions: lift(sessions(tx)),
  nodes: lift(nodes(tx)),
  stamps: lift(stamps(tx)),
  batches: lift(batches(tx)),
  processes: lift(processes(tx)),
  events: lift(events(tx)),
  grants: lift(grants(tx)),
  envs: lift(content(tx, "env")),
  artifacts: lift(content(tx, "artifact")),
  journal: lift(journal(tx)),
  counters: lift(counters(tx)),
  subscriptions: lift(subscriptions(tx)),
  occurrences: lift(occurrences(tx)),
  deliveries: lift(deliveries(tx))
})

/**
 * A driver over a new, empty store.
 *
 * @since 0.1.0
 */
export const make = (options: KeyValueDriverOptions = {}): StorageDriver => {
  const store = new KeyValueStore()
  const maxMicros = options.maxMicros ?? 500
  const maxAttempts = options.maxAttempts ?? 100
  // Real time, not Effect's Clock: network latency does not stop when a test freezes time.
  const hop = Effect.promise(() =>
    new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMicros) / 1000))
  )
  const unit = <A, E>(
    name: { readonly port: string; readonly operation: string },
    writes: boolean,
    body: (tx: WriteTransaction) => Effect.Effect<A, E>
  ) => {
    const attempt = (n: number): Effect.Effect<A, E | StoreConflict> =>
      Effect.gen(function*() {
        if (maxMicros > 0) yield* hop
        const tx = new KeyValueTransaction(store)
        const exit = yield* Effect.exit(body(transactionOver(tx)))
        if (maxMicros > 0) yield* hop
        const current = Exit.isSuccess(exit) && writes ? store.commit(tx, tx.writes) : store.isCurrent(tx)
        if (current) return yield* exit
        if (n >= maxAttempts) {
          return yield* Effect.fail(
            new StoreConflict({ port: name.port, operation: name.operation, code: "read set changed", attempts: n })
          )
        }
        return yield* attempt(n + 1)
      })
    return attempt(1)
  }
  return {
    name: "laggy",
    tier: "inline",
    read: (name, body) => unit(name, false, body),
    write: (name, body) => unit(name, true, body),
    durabilityReport: Effect.succeed({ mechanism: "key-value store in memory", crashSafety: "none", details: {} })
  }
}
