/**
 * `lash store check | stats | migrate`.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { type IntegrityProgress, StorageInfo } from "@lash/core"
import { Effect, Either } from "effect"
import * as CliError from "../CliError.js"
import { inspectStore } from "../OpenStore.js"
import * as Output from "../Output.js"
import * as StoreLocation from "../StoreLocation.js"
import * as Common from "./Common.js"

/** Stores with at least this many records show a progress bar on a terminal. */
const PROGRESS_FROM = 200

const progressBar = (force: boolean) => {
  const show = (total: number) => force || (process.stderr.isTTY === true && total >= PROGRESS_FROM)
  let lastDrawn = -1
  return (progress: IntegrityProgress) =>
    Effect.sync(() => {
      if (!show(progress.total)) return
      const width = 30
      const filled = progress.total === 0 ? width : Math.round((progress.done / progress.total) * width)
      if (filled === lastDrawn && progress.done !== progress.total) return
      lastDrawn = filled
      process.stderr.write(
        `\rchecking [${"#".repeat(filled)}${".".repeat(width - filled)}] ${progress.done}/${progress.total}` +
          (progress.done === progress.total ? "\n" : "")
      )
    })
}

const check = Command.make("check", {
  store: Common.store,
  json: Common.json,
  progress: Options.boolean("progress").pipe(
    Options.withDescription("always draw the progress bar (default: on a terminal, for 200 records or more)")
  )
}, (args) =>
  Effect.gen(function*() {
    const report = yield* (yield* Common.inspector).check({ onProgress: progressBar(args.progress) })
    if (args.json) yield* Output.json({ ok: report.problems.length === 0, ...report })
    else {
      const c = report.checked
      if (report.problems.length > 0) {
        yield* Output.print(Output.table(["ROW", "PROBLEM"], report.problems.map((p) => [p.key, p.problem])))
        yield* Output.print("")
      }
      yield* Output.print(
        `checked ${c.sessions} sessions (${c.graphNodes} nodes, ${c.queuedBatches} open batches), ` +
          `${c.processes} processes (${c.processEvents} events), ${c.triggerSubscriptions} trigger subscriptions: ` +
          (report.problems.length === 0 ? "no problems" : `${report.problems.length} problems`)
      )
    }
    if (report.problems.length > 0) {
      return yield* Effect.fail(
        new CliError.CliError({
          message: `${report.problems.length} problems found`,
          exitCode: CliError.ExitCode.problemsFound
        })
      )
    }
  }).pipe(Common.withStore(args.store))).pipe(
    Command.withDescription(
      "check that every row decodes, every reference resolves and every head matches its graph (exit 1 on problems)"
    )
  )

const stats = Command.make("stats", { store: Common.store, json: Common.json }, (args) =>
  Effect.gen(function*() {
    const counts = yield* (yield* Common.inspector).stats
    const info = yield* StorageInfo
    const durability = yield* info.durabilityReport
    const result = { backend: info.name, tier: info.tier, durability, counts }
    if (args.json) return yield* Output.json(result)
    yield* Output.print(Output.fields([
      ["backend", `${info.name} (${info.tier}; ${durability.mechanism}, survives ${durability.crashSafety})`],
      ["sessions", counts.sessions],
      ["graph nodes", counts.graphNodes],
      ["open queued batches", counts.openQueuedBatches],
      ["processes running", counts.processesRunning],
      ["processes terminal", counts.processesTerminal],
      ["process events", counts.processEvents],
      ["trigger subscriptions", counts.triggerSubscriptions],
      ["unstarted deliveries", counts.unstartedDeliveries]
    ]))
  }).pipe(Common.withStore(args.store))).pipe(Command.withDescription("row counts and the backend's durability"))

const migrate = Command.make("migrate", { store: Common.store, json: Common.json }, (args) =>
  Effect.gen(function*() {
    const location = yield* Either.match(StoreLocation.parse(args.store), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const { latest, schema: before } = yield* inspectStore(location, "migrate")
    // Opening the backend applies every pending migration in one write unit.
    yield* Effect.asVoid(StorageInfo).pipe(Common.withStore(args.store, "migrate"))
    const result = { store: before.name, created: !before.exists, from: before.migration, to: latest }
    if (args.json) return yield* Output.json(result)
    yield* Output.print(
      result.created
        ? `created ${result.store} at schema migration ${result.to}`
        : result.from === result.to
        ? `${result.store} is at schema migration ${result.to}; nothing to do`
        : `migrated ${result.store} from schema migration ${result.from} to ${result.to}`
    )
  })).pipe(Command.withDescription("create the store or bring its schema up to date (the only command that does)"))

/** `lash store`. @since 0.1.0 */
export const store = Command.make("store").pipe(
  Command.withDescription("the store as a whole: integrity check, counts, migrations"),
  Command.withSubcommands([check, stats, migrate])
)
