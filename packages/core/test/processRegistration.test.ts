/** The constructors of `ProcessRegistration` (Process.ts). */
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  coreEventTypes,
  EnvRef,
  ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  SessionId,
  ToolId
} from "../src/index.js"

const envRef = EnvRef.make("process-env:sha256:test")

describe("ProcessRegistration.toolCall", () => {
  it("builds the tool_call registration make builds from the hand-written input, with its defaults", () => {
    const built = ProcessRegistration.toolCall({ id: "nap-1", toolName: "nap", args: { ms: 5 }, envRef })
    expect(built).toEqual(ProcessRegistration.make({
      id: ProcessId.make("nap-1"),
      input: {
        type: "tool_call",
        call: {
          callId: "nap-1:call",
          toolId: ToolId.make("tool:nap"),
          toolName: "nap",
          args: { ms: 5 },
          preparedPayload: null
        }
      },
      provenance: ProcessProvenance.host(),
      envRef
    }))
    expect(built.identity).toEqual({ kind: "tool_call" })
    expect(built.eventTypes.map((t) => t.name)).toEqual(coreEventTypes.map((t) => t.name).sort())
    expect(Schema.decodeUnknownSync(ProcessRegistration)(built), "a valid registration").toEqual(built)
  })

  it("takes the tool id, call id and provenance it is given", () => {
    const provenance = ProcessProvenance.session({ sessionId: SessionId.make("owner") })
    const built = ProcessRegistration.toolCall({
      id: "p",
      toolName: "search",
      args: null,
      envRef,
      toolId: "tool:web-search",
      callId: "call-7",
      provenance
    })
    expect(built.input).toEqual({
      type: "tool_call",
      call: { callId: "call-7", toolId: "tool:web-search", toolName: "search", args: null, preparedPayload: null }
    })
    expect(built.provenance).toEqual(provenance)
  })

  it("checks its ids by their schemas: an empty process id or tool id throws", () => {
    expect(() => ProcessRegistration.toolCall({ id: "", toolName: "nap", args: {}, envRef })).toThrow()
    expect(() => ProcessRegistration.toolCall({ id: "p", toolName: "nap", args: {}, envRef, toolId: "" })).toThrow()
  })
})
