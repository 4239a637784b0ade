import { describe, expect, it } from "@effect/vitest"
import { LashCore, type SessionId, SessionStore, TurnInput } from "@lash/core"
import { Effect, Option } from "effect"
import { FakeReply, type FakeWire } from "../src/testing/index.js"
import { collect, wires, withServer } from "./harness.js"

const ADD_SCHEMA = {
  type: "object",
  required: ["a", "b"],
  properties: { a: { type: "number" }, b: { type: "number" } },
  additionalProperties: false
}

const QUESTION = "What is 2 + 3?"

/** The exact bodies lash sends for a tool-calling turn: the first request, and the second with the tool result. */
const expectedBodies = (wire: FakeWire, stream: boolean): readonly [unknown, unknown] => {
  switch (wire) {
    case "openai-responses": {
      const base = {
        model: "model-1",
        max_output_tokens: 256,
        temperature: 0.2,
        include: [],
        text: { format: { type: "text" } },
        tools: [{
          type: "function",
          name: "add",
          description: "Adds two numbers",
          parameters: ADD_SCHEMA,
          strict: false
        }],
        tool_choice: "auto",
        ...(stream ? { stream: true } : {})
      }
      const input = [
        { role: "system", content: "You are terse." },
        { role: "user", content: [{ type: "input_text", text: QUESTION }] }
      ]
      return [
        { ...base, input },
        {
          ...base,
          input: [
            ...input,
            { type: "function_call", call_id: "call_1", name: "add", arguments: "{\"a\":2,\"b\":3}" },
            { type: "function_call_output", call_id: "call_1", output: "5" }
          ]
        }
      ]
    }
    case "anthropic-messages": {
      const base = {
        model: "model-1",
        max_tokens: 256,
        temperature: 0.2,
        system: [{ type: "text", text: "You are terse." }],
        tools: [{ name: "add", description: "Adds two numbers", input_schema: ADD_SCHEMA }],
        tool_choice: { type: "auto" },
        ...(stream ? { stream: true } : {})
      }
      const messages = [{ role: "user", content: [{ type: "text", text: QUESTION }] }]
      return [
        { ...base, messages },
        {
          ...base,
          messages: [
            ...messages,
            { role: "assistant", content: [{ type: "tool_use", id: "call_1", name: "add", input: { a: 2, b: 3 } }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "5", is_error: false }] }
          ]
        }
      ]
    }
    case "chat-completions": {
      const base = {
        model: "model-1",
        max_tokens: 256,
        temperature: 0.2,
        tools: [{
          type: "function",
          function: { name: "add", description: "Adds two numbers", parameters: ADD_SCHEMA }
        }],
        tool_choice: "auto",
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {})
      }
      const messages = [{ role: "system", content: "You are terse." }, { role: "user", content: QUESTION }]
      return [
        { ...base, messages },
        {
          ...base,
          messages: [
            ...messages,
            {
              role: "assistant",
              content: null,
              tool_calls: [{
                id: "call_1",
                type: "function",
                function: { name: "add", arguments: "{\"a\":2,\"b\":3}" }
              }]
            },
            { role: "tool", tool_call_id: "call_1", content: "5" }
          ]
        }
      ]
    }
  }
}

/** Input tokens as lash counts them: Anthropic reports them without cache reads and writes, lash adds them back. */
const expectedUsage = (wire: FakeWire) =>
  wire === "anthropic-messages"
    ? { input: 10 + 20 + 8 + 2, output: 5 + 4, cacheRead: 0 + 8, cacheWrite: 0 + 2 }
    : { input: 10 + 20, output: 5 + 4, cacheRead: 0 + 8 }

for (const w of wires) {
  describe(`${w.name}: turns through the adapter`, () => {
    for (const streamed of [false, true]) {
      const how = streamed ? "streamed" : "whole"
      it.scopedLive(`standard mode, ${how}: exact request bodies, tool call and result, text, usage with cache`, () =>
        withServer(w, { temperature: 0.2 }, {}, (server) =>
          Effect.gen(function*() {
            server.reply(
              FakeReply.toolCalls([{ id: "call_1", name: "add", args: { a: 2, b: 3 } }]),
              FakeReply.text("2 + 3 = 5.", { usage: { input: 20, output: 4, cached: 8, cacheWrite: 2 } })
            )
            const session = yield* (yield* LashCore).openSession("std")
            const events = streamed ? yield* collect(session.turn(TurnInput.text(QUESTION)).stream) : []
            const out = streamed
              ? (events[events.length - 1] as Extract<(typeof events)[number], { type: "turn_committed" }>).output
              : yield* session.turn(TurnInput.text(QUESTION)).run
            expect(Option.getOrNull(out.assistantMessage)).toBe("2 + 3 = 5.")
            expect(out.toolCalls.map((c) => [c.callId, c.toolName, c.args, c.result])).toEqual([
              ["call_1", "add", { a: 2, b: 3 }, { type: "ok", value: 5 }]
            ])
            expect(out.usage).toEqual(expectedUsage(w.wire))
            // The session's totals carry the same usage.
            const stored = yield* Effect.flatMap(SessionStore, (store) => store.load("std" as SessionId))
            expect(Option.map(stored, (s) => s.checkpoint.usage)).toEqual(Option.some(expectedUsage(w.wire)))
            const requests = server.requests()
            const path = {
              "openai-responses": "/v1/responses",
              "anthropic-messages": "/v1/messages",
              "chat-completions": "/v1/chat/completions"
            }[w.wire]
            expect(requests.map((r) => [r.path, r.stream, w.key(r.headers)])).toEqual([
              [path, streamed, w.secret],
              [path, streamed, w.secret]
            ])
            const [first, second] = expectedBodies(w.wire, streamed)
            expect(requests[0]!.body).toEqual(first)
            expect(requests[1]!.body).toEqual(second)
            if (streamed) {
              const text = events.flatMap((e) => (e.type === "text_delta" ? [e.text] : []))
              expect(text).toEqual(["2 + ", "3 = ", "5."])
              expect(
                events.filter((e) => e.type === "model_replied").map((e) =>
                  e.type === "model_replied" && e.finishReason
                )
              )
                .toEqual(["tool_calls", "stop"])
            }
          })))

      it.scopedLive(`rlm mode, ${how}: a Lashlang block runs and submits; no native tools are offered`, () =>
        withServer(w, {}, { mode: "rlm" }, (server) =>
          Effect.gen(function*() {
            server.reply(
              FakeReply.text("Adding.\n```lashlang\nr = await tools.add({ a: 4, b: 5 })?\nprint(r)\nsubmit r\n```", {
                chunkSize: 7
              })
            )
            const session = yield* (yield* LashCore).openSession("rlm")
            const events = streamed ? yield* collect(session.turn(TurnInput.text("4 + 5?")).stream) : []
            const out = streamed
              ? (events[events.length - 1] as Extract<(typeof events)[number], { type: "turn_committed" }>).output
              : yield* session.turn(TurnInput.text("4 + 5?")).run
            expect(Option.getOrNull(out.submittedValue)).toBe(9)
            const body = server.requests()[0]!.body
            const tools = body.tools
            expect(tools === undefined || (Array.isArray(tools) && tools.length === 0)).toBe(true)
            expect(JSON.stringify(body)).toContain("tools.add")
            if (streamed) {
              expect(events.flatMap((e) => (e.type === "text_delta" ? [e.text] : [])).join("")).toBe("Adding.\n")
              expect(events.flatMap((e) => (e.type === "code_print" ? [e.text] : []))).toEqual(["9"])
              for (const e of events) if (e.type === "text_delta") expect(e.text).not.toContain("`")
            }
          })))
    }

    for (const streamed of [false, true]) {
      it.scopedLive(
        `${
          streamed ? "streamed" : "whole"
        }: a reply cut at the token limit or filtered is kept and reported as a turn issue`,
        () =>
          withServer(w, {}, {}, (server) =>
            Effect.gen(function*() {
              server.reply(
                FakeReply.text("cut sho", { finish: "length" }),
                FakeReply.text("", { finish: "content_filter" })
              )
              const session = yield* (yield* LashCore).openSession("finish")
              const turn = (text: string) =>
                streamed
                  ? Effect.map(
                    collect(session.turn(TurnInput.text(text)).stream),
                    (events) => {
                      const last = events[events.length - 1]!
                      if (last.type !== "turn_committed") throw new Error(`last event ${last.type}`)
                      return {
                        out: last.output,
                        finish: events.flatMap((e) => (e.type === "model_replied" ? [e.finishReason] : []))
                      }
                    }
                  )
                  : Effect.map(session.turn(TurnInput.text(text)).run, (out) => ({ out, finish: [] }))
              const cut = yield* turn("long answer please")
              expect(Option.getOrNull(cut.out.assistantMessage)).toBe("cut sho")
              expect(cut.out.issues.map((i) => i.code)).toEqual(["model_output_truncated"])
              const filtered = yield* turn("something filtered")
              expect(filtered.out.issues.map((i) => i.code)).toEqual(["model_content_filtered"])
              if (streamed) {
                expect(cut.finish).toEqual(["length"])
                expect(filtered.finish).toEqual(["content_filter"])
              }
            }))
      )
    }

    it.scopedLive("a failed tool call reaches the model as an error result, and the turn goes on", () =>
      withServer(w, {}, {}, (server) =>
        Effect.gen(function*() {
          server.reply(
            FakeReply.toolCalls([{ id: "call_9", name: "add", args: { a: "two", b: 3 } }]),
            FakeReply.text("I passed a string.")
          )
          const out = yield* (yield* (yield* LashCore).openSession("bad-args")).turn(TurnInput.text("add")).run
          expect(Option.getOrNull(out.assistantMessage)).toBe("I passed a string.")
          const sent = JSON.stringify(server.requests()[1]!.body)
          expect(sent).toContain("error (invalid_tool_args): invalid arguments for add")
          if (w.wire === "anthropic-messages") expect(sent).toContain("\"is_error\":true")
        })))
  })
}
