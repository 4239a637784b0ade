/**
 * `lash triggers list` and `lash queue SESSION`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { type SessionId, TriggerStore } from "@lash/core"
import { Effect, Option } from "effect"
import * as CliError from "../CliError.js"
import * as Output from "../Output.js"
import * as Common from "./Common.js"

const list = Command.make("list", {
  store: Common.store,
  json: Common.json,
  session: Options.text("session").pipe(Options.optional, Options.withDescription("only this session's triggers"))
}, (args) =>
  Effect.gen(function*() {
    const { subscriptions: records, unreadable } = yield* (yield* TriggerStore).listing(
      Option.isSome(args.session) ? { sessionId: args.session.value as SessionId } : {}
    )
    // A subscription row that does not decode is named with its handle, row key and reason (state `corrupt`).
    if (args.json) return yield* Output.json({ triggers: records, unreadable })
    if (records.length === 0 && unreadable.length === 0) return yield* Output.print("no triggers")
    yield* Output.print(Output.table(
      ["HANDLE", "NAME", "SOURCE", "SOURCE KEY", "TARGET", "REGISTRANT", "STATE", "CREATED"],
      [
        ...records.map((record) => [
          record.handle,
          record.name ?? "",
          record.sourceType,
          Output.brief(record.sourceKey, 40),
          record.targetIdentity.label ?? record.targetIdentity.kind,
          record.registrant.type === "session" ? record.registrant.scope.sessionId : "(host)",
          Output.status(record.enabled ? "enabled" : "disabled"),
          Output.time(record.createdAtMs)
        ]),
        ...unreadable.map((row) => [
          row.handle,
          "?",
          row.sourceType,
          "?",
          `${row.key}: ${Output.brief(row.issue, 60)}`,
          "?",
          Output.status("corrupt"),
          ""
        ])
      ]
    ))
  }).pipe(Common.withStore(args.store))).pipe(Command.withDescription("list trigger subscriptions"))

/** `lash triggers`. @since 0.1.0 */
export const triggers = Command.make("triggers").pipe(
  Command.withDescription("durable trigger subscriptions"),
  Command.withSubcommands([list])
)

/** `lash queue SESSION`. @since 0.1.0 */
export const queue = Command.make("queue", {
  store: Common.store,
  json: Common.json,
  sessionId: Args.text({ name: "session-id" })
}, (args) =>
  Effect.gen(function*() {
    const { batches, readAtMs, unreadable } = yield* (yield* Common.inspector).queue(args.sessionId as SessionId).pipe(
      Effect.catchTag("SessionNotFound", () => Effect.fail(CliError.notFound(`no session ${args.sessionId}`)))
    )
    const claimState = (claim: (typeof batches)[number]["claim"]) =>
      claim === null ? "unclaimed" : claim.expiresAtMs > readAtMs ? "claimed" : "expired"
    if (args.json) {
      return yield* Output.json({
        sessionId: args.sessionId,
        batches: batches.map((b) => ({ ...b, claimState: claimState(b.claim) })),
        unreadable
      })
    }
    if (batches.length === 0 && unreadable.length === 0) {
      return yield* Output.print(`no queued work for session ${args.sessionId}`)
    }
    const readableRows = batches.map(({ batch, claim }) => ({
      seq: batch.enqueueSeq,
      cells: [
        batch.enqueueSeq,
        batch.batchId,
        batch.items.length,
        batch.sourceKey ?? "",
        Output.time(batch.availableAtMs),
        Output.status(claimState(claim)),
        claim === null ? "" : Output.time(claim.expiresAtMs)
      ]
    }))
    // A batch row that does not decode is named in its place with its row key and reason: state `set aside` once a
    // claim met it (it is never claimed again), `corrupt` before.
    const unreadableRows = unreadable.map((row) => ({
      seq: row.enqueueSeq,
      cells: [
        row.enqueueSeq,
        row.batchId,
        "?",
        row.sourceKey ?? "",
        "?",
        Output.status(row.setAside ? "set aside" : "corrupt"),
        `${row.key}: ${Output.brief(row.issue, 60)}`
      ]
    }))
    yield* Output.print(Output.table(
      ["SEQ", "BATCH", "ITEMS", "SOURCE KEY", "AVAILABLE", "CLAIM", "CLAIM EXPIRES"],
      [...readableRows, ...unreadableRows].sort((a, b) => a.seq - b.seq).map((row) => row.cells)
    ))
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("a session's open queued batches and their claims")
  )
