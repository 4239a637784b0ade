/**
 * What other processes changed, as the driver's `changes` stream: with `notify` on, one dedicated connection
 * `LISTEN`s on the schema's channel and republishes the decoded payloads (`SignalPayload`) of other handles; when that
 * connection fails or ends it is opened again with a jittered backoff (100 ms doubling to 10 s) and a `poll` is
 * published at every (re)start, since notifications sent meanwhile are lost. Whether or not notify is on, a backstop
 * `poll` goes out every `pollIntervalMs` (±20 %): the engine's blocking waits own no timers, and signals are hints.
 *
 * @since 0.1.0
 */
import { SignalPayload } from "@lash/backend-sql"
import type { StorageSignal } from "@lash/core"
import { Chunk, Duration, Effect, Random, Schedule, Stream } from "effect"
import { createHash } from "node:crypto"
import * as Pg from "pg"

/**
 * The `NOTIFY` channel of a schema: `lash_` and 16 hex characters of its hash (channel names are at most 63 bytes).
 *
 * @since 0.1.0
 */
export const channelOf = (schema: string): string =>
  `lash_${createHash("sha256").update(schema).digest("hex").slice(0, 16)}`

class ListenLost extends Error {}

/** One listening connection's notifications, ending in a failure when the connection does. */
const listenOnce = (
  config: Pg.ClientConfig,
  channel: string,
  ownHandle: string
): Stream.Stream<StorageSignal, ListenLost> =>
  Stream.asyncScoped<StorageSignal, ListenLost>((emit) =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = new Pg.Client(config)
          const lost = (cause: unknown) => void emit.fail(new ListenLost(String(cause)))
          client.on("error", lost)
          client.on("end", () => lost("the listening connection ended"))
          client.on("notification", (message) => {
            if (message.channel !== channel || message.payload === undefined) return
            const { handle, signals } = SignalPayload.decode(message.payload)
            if (handle !== ownHandle) void emit.chunk(Chunk.fromIterable(signals))
          })
          await client.connect()
          await client.query(`LISTEN ${channel}`)
          // Anything committed before the LISTEN took effect was not heard: re-check.
          void emit.single({ kind: "poll" })
          return client
        },
        catch: (cause) => new ListenLost(String(cause))
      }),
      (client) =>
        Effect.promise(() => {
          client.removeAllListeners("end")
          client.removeAllListeners("notification")
          return client.end().catch(() => undefined)
        }).pipe(Effect.timeoutOption(1_000))
    )
  )

/**
 * The `changes` stream of a handle.
 *
 * @since 0.1.0
 */
export const changes = (options: {
  readonly listen: { readonly config: Pg.ClientConfig; readonly channel: string; readonly handle: string } | undefined
  readonly pollIntervalMs: number
}): Stream.Stream<StorageSignal> => {
  const backstop = Stream.repeatEffect(
    Effect.flatMap(
      Random.nextRange(options.pollIntervalMs * 0.8, options.pollIntervalMs * 1.2),
      (ms) => Effect.as(Effect.sleep(Duration.millis(ms)), { kind: "poll" } as const)
    )
  )
  const listen = options.listen
  if (listen === undefined) return backstop
  const listening = listenOnce(listen.config, listen.channel, listen.handle).pipe(
    Stream.retry(
      Schedule.exponential(Duration.millis(100)).pipe(
        Schedule.union(Schedule.spaced(Duration.seconds(10))),
        Schedule.jittered
      )
    ),
    Stream.catchAll(() => Stream.empty)
  )
  return Stream.merge(listening, backstop)
}
