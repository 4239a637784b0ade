/**
 * Runs a quickstart program in this process with `env` as its settings (a ConfigProvider: what it reads through
 * Effect Config) and what it prints captured (stdout writes and console.log).
 */
import { ConfigProvider, Effect } from "effect"
import { vi } from "vitest"

/** How `program` ended and everything it printed. */
export const runCaptured = <A, E>(program: Effect.Effect<A, E>, env: Record<string, string>) =>
  Effect.gen(function*() {
    let printed = ""
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed += String(chunk)
      return true
    })
    const log = vi.spyOn(console, "log").mockImplementation((...args) => {
      printed += `${args.join(" ")}\n`
    })
    const exit = yield* Effect.exit(program).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.ensuring(Effect.sync(() => {
        write.mockRestore()
        log.mockRestore()
      }))
    )
    return { exit, printed }
  })
