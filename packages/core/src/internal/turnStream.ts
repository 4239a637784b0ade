/**
 * A turn as a stream of events (docs/models.md, "Streamed turns"): the turn runs in a fiber of the stream's scope and
 * hands its events to the consumer through a bounded queue, with a barrier before the commit.
 *
 * @internal
 */
import { Deferred, Effect, Exit, Option, Queue, Stream } from "effect"
import type { TurnError } from "../LashCore.js"
import type { TurnEvent, TurnOutput } from "../Turn.js"
import type { TurnEvents } from "./protocol.js"

/** What the turn fiber hands the stream: an event, the pre-commit barrier, or the turn's end. */
type StreamItem =
  | { readonly _tag: "event"; readonly event: TurnEvent }
  | { readonly _tag: "barrier"; readonly reached: Deferred.Deferred<void> }
  | { readonly _tag: "end"; readonly exit: Exit.Exit<TurnOutput, TurnError> }

/** How many events the turn may run ahead of a slow consumer before it waits. */
const STREAM_BUFFER = 256

/**
 * A turn as a stream of events (docs/models.md, "Streamed turns"). The turn runs in a fiber of the stream's
 * scope and hands its events through a bounded queue, so a slow consumer slows the turn down; before committing it
 * waits until the consumer has read every event so far. A consumer that stops reading closes the scope, which
 * interrupts the turn: a turn interrupted before its commit commits nothing. The last event carries the committed
 * `TurnOutput`.
 */
export const streamTurn = (
  run: (events: TurnEvents) => Effect.Effect<TurnOutput, TurnError>
): Stream.Stream<TurnEvent, TurnError> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const queue = yield* Effect.acquireRelease(Queue.bounded<StreamItem>(STREAM_BUFFER), Queue.shutdown)
      const events: TurnEvents = {
        streaming: true,
        emit: (event) => Queue.offer(queue, { _tag: "event", event }),
        beforeCommit: Effect.flatMap(
          Deferred.make<void>(),
          (reached) => Effect.zipRight(Queue.offer(queue, { _tag: "barrier", reached }), Deferred.await(reached))
        )
      }
      yield* Effect.forkScoped(
        Effect.flatMap(Effect.exit(run(events)), (exit) => Queue.offer(queue, { _tag: "end", exit }))
      )
      return Stream.fromQueue(queue).pipe(
        Stream.takeUntil((item) => item._tag === "end"),
        // One item at a time: the barrier is passed only when the consumer asks for what comes after it.
        Stream.rechunk(1),
        Stream.mapEffect((item): Effect.Effect<Option.Option<TurnEvent>, TurnError> => {
          switch (item._tag) {
            case "event":
              return Effect.succeed(Option.some(item.event))
            case "barrier":
              return Effect.as(Deferred.succeed(item.reached, undefined), Option.none())
            case "end":
              return Exit.match(item.exit, {
                onFailure: (cause) => Effect.failCause(cause),
                onSuccess: (output) => Effect.succeed(Option.some<TurnEvent>({ type: "turn_committed", output }))
              })
          }
        }),
        Stream.filterMap((event) => event)
      )
    })
  )
