/**
 * Test helpers: temp database files (removed with the scope) and small registration builders.
 */
import {
  Ids,
  type ProcessId,
  ProcessProvenance,
  ProcessRegistration,
  type RuntimeCommit,
  type SessionId
} from "@lash/core"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** A fresh temp directory holding `lash.db`, deleted when the scope closes. */
export const tempDbFile = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "lash-sqlite-test-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  ),
  (dir) => path.join(dir, "nested", "lash.db")
)

/** An `engine` process registration (runnable, no env). */
export const engineRegistration = (id: string) =>
  ProcessRegistration.make({
    id: id as ProcessId,
    input: { type: "engine", kind: "test", payload: null },
    provenance: ProcessProvenance.host()
  })

/** The policy of every test session. */
const config = { providerId: "", model: { id: "test-model", limits: { contextWindowTokens: 8192 } } }

/** The create request of a root session. */
export const rootSession = (sessionId: string) => ({
  sessionId: sessionId as SessionId,
  relation: { type: "root" as const },
  policy: config
})

/**
 * A commit appending protocol nodes (each under the given parent), the last one becoming the leaf; with `turnId`, a
 * turn stamp whose hash names that leaf.
 */
export const appendCommit = (
  sessionId: string,
  expected: number,
  nodes: ReadonlyArray<{ readonly id: string; readonly parent?: string | undefined }>,
  turnId?: string
): RuntimeCommit => {
  const leaf = nodes[nodes.length - 1]!.id
  return {
    sessionId: sessionId as SessionId,
    expectedHeadRevision: expected,
    config,
    frames: [],
    currentFrameId: "main",
    graph: {
      type: "append",
      nodes: nodes.map((n) => ({
        nodeId: n.id,
        ...(n.parent === undefined ? {} : { parentNodeId: n.parent }),
        timestampMs: 1,
        payload: { kind: "protocol", protocol: "standard", event: { n: n.id } }
      })),
      leafNodeId: leaf
    },
    checkpoint: { turnIndex: expected + 1, usage: { input: 0, output: 0 } },
    usageDeltas: [],
    ...(turnId === undefined ? {} : { turnStamp: { turnId: turnId as never, hash: `hash-${leaf}` } }),
    completedClaims: []
  }
}

/** A subscription draft of session `owner` on the source `test.Ping`, under `registrationKey`. */
export const subscriptionDraft = (registrationKey: string) => ({
  registrant: { type: "session" as const, scope: { sessionId: "owner" as SessionId } },
  registrationKey,
  envRef: "process-env:sha256:none" as never,
  wakeTarget: { sessionId: "owner" as SessionId },
  name: "on ping",
  sourceType: "test.Ping",
  sourceKey: Ids.emptySourceKey("test.Ping"),
  source: {},
  payloadSchema: { type: "object" },
  target: {
    type: "tool_call" as const,
    call: { callId: "ping", toolId: "tool:count" as never, toolName: "count", args: {}, preparedPayload: null }
  },
  targetIdentity: { kind: "tool_call" },
  eventTypes: [],
  inputTemplate: {}
})
