// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import {
  execute,
  HostCatalog,
  type HostEnvironment,
  HostFailure,
  type HostOperation,
  LashlangAbilities,
  link,
  NamedDataType,
  parse,
  TypeExpr,
  Value
} from "@lash/lashlang"
import { Effect, Either } from "effect"

// The host surface: `tools.read_file`, and a `clock.Alarm({ at })` trigger source whose events are `clock.Tick`.
const tick = NamedDataType.object("clock.Tick", [TypeExpr.field("id", TypeExpr.str)])
const catalog = Either.flatMap(tick, (event) =>
  HostCatalog.addTools(HostCatalog.empty, ["read_file"]).pipe(
    Either.flatMap(
      HostCatalog.addTriggerSource(["clock", "Alarm"], TypeExpr.object([TypeExpr.field("at", TypeExpr.str)]), event)
    )
  ))

// The one way out of a program: every operation it performs comes here. A HostFailure is what the program sees.
const perform = (op: HostOperation): Effect.Effect<Value.Value, HostFailure> => {
  switch (op._tag) {
    case "Call": {
      const args = op.args[0]
      const path = Value.isRecord(args) ? args.get("path") : undefined
      return path === "notes.txt"
        ? Effect.succeed("buy milk\ncall Ada")
        : Effect.fail(new HostFailure({ message: `no such file: ${Value.toText(path ?? null)}` }))
    }
    case "Print":
      return Effect.sync(() => {
        console.log(Value.toText(op.value))
        return null
      })
    default:
      return Effect.succeed(null)
  }
}

const source = `
text = await tools.read_file({ path: "notes.txt" })?
lines = split(text, "\\n")
print len(lines)
submit { first: lines[0], missing: await tools.read_file({ path: "nope.txt" }) }
`

const program = Effect.gen(function*() {
  const env: HostEnvironment = {
    catalog: yield* catalog,
    abilities: LashlangAbilities.plain(LashlangAbilities.none.withTriggers()),
    features: { labels: false },
    readOnlyBindings: {}
  }
  // Globals persist between blocks: pass the previous outcome's globals to the next link and execute.
  const globals = new Map<string, Value.Value>()
  const linked = yield* link(yield* parse(source), env, { globals }) // LashlangParseError | LashlangLinkError
  const outcome = yield* execute(linked, globals, { perform }, { mode: "foreground" })
  // Continued | Submitted | Finished | Failed | Errored(LashlangRuntimeError), always with the new globals
  if (outcome._tag === "Submitted") console.log(Value.toJsonText(outcome.value))
  // {"first":"buy milk","missing":{"error":"no such file: nope.txt","ok":false}}
})

Effect.runPromise(program)
