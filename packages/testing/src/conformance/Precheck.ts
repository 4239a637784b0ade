/**
 * The isolation and reopen precheck (packages/testing/README.md, "The isolation contract"). Before its first
 * scenario, every backend is checked once for the two rules every scenario relies on, and every scenario then fails
 * with the same message naming `fresh` if they do not hold, instead of a confusing symptom later on:
 * - two `fresh` calls give two private stores, each empty;
 * - building the layer `fresh` returned again opens the SAME store: for a durable backend after the first handle was
 *   closed completely (a real reopen), for an inline backend while it is still open (the same live store).
 * Each scenario also checks, cheaply, that its own fresh store is empty.
 *
 * @since 0.1.0
 */
import type { LashStorage } from "@lash/core"
import {
  ProcessProvenance,
  ProcessRegistration,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  TriggerStore
} from "@lash/core"
import { Cause, type Context, Effect, Exit, Layer, Option } from "effect"
import type { StorageLayer, StorageUnderTest } from "../StorageUnderTest.js"
import { ConformanceViolation, render } from "./Violation.js"

/** The session and process the precheck writes. @since 0.1.0 */
export const PRECHECK_MARKER = "lash-kit-precheck"

const markerSession = PRECHECK_MARKER as SessionId
const markerProcess = ProcessRegistration.make({
  id: PRECHECK_MARKER as never,
  input: { type: "external", metadata: null },
  provenance: ProcessProvenance.host()
})

interface PrecheckFailure {
  readonly invariant: string
  readonly expected: unknown
  readonly actual: unknown
}

const failWith = (f: PrecheckFailure): Effect.Effect<never, PrecheckFailure> => Effect.fail(f)

/** What a fresh store holds that it should not (empty when it is empty). */
const leftovers = (handle: Context.Context<LashStorage>) =>
  Effect.gen(function*() {
    const found: Record<string, unknown> = {}
    const processes = yield* (yield* ProcessRegistry).listNonTerminalIds()
    if (processes.length > 0) found.processes = processes.slice(0, 5)
    const subscriptions = yield* (yield* TriggerStore).list({})
    if (subscriptions.length > 0) found.subscriptions = subscriptions.slice(0, 5).map((s) => s.handle)
    const sessions = yield* SessionStore
    const pending = yield* sessions.listSessionsWithPendingWork()
    if (pending.length > 0) found.sessionsWithPendingWork = pending.slice(0, 5)
    if (yield* sessions.exists(markerSession)) found.session = PRECHECK_MARKER
    return found
  }).pipe(Effect.provide(handle))

const EMPTY = "`fresh` returns a NEW, EMPTY, PRIVATE store on every call: the store of this scenario's `fresh` call " +
  "already holds rows (module-level state, or a file, database or schema shared between `fresh` calls)"

/**
 * Fails the scenario `scenarioId` when its fresh store is not empty.
 *
 * @since 0.1.0
 */
export const isolationPrecheck = (
  handle: Context.Context<LashStorage>,
  scenarioId: string
): Effect.Effect<void, unknown> =>
  Effect.flatMap(leftovers(handle), (found) =>
    Object.keys(found).length === 0
      ? Effect.void
      : Effect.fail(
        new ConformanceViolation({
          scenarioId,
          invariant: `precheck: ${EMPTY}`,
          expected: "an empty store",
          actual: render(found)
        })
      ))

const writeMarker = (handle: Context.Context<LashStorage>) =>
  Effect.gen(function*() {
    yield* (yield* SessionStore).create({
      sessionId: markerSession,
      relation: { type: "root" },
      policy: { providerId: "", model: { id: "precheck", limits: { contextWindowTokens: 1 } } }
    })
    yield* (yield* ProcessRegistry).register(markerProcess)
  }).pipe(Effect.provide(handle))

const seesMarker = (handle: Context.Context<LashStorage>) =>
  Effect.gen(function*() {
    const session = yield* (yield* SessionStore).exists(markerSession)
    const process = Exit.isSuccess(yield* Effect.exit((yield* ProcessRegistry).get(markerProcess.id)))
    return { session, process }
  }).pipe(Effect.provide(handle))

/** The whole precheck against `backend`, uncached. Fails with the broken rule. @since 0.1.0 */
export const runPrecheck = (backend: StorageUnderTest): Effect.Effect<void, PrecheckFailure | unknown> =>
  Effect.scoped(
    Effect.gen(function*() {
      const storage = yield* backend.fresh
      const first = yield* Layer.build(storage)
      const found = yield* leftovers(first)
      if (Object.keys(found).length > 0) {
        return yield* failWith({ invariant: EMPTY, expected: "an empty store", actual: found })
      }
      yield* writeMarker(first)
      const other = yield* Effect.flatMap(backend.fresh, Layer.build)
      const leaked = yield* seesMarker(other)
      if (leaked.session || leaked.process) {
        return yield* failWith({
          invariant: "`fresh` returns a NEW, PRIVATE store on every call: a session and a process written in the " +
            "store of one `fresh` call are visible in the store of the next call (module-level state, or a file, " +
            "database or schema shared between `fresh` calls)",
          expected: { session: false, process: false },
          actual: leaked
        })
      }
      return yield* (backend.tier === "durable" ? durableReopen(storage) : inlineReopen(storage))
    })
  )

/** Durable: close every handle that wrote, then build the layer again; the rows are there. */
const durableReopen = (storage: StorageLayer) =>
  Effect.gen(function*() {
    yield* Effect.scoped(Effect.flatMap(Layer.build(storage), writeMarker))
    const seen = yield* Effect.scoped(Effect.flatMap(Layer.build(storage), seesMarker))
    if (!seen.session || !seen.process) {
      return yield* failWith({
        invariant: "building the layer returned by `fresh` again reopens the SAME store: for a durable backend, a " +
          "session and a process written through a handle that was then closed must be read back by the next handle " +
          "(a durable `fresh` creates the file, database or schema once and returns a layer that only opens it)",
        expected: { session: true, process: true },
        actual: seen
      })
    }
  })

/** Inline: a second build of the layer, while the first is open, is the same live store. */
const inlineReopen = (storage: StorageLayer) =>
  Effect.scoped(
    Effect.gen(function*() {
      const a = yield* Layer.build(storage)
      yield* writeMarker(a)
      const seen = yield* seesMarker(yield* Layer.build(storage))
      if (!seen.session || !seen.process) {
        return yield* failWith({
          invariant: "building the layer returned by `fresh` again opens the SAME store: for an inline backend, the " +
            "second build must hand out the same live store, not a new one (build the backend once inside `fresh`, " +
            "e.g. `Effect.map(Layer.build(MyBackend.layer()), Layer.succeedContext)`, instead of " +
            "`Effect.succeed(MyBackend.layer())`)",
          expected: { session: true, process: true },
          actual: seen
        })
      }
    })
  )

const isFailure = (e: unknown): e is PrecheckFailure =>
  typeof e === "object" && e !== null && "invariant" in e && "expected" in e && "actual" in e && !("_tag" in e)

const cache = new WeakMap<StorageUnderTest, Exit.Exit<void, unknown>>()

/**
 * The precheck of `backend`, run once per backend object and remembered; a failure fails the scenario `scenarioId`
 * with a violation whose invariant starts with `precheck:` and names `fresh`.
 *
 * @since 0.1.0
 */
export const isolationAndReopen = (backend: StorageUnderTest, scenarioId: string): Effect.Effect<void, unknown> =>
  Effect.gen(function*() {
    let exit = cache.get(backend)
    if (exit === undefined) {
      exit = yield* Effect.exit(runPrecheck(backend))
      cache.set(backend, exit)
    }
    if (Exit.isSuccess(exit)) return
    const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
    if (failure !== undefined && isFailure(failure)) {
      return yield* Effect.fail(
        new ConformanceViolation({
          scenarioId,
          invariant: `precheck: ${failure.invariant}`,
          expected: render(failure.expected),
          actual: render(failure.actual)
        })
      )
    }
    return yield* exit
  })
