import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing"
import { Context, Effect, Layer, Option, Ref } from "effect"
import { deliver, InboxPlugin, type Note } from "../src/index.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

// The program a model writes once the plugin is installed: its surface (tool, source, event type) links.
const program = `process on_mail(mail: inbox.Received) {
  r = await tools.send_note({ to: mail.from, text: "got: " + mail.text })?
  wake { from: mail.from, text: mail.text }
  finish r.sent
}
handle = await triggers.register({ source: inbox.Message({ from: "ada" }), target: on_mail, inputs: { mail: trigger.event }, name: "auto-reply" })?
submit handle.source_type`

describe("lash-plugin-inbox used by a runtime", () => {
  it.scopedLive("a model registers a trigger on the plugin's source; a delivered message runs the process, which uses the plugin's tool and wakes the session", () =>
    Effect.gen(function*() {
      const outbox = yield* Ref.make<ReadonlyArray<Note>>([])
      const provider = TestProvider.builder().reply(fence(program)).complete(() => fence("submit \"noted\"")).build()
      const ctx = yield* Layer.build(
        LashCore.layer({
          mode: "rlm",
          model: { id: "m", limits: { contextWindowTokens: 4096 } },
          plugins: [InboxPlugin(outbox)]
        }).pipe(
          Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer)),
          Layer.provideMerge(MemoryBackend.layer())
        )
      )
      const core = Context.get(ctx, LashCore)
      const session = yield* core.openSession("mail")
      const out = yield* session.turn(TurnInput.text("auto-reply to ada")).run
      expect(Option.getOrNull(out.submittedValue)).toBe("inbox.Message")

      const report = yield* deliver({ id: "m-1", from: "ada", text: "lunch?" }).pipe(Effect.provide(ctx))
      const again = yield* deliver({ id: "m-1", from: "ada", text: "lunch?" }).pipe(Effect.provide(ctx))
      expect(again.startedProcessIds, "a redelivered message starts nothing new").toEqual(report.startedProcessIds)
      const done = yield* core.processes().await(report.startedProcessIds[0]!).pipe(Effect.timeout("5 seconds"))
      expect(done).toEqual({ type: "success", value: 1 })
      expect(yield* Ref.get(outbox)).toEqual([{ to: "ada", text: "got: lunch?" }])
      // The wake reaches the session as an Event message.
      let events: ReadonlyArray<string> = []
      for (let i = 0; i < 100 && events.length === 0; i++) {
        yield* Effect.sleep("20 millis")
        const view = (yield* core.openSession("mail")).readView()
        events = view.messages.filter((m) => m.role === "event").map((m) => m.parts.map((p) => p.content).join(""))
      }
      expect(events.join("")).toContain("lunch?")
    }))
})
