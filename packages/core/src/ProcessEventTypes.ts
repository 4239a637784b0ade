/**
 * Process event types: what an event type declares (its payload schema and terminal or wake semantics), the event
 * types every process and every Lashlang process has, and how lists of them merge. `Process.ts` re-exports this
 * module: it is where the process model is imported from.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Json, JsonSchemaDoc, opt } from "./Json.js"

/** Where a value is taken from in an event payload. @since 0.1.0 */
export const ValueSelector = Schema.Union(
  Schema.Struct({ type: Schema.Literal("payload") }),
  Schema.Struct({ type: Schema.Literal("pointer"), pointer: Schema.String }),
  Schema.Struct({ type: Schema.Literal("const"), value: Json })
)
/** @since 0.1.0 */
export type ValueSelector = typeof ValueSelector.Type

/** Terminal state of a process. @since 0.1.0 */
export const TerminalState = Schema.Literal("completed", "failed", "cancelled")
/** @since 0.1.0 */
export type TerminalState = typeof TerminalState.Type

/** A process event type and its semantics. @since 0.1.0 */
export const ProcessEventType = Schema.Struct({
  name: Schema.String,
  payloadSchema: JsonSchemaDoc,
  semantics: Schema.Struct({
    terminal: opt(Schema.Struct({ state: TerminalState, awaitOutput: ValueSelector })),
    wake: opt(
      Schema.Struct({
        input: ValueSelector,
        dedupeKey: Schema.Union(
          Schema.Struct({ type: Schema.Literal("event_identity") }),
          Schema.Struct({ type: Schema.Literal("selector"), selector: ValueSelector }),
          Schema.Struct({ type: Schema.Literal("const"), value: Schema.String })
        )
      })
    )
  })
})
/** @since 0.1.0 */
export interface ProcessEventType extends Schema.Schema.Type<typeof ProcessEventType> {}

const awaitOutputPointer = { type: "pointer", pointer: "/awaitOutput" } as const
const terminalPayloadSchema = {
  type: "object",
  properties: { awaitOutput: { type: "object" } },
  required: ["awaitOutput"]
} as const

/**
 * The event types every process has: `process.completed`, `process.failed`, `process.cancelled` (terminal) and
 * `process.cancel_requested`.
 *
 * @since 0.1.0
 */
export const coreEventTypes: ReadonlyArray<ProcessEventType> = [
  {
    name: "process.cancel_requested",
    payloadSchema: { type: "object", properties: { reason: { type: "string" } } },
    semantics: {}
  },
  {
    name: "process.cancelled",
    payloadSchema: terminalPayloadSchema,
    semantics: { terminal: { state: "cancelled", awaitOutput: awaitOutputPointer } }
  },
  {
    name: "process.completed",
    payloadSchema: terminalPayloadSchema,
    semantics: { terminal: { state: "completed", awaitOutput: awaitOutputPointer } }
  },
  {
    name: "process.failed",
    payloadSchema: terminalPayloadSchema,
    semantics: { terminal: { state: "failed", awaitOutput: awaitOutputPointer } }
  }
]

const valueTextSchema = {
  type: "object",
  properties: { value: {}, text: { type: "string" } },
  required: ["value", "text"]
} as const

/**
 * The event types a Lashlang process adds: `process.yield` (no semantics), `process.wake` (wakes its target with
 * the value's text), `process.sleep` (a durable sleep's deadline: `for` from the event's time, or `until` an instant)
 * and `process.signal` (one delivered signal, consumed by the process's `wait_signal`s in log order).
 *
 * @since 0.1.0
 */
export const lashlangEventTypes: ReadonlyArray<ProcessEventType> = [
  {
    name: "process.signal",
    payloadSchema: {
      type: "object",
      properties: { name: { type: "string" }, payload: {} },
      required: ["name", "payload"]
    },
    semantics: {}
  },
  {
    name: "process.sleep",
    payloadSchema: {
      type: "object",
      properties: { mode: { enum: ["for", "until"] }, millis: { type: "integer" }, untilMs: { type: "integer" } },
      required: ["mode"]
    },
    semantics: {}
  },
  {
    name: "process.wake",
    payloadSchema: valueTextSchema,
    semantics: { wake: { input: { type: "pointer", pointer: "/text" }, dedupeKey: { type: "event_identity" } } }
  },
  { name: "process.yield", payloadSchema: valueTextSchema, semantics: {} }
]
/** Merges event types by name (first wins) and sorts them by name. @since 0.1.0 */
export const mergeEventTypes = (
  ...lists: ReadonlyArray<ReadonlyArray<ProcessEventType>>
): ReadonlyArray<ProcessEventType> => {
  const byName = new Map<string, ProcessEventType>()
  for (const list of lists) for (const t of list) if (!byName.has(t.name)) byName.set(t.name, t)
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
