/**
 * Test helpers: temp database files (removed with the scope) and small registration builders.
 */
import { type ProcessId, ProcessProvenance, ProcessRegistration, type SessionId } from "@lash/core"
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
  ProcessRegistration.make({ id: id as ProcessId, input: { type: "engine", kind: "test", payload: null }, provenance: ProcessProvenance.host() })

/** The create request of a root session. */
export const rootSession = (sessionId: string) => ({
  sessionId: sessionId as SessionId,
  relation: { type: "root" as const },
  policy: { providerId: "", model: { id: "test-model", limits: { contextWindowTokens: 8192 } } }
})
