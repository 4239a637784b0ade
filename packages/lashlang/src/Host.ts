/**
 * The host boundary (docs/lashlang.md, "The host boundary"): every effect a program has goes through one `perform`.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { HostFailure } from "./Errors.js"
import type { Authority, Descriptor, ProcessDefValue, RecordValue, Value } from "./Value.js"

/** Where an operation was performed: the effect key is `<seed>:<nodeId>:<occurrence>`. @since 0.1.0 */
export interface Site {
  readonly entry: string
  readonly nodeId: string
  readonly kind: string
  readonly occurrence: number
}

/** One trigger input binding, in source order. @since 0.1.0 */
export interface TriggerInput {
  readonly name: string
  readonly binding: { readonly kind: "event" } | { readonly kind: "fixed"; readonly value: Value }
}

/** Every operation a program can ask of its host. @since 0.1.0 */
export type HostOperation =
  | {
    readonly _tag: "Call"
    readonly site: Site
    readonly receiver: Authority
    readonly operation: string
    readonly hostOperation: string
    readonly args: ReadonlyArray<Value>
  }
  | {
    readonly _tag: "TriggerRegister"
    readonly site: Site
    readonly source: Descriptor
    readonly target: ProcessDefValue
    readonly inputs: ReadonlyArray<TriggerInput>
    readonly name?: string
  }
  | {
    readonly _tag: "StartProcess"
    readonly site: Site
    readonly moduleRef: string
    readonly processRef: { readonly component: string; readonly pos: number }
    readonly hostRequirementsRef: string
    readonly processName: string
    readonly args: RecordValue
  }
  | { readonly _tag: "Await"; readonly site: Site; readonly handle: RecordValue }
  | { readonly _tag: "Cancel"; readonly site: Site; readonly handle: Value }
  | {
    readonly _tag: "Sleep"
    readonly site: Site
    readonly mode: "for" | "until"
    readonly value: Value
    /**
     * The duration the interpreter computed from `value` (for `until`: from the run's `Clock` when the sleep was
     * reached) and charged against the block's total sleep allowance.
     */
    readonly millis: number
  }
  | { readonly _tag: "Emit"; readonly site: Site; readonly kind: "wake" | "yield"; readonly value: Value }
  | { readonly _tag: "WaitSignal"; readonly site: Site; readonly name: string }
  | {
    readonly _tag: "SignalRun"
    readonly site: Site
    readonly handle: Value
    readonly name: string
    readonly payload: Value
  }
  | { readonly _tag: "Print"; readonly site: Site; readonly value: Value }
  | {
    readonly _tag: "Terminate"
    readonly site: Site
    readonly kind: "submit" | "finish" | "fail"
    readonly value: Value
  }

/**
 * The host a program runs against. `perform` fails with a {@link HostFailure} when the operation failed in a way the
 * program sees (a failed tool call becomes `{ ok: false, error }`, a failed `start` a runtime error); any other
 * failure in `E` (a store that is down, a journal conflict) is not the program's business: it ends the execution and
 * `execute` fails with it, typed (`Exclude<E, HostFailure>`).
 *
 * @since 0.1.0
 */
export interface LashlangHost<E = HostFailure, R = never> {
  readonly perform: (op: HostOperation) => Effect.Effect<Value, E, R>
}
