/**
 * `lash sessions list` and `lash sessions show`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { type SessionId, type SessionListCursor, SessionStore } from "@lash/core"
import { Effect, Either, Option } from "effect"
import * as CliError from "../CliError.js"
import * as Output from "../Output.js"
import * as Transcript from "../Transcript.js"
import * as Common from "./Common.js"

/** A cursor on the command line: `<updatedAtMs>:<sessionId>` (what `next` prints). */
const formatCursor = (cursor: SessionListCursor) => `${cursor.updatedAtMs}:${cursor.sessionId}`

const parseCursor = (text: string) => {
  const at = text.indexOf(":")
  const updatedAtMs = Number(text.slice(0, at))
  return at > 0 && Number.isSafeInteger(updatedAtMs) && updatedAtMs >= 0
    ? Effect.succeed<SessionListCursor>({ updatedAtMs, sessionId: text.slice(at + 1) as SessionId })
    : Effect.fail(CliError.usage(`--after ${text}: expected the cursor a previous page printed (<time>:<session id>)`))
}

const list = Command.make("list", {
  store: Common.store,
  json: Common.json,
  limit: Options.integer("limit").pipe(Options.withDefault(20), Options.withDescription("sessions per page (1-1000)")),
  after: Options.text("after").pipe(
    Options.optional,
    Options.withDescription("continue after this cursor (printed under a full page)")
  )
}, (args) =>
  Effect.gen(function*() {
    const limit = yield* Common.positive("limit", args.limit, 1000)
    const after = Option.isSome(args.after) ? yield* parseCursor(args.after.value) : undefined
    const sessions = yield* SessionStore
    const page = yield* sessions.listSessions(after === undefined ? { limit } : { limit, after })
    const rows = yield* Effect.forEach(page.sessions, (summary) =>
      Effect.map(Effect.either(sessions.loadHead(summary.sessionId)), (head) => {
        const decoded = Either.isRight(head) ? Option.getOrUndefined(head.right) : undefined
        return {
          ...summary,
          turns: decoded?.checkpoint.turnIndex ?? null,
          model: decoded?.config.model.id ?? null,
          parentSessionId: decoded?.relation.type === "child" ? decoded.relation.parentSessionId : null,
          corrupt: Either.isLeft(head) ? Either.isLeft(head) && head.left._tag === "CorruptRecord" : false
        }
      }))
    const next = page.next === undefined ? null : formatCursor(page.next)
    if (args.json) {
      return yield* Output.json({ sessions: rows, next })
    }
    if (rows.length === 0) {
      return yield* Output.print(after === undefined ? "no sessions" : "no more sessions")
    }
    yield* Output.print(Output.table(
      ["SESSION", "REVISION", "TURNS", "NODES", "MODEL", "LAST ACTIVITY"],
      rows.map((row) => [
        row.sessionId,
        row.headRevision,
        row.turns ?? "?",
        row.nodeCount,
        row.corrupt ? Output.status("corrupt") : row.model ?? "?",
        Output.time(row.updatedAtMs)
      ])
    ))
    if (next !== null) {
      yield* Output.print(`\nmore: lash sessions list --after ${next}`)
    }
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("list sessions, newest activity first, one page at a time")
  )

const show = Command.make("show", {
  store: Common.store,
  json: Common.json,
  sessionId: Args.text({ name: "session-id" }),
  turn: Options.integer("turn").pipe(Options.optional, Options.withDescription("only this turn (from 1)"))
}, (args) =>
  Effect.gen(function*() {
    const loaded = yield* (yield* SessionStore).load(args.sessionId as SessionId)
    if (Option.isNone(loaded)) return yield* Effect.fail(CliError.notFound(`no session ${args.sessionId}`))
    const session = loaded.value
    const all = Transcript.turns(session)
    let shown = all
    if (Option.isSome(args.turn)) {
      const n = args.turn.value
      const only = all.find((t) => t.turn === n)
      if (only === undefined) {
        return yield* Effect.fail(
          CliError.notFound(`session ${args.sessionId} has ${all.length} turns; there is no turn ${n}`)
        )
      }
      shown = [only]
    }
    const header = {
      sessionId: session.sessionId,
      headRevision: session.headRevision,
      turns: session.checkpoint.turnIndex,
      nodes: session.graph.nodes.length,
      model: session.config.model.id,
      provider: session.config.providerId,
      relation: session.relation,
      usage: session.checkpoint.usage
    }
    if (args.json) return yield* Output.json({ ...header, transcript: shown })
    yield* Output.print(Output.fields([
      ["session", header.sessionId],
      ["revision", header.headRevision],
      ["turns", header.turns],
      ["model", `${header.model} (${header.provider})`],
      ["relation", header.relation.type === "child" ? `child of ${header.relation.parentSessionId}` : "root"],
      ["tokens", `${header.usage.input} in, ${header.usage.output} out`]
    ]))
    for (const turn of shown) {
      const first = turn.messages[0]
      yield* Output.print(
        `\n── turn ${turn.turn}${first === undefined ? "" : ` · ${Output.time(first.timestampMs)}`} ──`
      )
      for (const message of turn.messages) yield* Output.print(Transcript.render(message))
    }
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription("print a session's transcript (the active path), turn by turn")
  )

/** `lash sessions`. @since 0.1.0 */
export const sessions = Command.make("sessions").pipe(
  Command.withDescription("sessions and their transcripts"),
  Command.withSubcommands([list, show])
)
