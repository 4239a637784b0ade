/**
 * `lash processes list | show | events | cancel`. `cancel` is the CLI's only write besides `store migrate`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import {
  type ProcessEvent,
  type ProcessFilter,
  type ProcessId,
  type ProcessRecord,
  ProcessRegistry,
  type SessionId
} from "@lash/core"
import { Effect, Option } from "effect"
import * as CliError from "../CliError.js"
import * as Output from "../Output.js"
import * as Common from "./Common.js"

const sessionOf = (record: ProcessRecord): string | undefined =>
  record.provenance.originator.type === "session" ? record.provenance.originator.scope.sessionId : undefined

const resultOf = (record: ProcessRecord): string => {
  if (record.status.state === "running") return ""
  const output = record.status.awaitOutput
  switch (output.type) {
    case "success":
      return Output.brief(output.value)
    case "failure":
      return `${output.code}: ${output.message}`
    case "cancelled":
      return output.message
  }
}

const notFound = (id: string) => () => Effect.fail(CliError.notFound(`no process ${id}`))

const list = Command.make("list", {
  store: Common.store,
  json: Common.json,
  status: Options.choice("status", ["running", "terminal", "completed", "failed", "cancelled"]).pipe(
    Options.optional,
    Options.withDescription("only processes in this state (terminal = completed, failed or cancelled)")
  ),
  session: Options.text("session").pipe(
    Options.optional,
    Options.withDescription("only those started by this session")
  ),
  kind: Options.text("kind").pipe(Options.optional, Options.withDescription("only this kind (identity.kind)"))
}, (args) =>
  Effect.gen(function*() {
    const status = Option.getOrUndefined(args.status)
    const filter: ProcessFilter = {
      ...(status === undefined ? {} : { status: status === "running" ? "running" as const : "terminal" as const }),
      ...(Option.isSome(args.session) ? { originatorSessionId: args.session.value as SessionId } : {}),
      ...(Option.isSome(args.kind) ? { kind: args.kind.value } : {})
    }
    const listed = yield* (yield* ProcessRegistry).listing(filter)
    const records = listed.processes.filter((record) =>
      status === undefined || status === "running" || status === "terminal" || record.status.state === status
    )
    // A row that does not decode is named, with its reason: quarantined (failed, set aside by a worker) or unreadable
    // (not leased since it broke). Under --status completed/cancelled it cannot match; under failed only quarantined.
    const unreadable = listed.unreadable.filter((row) =>
      status === undefined || status === "terminal" || (status === "running" ? !row.quarantined : status === "failed")
    )
    if (args.json) return yield* Output.json({ processes: records, unreadable })
    if (records.length === 0 && unreadable.length === 0) return yield* Output.print("no processes")
    yield* Output.print(Output.table(
      ["PROCESS", "KIND", "LABEL", "STATUS", "SESSION", "UPDATED", "RESULT"],
      [
        ...records.map((record) => [
          record.id,
          record.identity.kind,
          record.identity.label ?? "",
          Output.status(record.status.state),
          sessionOf(record) ?? "(host)",
          Output.time(record.updatedAtMs),
          Output.brief(resultOf(record), 40)
        ]),
        ...unreadable.map((row) => [
          row.processId,
          "?",
          "",
          Output.status(row.quarantined ? "quarantined" : "corrupt"),
          "?",
          "",
          Output.brief(`${row.key}: ${row.issue}`, 60)
        ])
      ]
    ))
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("list processes (filter by --status, --session, --kind)")
  )

const show = Command.make("show", {
  store: Common.store,
  json: Common.json,
  processId: Args.text({ name: "process-id" })
}, (args) =>
  Effect.gen(function*() {
    const inspection = yield* (yield* Common.inspector).process(args.processId as ProcessId).pipe(
      Effect.catchTag("ProcessNotFound", notFound(args.processId))
    )
    if (args.json) return yield* Output.json(inspection)
    const { lease, record } = inspection
    const live = lease.ownerId !== null && lease.expiresAtMs > inspection.readAtMs
    yield* Output.print(Output.fields([
      ["process", record.id],
      ["kind", record.identity.kind],
      ["label", record.identity.label ?? ""],
      ["status", Output.status(record.status.state)],
      ["result", resultOf(record)],
      ["input", record.input.type],
      ["started by", sessionOf(record) === undefined ? "host" : `session ${sessionOf(record)}`],
      ["caused by", record.provenance.causedBy === undefined ? "" : Output.brief(record.provenance.causedBy, 100)],
      ["wakes", record.wakeTarget === undefined ? "" : `session ${record.wakeTarget.sessionId}`],
      ["env", record.envRef ?? ""],
      ["created", Output.time(record.createdAtMs)],
      ["updated", Output.time(record.updatedAtMs)],
      ["events", inspection.lastEventSequence],
      ["lease owner", lease.ownerId ?? "(none)"],
      ["fencing token", lease.fencingToken],
      [
        "lease expires",
        lease.ownerId === null
          ? ""
          : {
            text: `${Output.time(lease.expiresAtMs)} (${live ? "live" : "expired"})`,
            color: live ? "cyan" : "yellow"
          }
      ]
    ]))
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("a process: registration, status, result, lease owner, fencing token and expiry")
  )

const eventRow = (event: ProcessEvent) => [
  event.sequence,
  event.eventType,
  Output.time(event.occurredAtMs),
  Output.brief(event.payload, 80)
]

const events = Command.make("events", {
  store: Common.store,
  json: Common.json,
  processId: Args.text({ name: "process-id" }),
  after: Options.integer("after").pipe(
    Options.withDefault(0),
    Options.withDescription("only events after this sequence")
  ),
  follow: Options.boolean("follow").pipe(
    Options.withAlias("f"),
    Options.withDescription("keep printing new events until the process is terminal (JSON: one event per line)")
  )
}, (args) =>
  Effect.gen(function*() {
    const registry = yield* ProcessRegistry
    const id = args.processId as ProcessId
    const read = (after: number) =>
      registry.eventsAfter(id, after).pipe(Effect.catchTag("ProcessNotFound", notFound(args.processId)))
    const first = yield* read(args.after)
    if (!args.follow) {
      if (args.json) return yield* Output.json({ events: first })
      return yield* Output.print(
        first.length === 0 ? "no events" : Output.table(["SEQ", "TYPE", "AT", "PAYLOAD"], first.map(eventRow))
      )
    }
    const emit = (batch: ReadonlyArray<ProcessEvent>) =>
      Effect.forEach(batch, (event) =>
        args.json
          ? Output.print(JSON.stringify(event))
          : Output.print(eventRow(event).map(String).join("  ")), { discard: true })
    yield* emit(first)
    let last = first[first.length - 1]?.sequence ?? args.after
    for (;;) {
      const terminal = (yield* registry.get(id)).status.state !== "running"
      const more = yield* read(last)
      yield* emit(more)
      last = more[more.length - 1]?.sequence ?? last
      if (terminal && more.length === 0) return
      if (more.length === 0) yield* Effect.sleep("250 millis")
    }
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("a process's event log (--follow to watch it)")
  )

const cancel = Command.make("cancel", {
  store: Common.store,
  json: Common.json,
  processId: Args.text({ name: "process-id" }),
  yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("confirm the write")),
  reason: Options.text("reason").pipe(Options.optional, Options.withDescription("recorded with the request"))
}, (args) =>
  Effect.gen(function*() {
    if (!args.yes) {
      return yield* Effect.fail(
        CliError.usage(`lash processes cancel changes the store: add --yes to cancel ${args.processId}`)
      )
    }
    const registry = yield* ProcessRegistry
    const id = args.processId as ProcessId
    const record = yield* registry.get(id).pipe(Effect.catchTag("ProcessNotFound", notFound(args.processId)))
    const reason = Option.getOrElse(args.reason, () => "cancelled with lash processes cancel")
    let action: "already_terminal" | "cancel_requested" | "cancelled"
    if (record.status.state !== "running") action = "already_terminal"
    else if (record.input.type === "external") {
      // No worker runs an external process: the host's terminal write is the cancellation.
      yield* registry.completeAsHost(id, { type: "cancelled", message: reason })
      action = "cancelled"
    } else {
      yield* registry.appendEvent(id, { eventType: "process.cancel_requested", payload: { reason } })
      action = "cancel_requested"
    }
    if (args.json) return yield* Output.json({ processId: id, action, state: record.status.state })
    yield* Output.print(
      action === "already_terminal"
        ? `process ${id} is already ${record.status.state}; nothing to cancel`
        : action === "cancelled"
        ? `process ${id} (external) is cancelled`
        : `cancel requested for ${id}: the worker running it stops it and records it cancelled`
    )
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("cancel a running process (needs --yes)")
  )

/** `lash processes`. @since 0.1.0 */
export const processes = Command.make("processes").pipe(
  Command.withDescription("background processes, their leases and event logs"),
  Command.withSubcommands([list, show, events, cancel])
)
