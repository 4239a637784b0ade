/**
 * Shared bench fixtures: temp directories, the realistic turn commit of B1/B4/B5, a test model.
 */
import {
  Ids,
  type QueuedWorkBatchDraft,
  type QueuedWorkClaim,
  type RuntimeCommit,
  type SessionId,
  TurnInput
} from "@lash/core"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The active-path nodes an opened session holds (the core's window, packages/core/src/internal/sessionState.ts). */
export const HISTORY_WINDOW = 128

/** The model spec of every bench session. */
export const benchModel = { id: "bench-model", limits: { contextWindowTokens: 128_000 } }
export const benchPolicy = { providerId: "", model: benchModel }

/** A fresh temp directory; `dispose()` removes it. */
export const tempDir = (
  prefix: string
): { readonly dir: string; readonly file: (name: string) => string; readonly dispose: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), `lash-bench-${prefix}-`))
  return { dir, file: (name) => join(dir, name), dispose: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The create request of a root bench session. */
export const rootSession = (sessionId: string) => ({
  sessionId: sessionId as SessionId,
  relation: { type: "root" as const },
  policy: benchPolicy
})

const filler = (seed: string, bytes: number): string => {
  const unit = `${seed} lorem ipsum dolor sit amet, consectetur adipiscing elit; `
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes)
}

/** A queued user input (the batch a B1 commit completes). */
export const userBatch = (sessionId: string, i: number): QueuedWorkBatchDraft => ({
  sessionId: sessionId as SessionId,
  sourceKey: `bench:${i}`,
  deliveryPolicy: "earliest_safe_boundary",
  slotPolicy: "join",
  mergeKey: { type: "never" },
  availableAtMs: 0,
  payloads: [{ type: "turn_input", input: TurnInput.text(`question ${i}`) }]
})

const snapshot = filler("plugin-state", 4096)

/**
 * A realistic turn commit (docs/performance.md B1): 2 message nodes of ~1 KiB each (user + assistant), a checkpoint with a
 * 4 KiB plugin snapshot and usage, one usage delta, a turn stamp over the content hash, and (optionally) one
 * completed queued-work claim.
 */
export const turnCommit = (
  sessionId: string,
  expected: number,
  options: { readonly claim?: QueuedWorkClaim; readonly nodeBytes?: number; readonly snapshotBytes?: number } = {}
): RuntimeCommit => {
  const turn = expected + 1
  const turnId = `${sessionId}:turn:${turn}`
  const bytes = options.nodeBytes ?? 1024
  const userNode = `${turnId}:u`
  const asstNode = `${turnId}:a`
  const base: RuntimeCommit = {
    sessionId: sessionId as SessionId,
    expectedHeadRevision: expected,
    config: benchPolicy,
    frames: [{
      frameId: "main",
      assignment: { policy: benchPolicy, pluginOptions: { plugins: {} } },
      protocolOptions: null
    }],
    currentFrameId: "main",
    graph: {
      type: "append",
      nodes: [
        {
          nodeId: userNode,
          ...(expected > 0 ? { parentNodeId: `${sessionId}:turn:${expected}:a` } : {}),
          timestampMs: 1_767_225_600_000 + turn,
          payload: {
            kind: "message",
            message: {
              id: `${userNode}:m`,
              role: "user",
              parts: [{ id: `${userNode}:p`, kind: "text", content: filler(`u${turn}`, bytes) }]
            }
          }
        },
        {
          nodeId: asstNode,
          parentNodeId: userNode,
          timestampMs: 1_767_225_600_000 + turn,
          payload: {
            kind: "message",
            message: {
              id: `${asstNode}:m`,
              role: "assistant",
              parts: [{ id: `${asstNode}:p`, kind: "text", content: filler(`a${turn}`, bytes) }]
            }
          }
        }
      ],
      leafNodeId: asstNode
    },
    checkpoint: {
      turnIndex: turn,
      usage: { input: 1200 * turn, output: 300 * turn },
      pluginSnapshot: {
        bench: {
          version: "1",
          state: {
            blob: options.snapshotBytes === undefined ? snapshot : filler("plugin-state", options.snapshotBytes),
            turn
          }
        }
      }
    },
    usageDeltas: [{ source: "turn", model: benchModel.id, usage: { input: 1200, output: 300 } }],
    completedClaims: options.claim === undefined
      ? []
      : [{
        claimId: options.claim.claimId,
        leaseToken: options.claim.leaseToken,
        batchIds: options.claim.batches.map((b) => b.batchId)
      }]
  }
  return { ...base, turnStamp: { turnId: turnId as never, hash: Ids.turnStampHash(base) } }
}
