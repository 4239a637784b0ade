/**
 * Signal delivery (docs/lashlang.md, "Sleep and signals"; docs/architecture.md, "Processes and leases"): one checked
 * `process.signal` event in the target's log. The check is against the stored artifact of the target (the name is
 * declared, the payload matches its type); a signal that fails it is not appended and the sender gets the reason.
 * The event is kept until the process waits for it; appending it unparks a process waiting for a signal, and the
 * worker is poked so the process resumes at once.
 *
 * @internal
 */
import { checkSignal, Value } from "@lash/lashlang"
import { Effect, Either, Option, Schema } from "effect"
import { type ProcessNotFound, ProcessSignalRejected, type StoreError } from "../Errors.js"
import type { ProcessId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import { LashlangProcessInput } from "../Process.js"
import type { CoreRuntime } from "./runtime.js"
import type { Drivers } from "./worker.js"

/** The event type of a delivered signal. */
export const SIGNAL_EVENT = "process.signal"

/** The payload of a `process.signal` event. */
export interface SignalEventPayload {
  readonly name: string
  readonly payload: Json
}

/** Checks and appends one signal; `replayKey` makes a repeated delivery a no-op. */
export const deliverSignal = (
  core: CoreRuntime,
  drivers: Drivers,
  processId: ProcessId,
  name: string,
  payload: Json,
  replayKey: string | undefined
): Effect.Effect<void, StoreError | ProcessNotFound | ProcessSignalRejected> =>
  Effect.gen(function*() {
    const reject = (reason: ProcessSignalRejected["reason"], message: string) =>
      Effect.fail(new ProcessSignalRejected({ processId, signal: name, reason, message }))
    const record = yield* core.registry.get(processId)
    if (record.status.state !== "running") {
      return yield* reject("process_ended", `process ${processId} has ended (${record.status.state})`)
    }
    const input = record.input.type === "engine" && record.input.kind === "lashlang"
      ? Schema.decodeUnknownEither(LashlangProcessInput)(record.input.payload)
      : undefined
    if (input === undefined || Either.isLeft(input)) {
      return yield* reject("not_a_lashlang_process", `process ${processId} does not take signals`)
    }
    const artifact = yield* core.artifacts.get(input.right.moduleRef)
    if (Option.isNone(artifact)) {
      return yield* reject("module_missing", `module ${input.right.moduleRef} of process ${processId} is not stored`)
    }
    const problem = checkSignal(artifact.value, input.right.processName, name, Value.fromJson(payload))
    if (problem !== undefined) {
      return yield* reject(problem._tag === "InvalidPayload" ? "invalid_payload" : "unknown_signal", problem.message)
    }
    const body: SignalEventPayload = { name, payload }
    yield* core.registry.appendEvent(processId, {
      eventType: SIGNAL_EVENT,
      payload: body as unknown as Json,
      ...(replayKey === undefined ? {} : { replayKey })
    }).pipe(
      Effect.catchTag("ProcessEventRejected", (e) =>
        e.reason === "already_terminal"
          ? reject("process_ended", `process ${processId} has ended`)
          : e.reason === "replay_conflict"
          ? reject("invalid_payload", `a different signal was already delivered under this key`)
          : reject("not_a_lashlang_process", `process ${processId} does not take signals (${e.reason})`))
    )
    yield* drivers.poke(processId)
  })
