/**
 * Process limits (docs/architecture.md, "Processes and leases"): how many live processes one session scope may hold
 * and how deep a process tree may grow, checked before a Lashlang `start` registers a new process, so a process bomb
 * ends with a clear error instead of flooding the host. (How many processes one run may start is the interpreter's
 * own limit, `maxProcessStarts`.)
 *
 * @internal
 */
import { HostFailure } from "@lash/lashlang"
import { Effect } from "effect"
import type { StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { ProcessRecord, SessionScope } from "../Process.js"
import type { CoreRuntime } from "./runtime.js"

/** The code of every refused start. */
export const PROCESS_LIMIT = "process_limit"

/**
 * The depth of a process in its tree: 1 for a process started by a session, a host or a trigger, and one more than
 * its parent's for a process started by a process. The walk stops once it passes `maxTreeDepth` (or at a parent it
 * cannot read), so it costs at most that many reads.
 */
export const processDepth = (core: CoreRuntime, record: ProcessRecord): Effect.Effect<number, StoreError> =>
  Effect.gen(function*() {
    let depth = 1
    let cause = record.provenance.causedBy
    while (cause?.type === "process" && depth <= core.cfg.processes.maxTreeDepth) {
      const parent = yield* Effect.either(core.registry.get(cause.processId))
      if (parent._tag === "Left") break
      depth += 1
      cause = parent.right.provenance.causedBy
    }
    return depth
  })

/** Live processes granted to `scope`; counts exactly only once the grants alone reach `atLeast`. */
const liveGranted = (core: CoreRuntime, scope: SessionScope, atLeast: number) =>
  Effect.gen(function*() {
    const grants = yield* core.registry.listHandleGrants(scope)
    if (grants.length < atLeast) return grants.length
    const live = new Set<string>(yield* core.registry.listNonTerminalIds())
    return grants.filter((grant) => live.has(grant.processId)).length
  })

/** A start to check. */
export interface StartRequest {
  readonly processId: ProcessId
  /** The depth the new process would have. */
  readonly depth: number
  /** The session scope the process would be granted to. */
  readonly scope: SessionScope | undefined
}

/**
 * Fails with a `HostFailure` (code `process_limit`) naming the limit a start would pass. A start whose process
 * already exists adopts it (a re-driven turn, a re-run process) and is never refused.
 */
export const checkStart = (core: CoreRuntime, start: StartRequest): Effect.Effect<void, HostFailure | StoreError> =>
  Effect.gen(function*() {
    const limits = core.cfg.processes
    let refusal: string | undefined
    if (start.depth > limits.maxTreeDepth) {
      refusal = `the process tree would be ${start.depth} deep, past ${limits.maxTreeDepth} (processes.maxTreeDepth)`
    } else if (start.scope !== undefined) {
      const live = yield* liveGranted(core, start.scope, limits.maxLivePerSession)
      if (live >= limits.maxLivePerSession) {
        refusal = `session ${start.scope.sessionId} already has ${live} live processes (processes.maxLivePerSession)`
      }
    }
    if (refusal === undefined) return
    const existing = yield* Effect.either(core.registry.get(start.processId))
    if (existing._tag === "Right") return
    if (existing.left._tag !== "ProcessNotFound") return yield* Effect.fail(existing.left)
    return yield* Effect.fail(new HostFailure({ message: `process start refused: ${refusal}`, code: PROCESS_LIMIT }))
  })
