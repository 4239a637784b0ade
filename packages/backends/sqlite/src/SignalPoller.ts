/**
 * Changes made by other connections to the file (another OS process, another handle): `PRAGMA data_version` changes
 * when another connection committed, and costs no table read. The poller reads it every 10 ms backing off to 200 ms
 * (back to 10 ms on a change) and emits `{ kind: "poll" }` when it changed, and at least once a second: the engine's
 * blocking waits have no timers of their own and rely on it to re-check what no signal announced.
 *
 * @since 0.1.0
 */
import type { StorageSignal } from "@lash/core"
import { Duration, Effect, Stream } from "effect"

const FASTEST_MS = 10
const SLOWEST_MS = 200
const AT_LEAST_EVERY_MS = 1000

/**
 * The `changes` stream of a SQLite driver, given how to read `data_version` (inside a read unit).
 *
 * @since 0.1.0
 */
export const changes = (dataVersion: Effect.Effect<number, unknown>): Stream.Stream<StorageSignal> =>
  Stream.unwrap(
    Effect.gen(function*() {
      let last = yield* Effect.orElseSucceed(dataVersion, () => 0)
      let delayMs = FASTEST_MS
      let sincePollMs = 0
      const tick = Effect.gen(function*() {
        while (true) {
          yield* Effect.sleep(Duration.millis(delayMs))
          sincePollMs += delayMs
          const current = yield* Effect.orElseSucceed(dataVersion, () => last)
          const changed = current !== last
          last = current
          delayMs = changed ? FASTEST_MS : Math.min(SLOWEST_MS, delayMs * 2)
          if (changed || sincePollMs >= AT_LEAST_EVERY_MS) {
            sincePollMs = 0
            return { kind: "poll" } as const
          }
        }
      })
      return Stream.repeatEffect(tick)
    })
  )
