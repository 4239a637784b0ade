/**
 * A store whose layer was released refuses work with one clear error on both first-party drivers: `StoreUnavailable`
 * caused by `StoreClosed` ("the store was closed"), whether the caller is a port handle, a blocked waiter or a
 * session that escaped its core's scope.
 */
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import {
  type LashStorage,
  type ProcessId,
  ProcessRegistry,
  type SessionId,
  SessionStore,
  type StorageSignals,
  StoreUnavailable,
  TurnInput
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Cause, Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { buildCore } from "../../../core/test/fixtures.js"
import { SqliteBackend } from "../src/index.js"
import { engineRegistration, rootSession, tempDbFile } from "./helpers.js"

const backends: ReadonlyArray<
  readonly [string, Effect.Effect<Layer.Layer<LashStorage | StorageSignals, unknown>, never, Scope.Scope>]
> = [
  ["memory", Effect.succeed(MemoryBackend.layer())],
  ["sqlite", Effect.map(tempDbFile, (filename) => SqliteBackend.layer({ filename }))]
]

const expectClosed = (exit: Exit.Exit<unknown, unknown>) => {
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
  expect(failure?._tag, `expected a typed failure, got ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "success"}`)
    .toBe("Some")
  const error = (failure as { readonly value: unknown }).value
  expect(error).toBeInstanceOf(StoreUnavailable)
  expect((error as StoreUnavailable).cause).toMatchObject({ _tag: "StoreClosed" })
  expect((error as StoreUnavailable).message).toContain("the store was closed")
}

describe.each(backends)("%s: a closed store", (_name, layerOf) => {
  it.scopedLive("a port handle kept past the layer's scope fails with StoreClosed; nothing is written", () =>
    Effect.gen(function*() {
      const layer = yield* layerOf
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(layer, scope)
      const store = Context.get(ctx, SessionStore)
      yield* store.create(rootSession("before"))
      yield* Scope.close(scope, Exit.void)
      expectClosed(yield* Effect.exit(store.create(rootSession("after"))))
      expectClosed(yield* Effect.exit(store.loadHead("before" as SessionId)))
      expectClosed(yield* Effect.exit(Context.get(ctx, ProcessRegistry).listNonTerminalIds()))
    }))

  it.scopedLive("a waiter blocked in awaitProcess when the store closes fails instead of hanging", () =>
    Effect.gen(function*() {
      const layer = yield* layerOf
      const scope = yield* Scope.make()
      const registry = Context.get(yield* Layer.buildWithScope(layer, scope), ProcessRegistry)
      yield* registry.register(engineRegistration("waited"))
      const waiter = yield* Effect.fork(registry.awaitProcess("waited" as ProcessId))
      yield* Effect.sleep("20 millis")
      yield* Scope.close(scope, Exit.void)
      expectClosed(yield* Fiber.await(waiter).pipe(Effect.timeout("2 seconds")))
    }))

  it.scopedLive("a session that escaped its core's scope fails its next turn with StoreClosed", () =>
    Effect.gen(function*() {
      const layer = yield* layerOf
      const provider = TestProvider.builder().reply("first", "second").build()
      const session = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* buildCore(yield* Layer.build(layer), provider)
          const session = yield* core.openSession("escaped")
          yield* session.turn(TurnInput.text("hello")).run
          return session
        })
      )
      expectClosed(yield* Effect.exit(session.turn(TurnInput.text("again")).run))
    }))
})
