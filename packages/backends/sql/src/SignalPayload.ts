/**
 * The payload of a cross-process change notification (Postgres `NOTIFY`): which store handle announced it and the
 * signals of one committed unit, as compact JSON (`{"h":handle,"s":[["e",processId,sequence],["t",processId],
 * ["q",sessionId],["r",processId]]}`). A payload over Postgres's limit is sent as `{"h":handle,"s":"poll"}`: "re-check
 * everything". Received payloads are decoded with `Schema`; one that does not decode is read as a poll.
 *
 * @since 0.1.0
 */
import { ProcessId, SessionId, type StorageSignal } from "@lash/core"
import { Either, Schema } from "effect"

/** Postgres refuses payloads of 8000 bytes or more; stay well below. @since 0.1.0 */
export const MAX_PAYLOAD_BYTES = 7_000

const Entry = Schema.Union(
  Schema.Tuple(Schema.Literal("e"), ProcessId, Schema.Number),
  Schema.Tuple(Schema.Literal("t"), ProcessId),
  Schema.Tuple(Schema.Literal("q"), SessionId),
  Schema.Tuple(Schema.Literal("r"), ProcessId)
)

/**
 * The wire form of a payload.
 *
 * @since 0.1.0
 */
export const Payload = Schema.parseJson(Schema.Struct({
  h: Schema.String,
  s: Schema.Union(Schema.Literal("poll"), Schema.Array(Entry))
}))

const entryOf = (signal: StorageSignal): typeof Entry.Type | undefined => {
  switch (signal.kind) {
    case "process_event":
      return ["e", signal.processId, signal.sequence]
    case "process_terminal":
      return ["t", signal.processId]
    case "queue_changed":
      return ["q", signal.sessionId]
    case "runnable":
      return ["r", signal.processId]
    case "poll":
      return undefined
  }
}

const encodePayload = Schema.encodeSync(Payload)

/**
 * The payload announcing `signals` from store handle `handle`.
 *
 * @since 0.1.0
 */
export const encode = (handle: string, signals: ReadonlyArray<StorageSignal>): string => {
  const entries = signals.flatMap((signal) => {
    const entry = entryOf(signal)
    return entry === undefined ? [] : [entry]
  })
  const text = encodePayload({ h: handle, s: entries.length === signals.length ? entries : "poll" })
  return Buffer.byteLength(text) < MAX_PAYLOAD_BYTES ? text : encodePayload({ h: handle, s: "poll" })
}

const decodePayload = Schema.decodeUnknownEither(Payload)

/**
 * The announcing handle and signals of a payload; a payload that does not decode reads as a poll from nobody.
 *
 * @since 0.1.0
 */
export const decode = (
  text: string
): { readonly handle: string | undefined; readonly signals: ReadonlyArray<StorageSignal> } => {
  const decoded = decodePayload(text)
  if (Either.isLeft(decoded)) return { handle: undefined, signals: [{ kind: "poll" }] }
  const { h, s } = decoded.right
  if (s === "poll") return { handle: h, signals: [{ kind: "poll" }] }
  return {
    handle: h,
    signals: s.map((entry): StorageSignal => {
      switch (entry[0]) {
        case "e":
          return { kind: "process_event", processId: entry[1], sequence: entry[2] }
        case "t":
          return { kind: "process_terminal", processId: entry[1] }
        case "q":
          return { kind: "queue_changed", sessionId: entry[1] }
        case "r":
          return { kind: "runnable", processId: entry[1] }
      }
    })
  }
}
