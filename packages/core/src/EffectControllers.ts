/**
 * The two first-party effect controllers: inline (runs each effect, remembers nothing) and journaled (records each
 * outcome under its replay key and returns the recording on re-execution).
 *
 * @since 0.1.0
 */
import { Effect, Either, Layer, Option, Schema } from "effect"
import { EffectController, type ScopedEffects } from "./EffectController.js"
import { EffectJournal } from "./EffectJournal.js"
import type { EffectCodec, EffectEnvelope, ExecutionScope, JournalEntry } from "./Effects.js"
import { CorruptRecord, EffectReplayConflict, InvalidExecutionScope, type StoreError } from "./Errors.js"
import { Ids } from "./Ids.js"
import type { Json } from "./Json.js"
import { RecordKeys } from "./storage/RecordCodec.js"

const validateScope = (scope: ExecutionScope): Effect.Effect<ExecutionScope, InvalidExecutionScope> => {
  const ids: ReadonlyArray<string> = scope.type === "turn"
    ? [scope.sessionId, scope.turnId]
    : scope.type === "process"
    ? [scope.processId]
    : scope.type === "queue_drain"
    ? [scope.sessionId, scope.drainId]
    : scope.type === "runtime_operation"
    ? [scope.operationId]
    : [scope.sessionId]
  return ids.some((id) => id.trim().length === 0)
    ? Effect.fail(new InvalidExecutionScope({ reason: `empty id in ${scope.type} scope` }))
    : Effect.succeed(scope)
}

const STORE_ERRORS = new Set(["StoreUnavailable", "StoreConflict", "CorruptRecord"])
const isStoreError = (e: unknown): boolean =>
  typeof e === "object" && e !== null && STORE_ERRORS.has((e as { readonly _tag?: string })._tag ?? "")

/**
 * The inline controller: runs `local` and remembers nothing (at-least-once for effects outside lash).
 *
 * @since 0.1.0
 */
export const InlineEffectController: { readonly layer: Layer.Layer<EffectController> } = {
  layer: Layer.succeed(EffectController, {
    tier: "inline",
    kind: "inline",
    scoped: (scope) =>
      Effect.map(
        validateScope(scope),
        (scope): ScopedEffects => ({ scope, execute: (_envelope, _codec, local) => local })
      )
  })
}

const decodeRecorded = <A, E>(
  entry: JournalEntry,
  codec: EffectCodec<A, E>
): Effect.Effect<A, E | CorruptRecord> => {
  const corrupt = (issue: unknown) =>
    new CorruptRecord({
      port: "EffectJournal",
      key: RecordKeys.journal(entry.scopeId, entry.replayKey),
      issue: String(issue)
    })
  if (entry.exit._tag === "Success") {
    return Either.match(Schema.decodeEither(codec.success)(entry.exit.value), {
      onLeft: (issue) => Effect.fail(corrupt(issue)),
      onRight: (a) => Effect.succeed(a)
    })
  }
  return Either.match(Schema.decodeEither(codec.failure)(entry.exit.error), {
    onLeft: (issue) => Effect.fail(corrupt(issue)),
    onRight: (e) => Effect.fail(e)
  })
}

/**
 * The journaled controller: a recorded outcome with the same request hash is returned without running `local`;
 * a different hash is an `EffectReplayConflict`; a miss runs `local` and records its `Exit` insert-if-absent
 * (if another writer won, its outcome is returned). Its tier is the journal's.
 *
 * @since 0.1.0
 */
export const JournaledEffectController: { readonly layer: Layer.Layer<EffectController, never, EffectJournal> } = {
  layer: Layer.effect(
    EffectController,
    Effect.map(EffectJournal, (journal) => ({
      tier: journal.tier,
      kind: "journaled" as const,
      scoped: (scope: ExecutionScope) =>
        Effect.map(validateScope(scope), (scope): ScopedEffects => {
          const scopeId = Ids.scopeId(scope)
          return {
            scope,
            execute: <A, E>(
              envelope: EffectEnvelope,
              codec: EffectCodec<A, E>,
              local: Effect.Effect<A, E | StoreError>
            ) =>
              Effect.gen(function*() {
                const requestHash = Ids.requestHash(envelope.command)
                const found = yield* journal.lookup(scopeId, envelope.replayKey)
                const replayOrConflict = (entry: JournalEntry) =>
                  entry.requestHash === requestHash
                    ? decodeRecorded(entry, codec)
                    : Effect.fail(
                      new EffectReplayConflict({
                        scopeId,
                        replayKey: envelope.replayKey,
                        recordedHash: entry.requestHash,
                        requestHash
                      })
                    )
                if (Option.isSome(found)) return yield* replayOrConflict(found.value)
                const exit = yield* Effect.either(local)
                // Storage failures are infrastructure, not outcomes: they are never recorded, so a retry runs again.
                if (Either.isLeft(exit) && isStoreError(exit.left)) return yield* Effect.fail(exit.left as StoreError)
                const recorded: JournalEntry = {
                  scopeId,
                  replayKey: envelope.replayKey,
                  requestHash,
                  exit: Either.isRight(exit)
                    ? { _tag: "Success", value: Schema.encodeSync(codec.success)(exit.right) as Json }
                    : { _tag: "Failure", error: Schema.encodeSync(codec.failure)(exit.left as E) as Json }
                }
                const winner = yield* journal.record(recorded)
                return yield* replayOrConflict(winner)
              })
          }
        })
    }))
  )
}
