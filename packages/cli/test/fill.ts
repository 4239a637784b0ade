/**
 * Stores for the CLI tests, written through lash itself: sessions with real turns (standard mode, a scripted model),
 * processes running and terminal (one leased by a worker), trigger subscriptions (one cancelled) and queued work (one
 * batch under a claim); and a store with corrupt rows.
 */
import { PostgresBackend, PostgresBackendInternals } from "@lash/backend-postgres"
import { SqliteBackend, SqliteBackendInternals } from "@lash/backend-sqlite"
import {
  InlineEffectController,
  LashCore,
  type LashStorage,
  persistProcessExecutionEnv,
  type ProcessId,
  ProcessRegistry,
  SessionStore,
  type StorageSignals,
  type TamperableTable,
  TriggerStore,
  TurnInput
} from "@lash/core"
import { batchDraft, buttonKey, envSpec, lineType, reg, sid, triggerDraft } from "@lash/testing/conformance"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer } from "effect"

/** A store under test: its storage (each call a new handle), and a way to overwrite a row's JSON. */
export interface TestStore {
  readonly storage: () => Layer.Layer<LashStorage | StorageSignals, unknown>
  readonly corrupt: (table: TamperableTable, key: string, rawJson: string) => Effect.Effect<void, unknown>
}

const runtime = (store: TestStore, replies: ReadonlyArray<string>) => {
  const provider = replies.reduce((builder, reply) => builder.reply(reply), TestProvider.builder()).build()
  return LashCore.layer({ mode: "standard", model: { id: "cli-model", limits: { contextWindowTokens: 8192 } } }).pipe(
    Layer.provide(Layer.mergeAll(store.storage(), InlineEffectController.layer, provider.layer))
  )
}

/** `sessionId → user texts`: one turn per text, each answered "reply to <text>". */
const turns = (store: TestStore, sessions: ReadonlyArray<readonly [string, ReadonlyArray<string>]>) =>
  Effect.gen(function*() {
    const core = yield* LashCore
    for (const [sessionId, texts] of sessions) {
      const session = yield* core.openSession(sessionId)
      for (const text of texts) yield* session.turn(TurnInput.text(text)).run
      // Distinct last-activity times make the listing order certain.
      yield* Effect.sleep("5 millis")
    }
  }).pipe(
    Effect.provide(runtime(store, sessions.flatMap(([, texts]) => texts.map((text) => `reply to ${text}`))))
  )

const pid = (id: string) => id as ProcessId

/** Processes, triggers and queued work, written through the ports (no worker runs). */
const background = (store: TestStore) =>
  Effect.gen(function*() {
    const registry = yield* ProcessRegistry
    yield* registry.register(
      reg("proc-waiting", { external: true, originator: "alpha", eventTypes: [lineType("progress")] })
    )
    yield* registry.appendEvent(pid("proc-waiting"), { eventType: "progress", payload: { line: "step 1" } })
    yield* registry.appendEvent(pid("proc-waiting"), { eventType: "progress", payload: { line: "step 2" } })
    yield* registry.register(reg("proc-done", { external: true, originator: "alpha" }))
    yield* registry.completeAsHost(pid("proc-done"), { type: "success", value: { answer: 42 } })
    yield* registry.register(reg("proc-failed", { external: true, originator: "beta" }))
    yield* registry.completeAsHost(pid("proc-failed"), {
      type: "failure",
      code: "tool_error",
      message: "the tool broke"
    })
    const envRef = yield* persistProcessExecutionEnv(envSpec("cli"))
    const leased = reg("proc-leased", { kind: "cli-test", originator: "gamma" })
    yield* registry.register({ ...leased, envRef })
    yield* registry.claimLease(leased.id, "worker-7", 3_600_000)

    const triggers = yield* TriggerStore
    yield* triggers.register(triggerDraft("alpha", buttonKey, "alpha button"))
    const beta = yield* triggers.register(triggerDraft("beta", buttonKey, "beta button"))
    yield* triggers.cancel(sid("beta"), beta.handle)

    const sessions = yield* SessionStore
    yield* sessions.enqueue(batchDraft("beta", "first queued", "source-1"))
    yield* sessions.enqueue(batchDraft("beta", "second queued", "source-2"))
    yield* sessions.claimReady({
      sessionId: sid("beta"),
      ownerId: "drainer-1",
      boundary: "idle",
      ttlMs: 3_600_000,
      maxBatches: 1
    })
  }).pipe(Effect.provide(store.storage()))

/**
 * The test store: sessions alpha (2 turns), beta (1 turn), gamma (no turn; created last, so newest), four processes,
 * two triggers, two queued batches of beta.
 */
export const fillStore = (store: TestStore) =>
  Effect.runPromise(
    Effect.zipRight(
      turns(store, [["alpha", ["hello alpha", "second alpha"]], ["beta", ["hello beta"]], ["gamma", []]]),
      background(store)
    )
  )

/**
 * A store whose session `broken` has a corrupt node, `broken-head` a corrupt head, `proc-corrupt` a corrupt record,
 * trigger `subscription:1` (of session `fine`) a corrupt subscription row, session `fine` two queued batches, the
 * first corrupt, and session `aside` one corrupt batch that a claim met and set aside.
 */
export const fillCorruptStore = (store: TestStore) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* turns(store, [["fine", ["all good"]], ["broken", ["one", "two"]], ["broken-head", ["x"]], ["aside", []]])
      const [badBatch, asideBatch] = yield* Effect.gen(function*() {
        const registry = yield* ProcessRegistry
        yield* registry.register(reg("proc-corrupt", { external: true, originator: "fine" }))
        yield* registry.register(reg("proc-fine", { external: true, originator: "fine" }))
        yield* (yield* TriggerStore).register(triggerDraft("fine", buttonKey, "fine button"))
        const sessions = yield* SessionStore
        const bad = yield* sessions.enqueue(batchDraft("fine", "poison queued", "source-bad"))
        yield* sessions.enqueue(batchDraft("fine", "fine queued", "source-fine"))
        const aside = yield* sessions.enqueue(batchDraft("aside", "poison set aside", "source-aside"))
        return [bad.batchId, aside.batchId] as const
      }).pipe(Effect.provide(store.storage()))
      yield* store.corrupt("batches", badBatch, JSON.stringify({ batchId: badBatch }))
      yield* store.corrupt("batches", asideBatch, JSON.stringify({ batchId: asideBatch }))
      // The claim that meets the batch it cannot decode sets it aside (and claims nothing).
      yield* Effect.flatMap(SessionStore, (sessions) =>
        sessions.claimReady({
          sessionId: sid("aside"),
          ownerId: "fill",
          boundary: "idle",
          ttlMs: 60_000,
          maxBatches: 1
        })).pipe(Effect.provide(store.storage()))
      yield* store.corrupt("subscriptions", "subscription:1", "{}")
      yield* store.corrupt("nodes", "broken#1", "{not json")
      yield* store.corrupt("sessions", "broken-head", JSON.stringify({ sessionId: "broken-head" }))
      yield* store.corrupt("processes", "proc-corrupt", JSON.stringify({ id: "proc-corrupt", status: 7 }))
    })
  )

/** A SQLite file as a test store. */
export const sqliteStore = (filename: string): TestStore => ({
  storage: () => SqliteBackend.layer({ filename }),
  corrupt: (table, key, rawJson) =>
    Effect.flatMap(SqliteBackendInternals, (internals) => internals.corrupt(table, key, rawJson)).pipe(
      Effect.provide(SqliteBackend.layerWithInternals({ filename }))
    )
})

/** A Postgres schema as a test store (created by the first open). */
export const postgresStore = (url: string, schema: string): TestStore => ({
  storage: () => PostgresBackend.layer({ url, schema, poolSize: 2 }),
  corrupt: (table, key, rawJson) =>
    Effect.flatMap(PostgresBackendInternals, (internals) => internals.corrupt(table, key, rawJson)).pipe(
      Effect.provide(PostgresBackend.layerWithInternals({ url, schema, poolSize: 2 }))
    )
})
