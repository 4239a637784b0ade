/**
 * The conformance fixture host of docs/lashlang.md, "The conformance corpus": tools echo/fail/read_file, clock.Alarm and ui.button.pressed trigger
 * sources; `start` runs the process synchronously.
 */
import { Effect, Either } from "effect"
import {
  type ExecOutcome,
  execute,
  HostCatalog,
  type HostEnvironment,
  HostFailure,
  type HostOperation,
  LashlangAbilities,
  link,
  type LinkedModule,
  NamedDataType,
  parse,
  TypeExpr,
  Value
} from "../src/index.js"

const tick = Either.getOrThrow(
  NamedDataType.object("clock.Tick", [TypeExpr.field("id", TypeExpr.str), TypeExpr.field("scheduled_at", TypeExpr.str)])
)
const pressed = Either.getOrThrow(
  NamedDataType.object("ui.button.Pressed", [
    TypeExpr.field("button", TypeExpr.str),
    TypeExpr.field("message", TypeExpr.str),
    TypeExpr.field("pressed_at", TypeExpr.str)
  ])
)

export const catalog = Either.getOrThrow(
  Either.flatMap(
    HostCatalog.addTools(HostCatalog.empty, ["echo", "fail", "read_file"]),
    (c) =>
      Either.flatMap(
        HostCatalog.addTriggerSource(
          c,
          ["clock", "Alarm"],
          TypeExpr.object([TypeExpr.field("at", TypeExpr.str)]),
          tick
        ),
        (c2) =>
          Either.flatMap(
            HostCatalog.addTriggerSource(c2, ["ui", "button", "pressed"], TypeExpr.object([]), pressed),
            (c3) =>
              HostCatalog.addModuleOperation(
                c3,
                ["triggers"],
                "Triggers",
                "register",
                "triggers.register",
                TypeExpr.any,
                TypeExpr.any
              )
          )
      )
  )
)

export const env = (abilities = LashlangAbilities.all): HostEnvironment => ({
  catalog,
  abilities: LashlangAbilities.plain(abilities),
  features: { labels: true },
  readOnlyBindings: {}
})

export interface Run {
  readonly outcome: ExecOutcome
  readonly ops: Array<HostOperation>
  readonly prints: Array<string>
  readonly linked: LinkedModule
}

/** Runs a foreground program against the fixture host. */
export const run = (
  source: string,
  options: { readonly globals?: ReadonlyMap<string, Value.Value>; readonly env?: HostEnvironment } = {}
) =>
  Effect.gen(function*() {
    const e = options.env ?? env()
    const program = yield* parse(source)
    const linked = yield* link(program, e, { globals: options.globals ?? new Map() })
    const ops: Array<HostOperation> = []
    const prints: Array<string> = []
    const runs = new Map<string, ExecOutcome>()
    let nextProc = 1
    const host = {
      perform: (op: HostOperation): Effect.Effect<Value.Value, HostFailure> =>
        Effect.gen(function*() {
          ops.push(op)
          switch (op._tag) {
            case "Call": {
              const arg = op.args[0] ?? null
              if (op.operation === "echo") return Value.isRecord(arg) ? (arg.get("value") ?? null) : null
              if (op.operation === "fail") return yield* Effect.fail(new HostFailure({ message: "boom" }))
              if (op.operation === "read_file") {
                const path = Value.isRecord(arg) ? arg.get("path") : null
                if (path === "a.txt") return "alpha\nbeta\ngamma"
                return yield* Effect.fail(new HostFailure({ message: `missing file: ${Value.toText(path ?? null)}` }))
              }
              return null
            }
            case "Print":
              prints.push(Value.toText(op.value))
              return null
            case "StartProcess": {
              const id = `proc-${nextProc++}`
              const outcome = yield* execute(linked, new Map(op.args.entries), { perform: host.perform }, {
                mode: "process",
                entry: op.processRef
              })
              runs.set(id, outcome)
              return Value.RecordValue.of([["__handle__", "process"], ["id", id]])
            }
            case "Await": {
              const id = op.handle.get("id")
              const outcome = typeof id === "string" ? runs.get(id) : undefined
              if (outcome === undefined) {
                return yield* Effect.fail(new HostFailure({ message: "unknown process handle" }))
              }
              if (outcome._tag === "Finished") return outcome.value
              if (outcome._tag === "Failed") {
                return yield* Effect.fail(
                  new HostFailure({ message: `process failed: ${Value.toText(outcome.value)}` })
                )
              }
              return yield* Effect.fail(new HostFailure({ message: "process errored" }))
            }
            case "TriggerRegister":
              return Value.RecordValue.of([["type", "trigger_handle"], ["id", "trigger:1"]])
            default:
              return null
          }
        })
    }
    const outcome = yield* execute(linked, options.globals ?? new Map(), host, { mode: "foreground" })
    return { outcome, ops, prints, linked } satisfies Run
  })

/** The submitted value as JSON text, or the outcome tag. */
export const submitted = (r: Run): string =>
  r.outcome._tag === "Submitted"
    ? Value.toJsonText(r.outcome.value)
    : r.outcome._tag === "Errored"
    ? `${r.outcome.error.kind}: ${r.outcome.error.message}`
    : r.outcome._tag

/** Lines of a program written with ` / ` separators. */
export const lines = (s: string) => s.split(" / ").join("\n")
