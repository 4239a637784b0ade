/**
 * Execution scopes, effect envelopes and journal entries: the replay boundary (docs/architecture.md, "Effects and replay").
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ProcessId, SessionId, TurnId } from "./Identifiers.js"
import { Json } from "./Json.js"
import type { CausalRef } from "./Session.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))

/** The identity of one execution that issues effects. @since 0.1.0 */
export const ExecutionScope = Schema.Union(
  Schema.Struct({ type: Schema.Literal("turn"), sessionId: SessionId, turnId: TurnId }),
  Schema.Struct({ type: Schema.Literal("process"), processId: ProcessId }),
  Schema.Struct({ type: Schema.Literal("queue_drain"), sessionId: SessionId, drainId: NonEmpty }),
  Schema.Struct({ type: Schema.Literal("runtime_operation"), operationId: NonEmpty }),
  Schema.Struct({ type: Schema.Literal("session_delete"), sessionId: SessionId })
)
/** @since 0.1.0 */
export type ExecutionScope = typeof ExecutionScope.Type

/** The kind of a nondeterministic step. @since 0.1.0 */
export const EffectKind = Schema.Literal("llm_call", "tool_call", "exec_code", "process", "sleep", "await_event")
/** @since 0.1.0 */
export type EffectKind = typeof EffectKind.Type

/** A description of one effect: its scope, kind, replay key and canonical request. @since 0.1.0 */
export interface EffectEnvelope {
  readonly scope: ExecutionScope
  readonly effectId: string
  readonly kind: EffectKind
  readonly replayKey: string
  readonly causedBy?: CausalRef
  readonly command: Json
}

/** How the journal stores the `Exit` of an effect. @since 0.1.0 */
export interface EffectCodec<A, E> {
  readonly success: Schema.Schema<A, Json>
  readonly failure: Schema.Schema<E, Json>
}

/** One recorded effect outcome. @since 0.1.0 */
export const JournalEntry = Schema.Struct({
  scopeId: Schema.String,
  replayKey: Schema.String,
  requestHash: Schema.String,
  exit: Schema.Union(
    Schema.Struct({ _tag: Schema.Literal("Success"), value: Json }),
    Schema.Struct({ _tag: Schema.Literal("Failure"), error: Json })
  )
})
/** @since 0.1.0 */
export interface JournalEntry extends Schema.Schema.Type<typeof JournalEntry> {}
