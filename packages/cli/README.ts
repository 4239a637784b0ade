// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import * as NodeContext from "@effect/platform-node/NodeContext"
import { ExitCode, run } from "@lash/cli"
import { Effect } from "effect"

// What `lash store check --store ./lash.db --json` does, run from a script of your own: the same output on
// standard output, and the exit code as a value (`run` takes argv as `process.argv` gives it).
const check = run(["node", "lash", "store", "check", "--store", "./lash.db", "--json"])

Effect.runPromise(Effect.provide(check, NodeContext.layer)).then((code) => {
  if (code === ExitCode.problemsFound) console.error("the store has problems; each is printed with its row key")
  process.exitCode = code
})
