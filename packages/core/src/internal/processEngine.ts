/**
 * What a process engine sees and answers (docs/architecture.md, "The worker"): the context of one run, the expected
 * failure and the park request, and the internal drivers a run may use.
 *
 * @internal
 */
import type { Effect } from "effect"
import type { ScopedEffects } from "../EffectController.js"
import type { InvalidProcessRegistration, ProcessRegistrationConflict, StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type {
  AppendEventRequest,
  ProcessAwaitOutput,
  ProcessEvent,
  ProcessExecutionEnvSpec,
  ProcessLease,
  ProcessRecord,
  ProcessRegistration
} from "../Process.js"
import type { Protocol } from "./protocol.js"
import type { QueuedDriver } from "./queued.js"
import type { CoreRuntime } from "./runtime.js"
import type { ToolCatalog } from "./toolCatalog.js"
import type { LocalOutcome } from "./workerSlots.js"

/** What an engine run receives. */
export interface EngineContext {
  readonly core: CoreRuntime
  readonly record: ProcessRecord
  readonly scoped: ScopedEffects
  /** Appends an event (wake enqueue and inline drain included). */
  readonly appendEvent: (req: AppendEventRequest) => Effect.Effect<ProcessEvent, unknown>
  /** Loads the env and rebuilds the plugins and tool catalog for `purpose: "process"`. */
  readonly rebuild: Effect.Effect<ProcessRebuild, ProcessFailure | StoreError>
  readonly drivers: Drivers
  /**
   * Runs `effect` (a wait on another process) without holding a worker slot, so a parent awaiting its children
   * never starves them under `maxConcurrent`; the slot is taken back when the wait ends.
   */
  readonly waiting: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
}

/** The rebuilt runtime pieces of a process. */
export interface ProcessRebuild {
  readonly env: ProcessExecutionEnvSpec
  readonly catalog: ToolCatalog
}

/** An expected process failure with its stable code. */
export class ProcessFailure {
  readonly _tag = "ProcessFailure"
  constructor(
    readonly code: string,
    readonly message: string,
    readonly raw?: Json
  ) {}
  toOutput(): ProcessAwaitOutput {
    return this.raw === undefined
      ? { type: "failure", code: this.code, message: this.message }
      : { type: "failure", code: this.code, message: this.message, raw: this.raw }
  }
}

/**
 * An engine's request to park its process (docs/architecture.md, "Processes and leases"): it stopped at a durable
 * sleep (`untilMs`) or a `wait_signal` (`untilMs` null) after reading its log up to `seenSequence`. The worker gives
 * the lease and the slot up; the process runs again (replaying) at the deadline or when a signal arrives.
 */
export class ProcessParked {
  readonly _tag = "ProcessParked"
  constructor(
    readonly reason: "sleep" | "signal",
    readonly untilMs: number | null,
    readonly seenSequence: number
  ) {}
}

/** A process engine (W1: `lashlang`). */
export interface ProcessEngine {
  readonly kind: string
  run(ctx: EngineContext): Effect.Effect<ProcessAwaitOutput, ProcessFailure | unknown>
}

/** The internal drivers of a core, wired after the core runtime exists. */
export interface Drivers {
  readonly queued: QueuedDriver
  /** Forks one worker sweep and one queued sweep into the core's fibers; returns at once. */
  readonly drivePending: (reason: string) => Effect.Effect<void>
  /**
   * Registers a process, leasing it in the same unit when this worker has a free slot (`lease` then set: hand it to
   * `launch`, or to `abandon` if the start fails after the unit).
   */
  readonly registerForRun: (
    reg: ProcessRegistration
  ) => Effect.Effect<
    { readonly record: ProcessRecord; readonly created: boolean; readonly lease?: ProcessLease },
    StoreError | ProcessRegistrationConflict | InvalidProcessRegistration
  >
  readonly launch: (lease: ProcessLease, record: ProcessRecord) => Effect.Effect<void>
  /** The outcome of a run `launch` started in this core that has not ended yet (see `WorkerSlots.localOutcome`). */
  readonly localOutcome: (processId: ProcessId) => LocalOutcome | undefined
  readonly abandon: (lease: ProcessLease) => Effect.Effect<void>
  /** Forks a targeted recovery of one process. */
  readonly poke: (processId: ProcessId) => Effect.Effect<void>
  /** Runs one `session_turn` child turn (used by the session_turn runner). */
  readonly protocol: Protocol
}
