/**
 * lash-plugin-inbox: an example of a plugin published as an ordinary npm package. It depends on `@lash/core`,
 * `@lash/lashlang` and `effect` as PEER dependencies (one copy of the core in the host's tree) and contributes:
 *
 * - a tool, `send_note({ to, text })`, callable in standard mode and as `tools.send_note` in Lashlang;
 * - a trigger source, `inbox.Message({ from })`, whose occurrences carry an `inbox.Received` event;
 * - the `triggers` ability, so a model can write `triggers.register({ source: inbox.Message(...), ... })`.
 *
 * The host delivers mail with {@link deliver}, which emits one occurrence per message id (idempotent).
 *
 * @since 0.1.0
 */
import { definePlugin, defineTool, LashCore, type LashPlugin, TriggerKeys } from "@lash/core"
import { HostCatalog, LashlangAbilities, NamedDataType, TypeExpr } from "@lash/lashlang"
import { Effect, Either, Ref, Schema } from "effect"

/** The event type a message occurrence carries. @since 0.1.0 */
export const Received: NamedDataType = Either.getOrThrow(
  NamedDataType.object("inbox.Received", [
    TypeExpr.field("id", TypeExpr.str),
    TypeExpr.field("from", TypeExpr.str),
    TypeExpr.field("text", TypeExpr.str)
  ])
)

const catalog = Either.getOrThrow(
  HostCatalog.addTriggerSource(
    HostCatalog.empty,
    ["inbox", "Message"],
    TypeExpr.object([TypeExpr.field("from", TypeExpr.str)]),
    Received
  )
)

/** One sent note, as the outbox records it. @since 0.1.0 */
export interface Note {
  readonly to: string
  readonly text: string
}

/**
 * Builds the plugin over an outbox (a `Ref` the host owns, so tests and apps can read what was sent).
 *
 * @since 0.1.0
 */
export const InboxPlugin = (outbox: Ref.Ref<ReadonlyArray<Note>>): LashPlugin =>
  definePlugin({
    id: "inbox",
    version: "1",
    lashlang: { abilities: LashlangAbilities.none.withTriggers().withProcesses(), catalog },
    triggerEvents: [
      {
        resourceType: "Inbox",
        alias: "inbox",
        event: "Message",
        payloadSchema: {
          type: "object",
          properties: { id: { type: "string" }, from: { type: "string" }, text: { type: "string" } },
          required: ["id", "from", "text"]
        }
      }
    ],
    tools: [
      defineTool({
        name: "send_note",
        description: "Sends a short note to a person",
        input: Schema.Struct({ to: Schema.String, text: Schema.String }),
        output: Schema.Struct({ sent: Schema.Number }),
        execute: (note) =>
          Effect.map(Ref.updateAndGet(outbox, (notes) => [...notes, note]), (notes) => ({ sent: notes.length }))
      })
    ],
    build: () => Effect.succeed({ register: () => Effect.void })
  })

/**
 * Delivers one message: an `inbox.Message` occurrence for sender `from`, idempotent on the message `id`.
 *
 * @since 0.1.0
 */
export const deliver = (message: { readonly id: string; readonly from: string; readonly text: string }) =>
  Effect.flatMap(LashCore, (core) => {
    const source = { from: message.from }
    return core.triggers().emit(
      {
        sourceType: "inbox.Message",
        sourceKey: TriggerKeys.sourceKey("inbox.Message", source),
        source,
        payload: message,
        idempotencyKey: `inbox:${message.id}`
      },
      { type: "runtime_operation", operationId: `inbox:${message.id}` }
    )
  })
