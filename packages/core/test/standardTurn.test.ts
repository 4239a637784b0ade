import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { TestProvider } from "@lash/testing/provider"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { Ids, InlineEffectController, LashCore, type SessionId, SessionStore, TurnInput } from "../src/index.js"
import { mathTools, standardCore, testModel } from "./fixtures.js"

const toolResultsOf = (
  messages: ReadonlyArray<{ readonly parts: ReadonlyArray<{ readonly kind: string; readonly content: string }> }>
) => messages.flatMap((m) => m.parts.filter((p) => p.kind === "tool_result").map((p) => JSON.parse(p.content)))

describe("standard turns", () => {
  it.effect("a multi-step tool-calling turn feeds results back until the model answers in prose", () => {
    const provider = TestProvider.builder()
      .reply(
        { toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] },
        { toolCalls: [{ callId: "c2", name: "add", args: { a: 5, b: 10 } }] },
        "The answer is 15."
      )
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("multi")
      const out = yield* session.turn(TurnInput.text("what is 2+3+10?")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("The answer is 15.")
      expect(out.toolCalls.map((c) => c.result)).toEqual([
        { type: "ok", value: { sum: 5 } },
        { type: "ok", value: { sum: 15 } }
      ])
      expect(out.toolCalls[1]!.callId).toBe("c2")
      expect(out.headRevision).toBe(1)
      const requests = yield* provider.requests
      expect(requests).toHaveLength(3)
      // The second request carries the first call and its result; the tool specs are offered every time.
      const second = requests[1]!.request
      expect(second.tools.map((t) => t.name)).toEqual(["add", "fail_hard"])
      // The model reads the tool's value as JSON, with the call id and the tool's name.
      const toolMessage = second.messages.find((m) => m.role === "tool")
      expect(toolMessage && JSON.parse(toolMessage.content)).toEqual({ sum: 5 })
      expect(toolMessage?.toolName).toBe("add")
      expect(toolMessage?.isError).toBeUndefined()
      expect(session.readView().messages.map((m) => m.role)).toEqual(["user", "assistant", "assistant", "assistant"])
      yield* provider.assertComplete
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("an unknown tool becomes a tool_unavailable result the model sees, and the turn goes on", () => {
    const provider = TestProvider.builder()
      .reply({ toolCalls: [{ name: "multiply", args: { a: 1 } }] }, "Sorry, I cannot multiply.")
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("unknown-tool")
      const out = yield* session.turn(TurnInput.text("multiply")).run
      expect(out.isSuccess).toBe(true)
      expect(out.toolCalls[0]!.result).toMatchObject({ type: "failure", failure: { code: "tool_unavailable" } })
      const second = (yield* provider.requests)[1]!.request
      expect(second.messages.some((m) => m.role === "tool" && m.content.includes("tool_unavailable"))).toBe(true)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("schema-invalid arguments become invalid_tool_args with issue paths, and the tool is not run", () => {
    const provider = TestProvider.builder()
      .reply({ toolCalls: [{ name: "add", args: { a: "two", b: 3 } }] }, "I passed a bad argument.")
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("bad-args")
      const out = yield* session.turn(TurnInput.text("add")).run
      const result = out.toolCalls[0]!.result
      expect(result.type).toBe("failure")
      if (result.type === "failure") {
        expect(result.failure.code).toBe("invalid_tool_args")
        expect(result.failure.raw).toEqual(["/a: must be number"])
      }
      expect(toolResultsOf(out.messages)).toHaveLength(1)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("a tool that throws becomes a tool_defect result, not a crash", () => {
    const provider = TestProvider.builder().reply({ toolCalls: [{ name: "fail_hard", args: {} }] }, "It crashed.")
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const out = yield* (yield* core.openSession("defect")).turn(TurnInput.text("go")).run
      expect(out.toolCalls[0]!.result).toMatchObject({ type: "failure", failure: { code: "tool_defect" } })
      expect(out.isSuccess).toBe(true)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("the iteration limit stops the turn as max_turns, and the stopped turn still commits", () => {
    const provider = TestProvider.builder().complete(() => ({ toolCalls: [{ name: "add", args: { a: 1, b: 1 } }] }))
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("limit")
      const out = yield* session.turn(TurnInput.text("loop"), { maxIterations: 3 }).run
      expect(out.outcome).toEqual({ type: "stopped", stop: "max_turns" })
      expect(out.toolCalls).toHaveLength(3)
      expect(session.readView().headRevision).toBe(1)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("a provider error fails the turn with a typed error and commits nothing", () => {
    const provider = TestProvider.builder().reply({ error: { retryable: false, status: 500 } }).build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("provider-error")
      const exit = yield* Effect.exit(session.turn(TurnInput.text("hello")).run)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error?._tag).toBe("LlmTransportError")
      }
      const store = yield* SessionStore
      const stored = yield* store.load("provider-error" as SessionId)
      expect(Option.map(stored, (s) => [s.headRevision, s.graph.nodes.length])).toEqual(Option.some([0, 0]))
      expect(session.readView().messages).toEqual([])
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("retryable provider errors are retried inside the effect", () => {
    const provider = TestProvider.builder().reply({ error: { retryable: true } }, "recovered").build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const out = yield* (yield* core.openSession("retry")).turn(TurnInput.text("hi")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("recovered")
      expect(yield* provider.callCount).toBe(2)
    }).pipe(
      Effect.provide(standardCore(provider.layer, { providerRetry: { maxAttempts: 3, baseDelay: 0, maxDelay: 0 } }))
    )
  })
})

describe("sessions and commits", () => {
  it.scoped("reopening from cold storage reproduces the same messages", () => {
    const provider = TestProvider.builder()
      .reply({ toolCalls: [{ name: "add", args: { a: 1, b: 2 } }] }, "three", "second answer")
      .build()
    return Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const coreLayer = LashCore.layer({ mode: "standard", model: testModel, tools: [mathTools] }).pipe(
        Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer, Layer.succeedContext(storage)))
      )
      const first = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* Layer.build(coreLayer).pipe(Effect.map(Context.get(LashCore)))
          const session = yield* core.openSession("reopen")
          yield* session.turn(TurnInput.text("1+2?")).run
          yield* session.turn(TurnInput.text("again")).run
          return session.readView()
        })
      )
      const second = yield* Effect.scoped(
        Effect.gen(function*() {
          const core = yield* Layer.build(coreLayer).pipe(Effect.map(Context.get(LashCore)))
          return (yield* core.openSession("reopen", { create: false })).readView()
        })
      )
      expect(second.messages).toEqual(first.messages)
      expect(second.headRevision).toBe(2)
      expect(second.turnIndex).toBe(2)
      expect(first.messages.map((m) => m.role)).toEqual(["user", "assistant", "assistant", "user", "assistant"])
    })
  })

  it.effect("openSession without create fails with SessionNotFound", () => {
    const provider = TestProvider.builder().build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const exit = yield* Effect.exit(core.openSession("missing", { create: false }))
      expect(exit).toMatchObject({ _tag: "Failure" })
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("SessionNotFound")
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.effect("re-driving a committed turn id returns the stored output and runs nothing again", () => {
    const provider = TestProvider.builder().reply({ toolCalls: [{ name: "add", args: { a: 4, b: 4 } }] }, "eight")
      .build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("replay")
      const first = yield* session.turn(TurnInput.text("4+4"), { turnId: "turn-1" }).run
      const again = yield* session.turn(TurnInput.text("4+4"), { turnId: "turn-1" }).run
      expect(again.headRevision).toBe(first.headRevision)
      expect(again.outcome).toEqual(first.outcome)
      expect(again.toolCalls).toEqual(first.toolCalls)
      expect(again.messages).toEqual(first.messages)
      expect(yield* provider.callCount).toBe(2)
      expect(session.readView().headRevision).toBe(1)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.scoped("replaying the same commit returns the stored result; a different commit with the same stamp conflicts", () => {
    const provider = TestProvider.builder().reply("hello").build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const store = yield* SessionStore
      yield* (yield* core.openSession("stamps")).turn(TurnInput.text("hi"), { turnId: "t1" }).run
      const stored = Option.getOrThrow(yield* store.load("stamps" as SessionId))
      // Rebuild the commit the turn wrote: same nodes, frames and checkpoint, expected revision 0.
      const body = {
        sessionId: stored.sessionId,
        expectedHeadRevision: 0,
        config: stored.config,
        frames: stored.frames,
        currentFrameId: stored.currentFrameId!,
        graph: { type: "append" as const, nodes: stored.graph.nodes, leafNodeId: stored.graph.leafNodeId! },
        checkpoint: stored.checkpoint,
        usageDeltas: [],
        completedClaims: []
      }
      const replay = yield* store.commit({
        ...body,
        turnStamp: { turnId: "t1" as never, hash: Ids.turnStampHash(body) }
      })
      expect(replay).toEqual({ headRevision: 1 })
      const conflict = yield* Effect.flip(
        store.commit({ ...body, turnStamp: { turnId: "t1" as never, hash: "different" } })
      )
      expect(conflict._tag).toBe("TurnCommitConflict")
      const after = Option.getOrThrow(yield* store.load("stamps" as SessionId))
      expect(after.headRevision).toBe(1)
      expect(after.graph.nodes).toHaveLength(stored.graph.nodes.length)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })

  it.live("two writers race on one session: one loses with HeadRevisionConflict and nothing half-written", () =>
    Effect.gen(function*() {
      const storage = yield* Layer.build(MemoryBackend.layer())
      const gate = yield* Deferred.make<void>()
      const bCalled = yield* Deferred.make<void>()
      const providerA = TestProvider.builder().kind("race").reply("writer A wins").build()
      const providerB = TestProvider.builder()
        .kind("race")
        .complete(() =>
          Effect.gen(function*() {
            yield* Deferred.succeed(bCalled, undefined)
            yield* Deferred.await(gate)
            return { text: "writer B", toolCalls: [], usage: { input: 0, output: 0 } }
          })
        )
        .build()
      const coreOf = (provider: typeof providerA) =>
        Layer.build(
          LashCore.layer({ mode: "standard", model: testModel }).pipe(
            Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer, Layer.succeedContext(storage)))
          )
        ).pipe(Effect.map(Context.get(LashCore)))
      const coreA = yield* coreOf(providerA)
      const coreB = yield* coreOf(providerB)
      const sessionA = yield* coreA.openSession("race")
      const sessionB = yield* coreB.openSession("race")
      const b = yield* Effect.fork(sessionB.turn(TurnInput.text("from B")).run)
      yield* Deferred.await(bCalled)
      const a = yield* sessionA.turn(TurnInput.text("from A")).run
      expect(a.headRevision).toBe(1)
      yield* Deferred.succeed(gate, undefined)
      const bExit = yield* Fiber.await(b)
      expect(Exit.isFailure(bExit) && bExit.cause._tag === "Fail" && bExit.cause.error).toMatchObject({
        _tag: "HeadRevisionConflict",
        expected: 0,
        actual: 1
      })
      const store = Context.get(storage, SessionStore)
      const stored = Option.getOrThrow(yield* store.load("race" as SessionId))
      expect(stored.headRevision).toBe(1)
      const texts = stored.graph.nodes.flatMap((n) =>
        n.payload.kind === "message" ? n.payload.message.parts.map((p) => p.content) : []
      )
      expect(texts).toEqual(["from A", "writer A wins"])
      // The loser's session refreshed: its next turn builds on A's commit.
      expect(sessionB.readView().headRevision).toBe(1)
    }).pipe(Effect.scoped))

  it.effect("reopen loads only the recent active path; the next turn still sends the whole history", () => {
    const provider = TestProvider.builder().complete(() => "ok").build()
    return Effect.gen(function*() {
      const core = yield* LashCore
      const session = yield* core.openSession("long")
      for (let i = 0; i < 140; i++) yield* session.turn(TurnInput.text(`turn ${i}`)).run
      const reopened = yield* core.openSession("long")
      const view = reopened.readView().messages
      expect(view.length).toBeLessThan(280)
      expect(view.at(-2)?.parts[0]?.content).toBe("turn 139")
      yield* reopened.turn(TurnInput.text("turn 140")).run
      const last = (yield* provider.requests).at(-1)!.request
      expect(last.messages.filter((m) => m.role === "user").map((m) => m.content)[0]).toBe("turn 0")
      expect(last.messages.filter((m) => m.role === "user")).toHaveLength(141)
    }).pipe(Effect.provide(standardCore(provider.layer)))
  })
})
