/**
 * How a tool's provider calls end (toolCatalog.ts): whatever a provider does (throw, die, be interrupted,
 * `Effect.fail`, time out, return something that is not an Effect) is settled into a `failure` result the model sees
 * in one line, and the full cause is logged at error level (docs/models.md, "Tool failures").
 *
 * @internal
 */
import { Cause, Effect, Either, Exit, Option } from "effect"
import { type ToolResult, ToolResults } from "../Tool.js"

const MESSAGE_LIMIT = 500

/** One line of text for the model: the first line of a message, bounded. */
export const oneLine = (text: string): string => {
  const first = text.split("\n").find((line) => line.trim().length > 0)?.trim() ?? ""
  return first.length > MESSAGE_LIMIT ? `${first.slice(0, MESSAGE_LIMIT)}…` : first
}

const messageOf = (value: unknown): string => {
  if (value instanceof Error) return oneLine(value.message.length > 0 ? value.message : value.name)
  if (typeof value === "object" && value !== null && "message" in value && typeof value.message === "string") {
    return oneLine(value.message)
  }
  if (typeof value === "string") return oneLine(value)
  try {
    return oneLine(JSON.stringify(value) ?? String(value))
  } catch {
    return oneLine(String(value))
  }
}

export const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : value === undefined
    ? "undefined"
    : value instanceof Promise
    ? "a Promise"
    : Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? `an object (${value.constructor?.name ?? "no prototype"})`
    : `a ${typeof value}`

/**
 * Settles whatever a provider's `execute` or `prepare` ended with: its value on the right; failures, defects and
 * interruptions as a `failure` result on the left, logged with their full cause. `what` names the step.
 */
export const settle = <A>(name: string, what: string, effect: Effect.Effect<A, unknown>) =>
  Effect.flatMap(Effect.exit(effect), (exit): Effect.Effect<Either.Either<A, ToolResult>> => {
    if (Exit.isSuccess(exit)) return Effect.succeed(Either.right(exit.value))
    const cause = exit.cause
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure) && Cause.isTimeoutException(failure.value)) {
      return Effect.succeed(Either.left(ToolResults.failure("tool_timeout", `tool ${name} ${failure.value.message}`)))
    }
    const [code, message] = Option.isSome(failure)
      ? ["tool_error", `tool ${name} failed: ${messageOf(failure.value)}`]
      : Cause.isInterruptedOnly(cause)
      ? ["tool_defect", `tool ${name} was interrupted`]
      : [
        "tool_defect",
        `tool ${name} crashed: ${messageOf(Option.getOrElse(Cause.dieOption(cause), () => Cause.pretty(cause)))}`
      ]
    return Effect.as(
      Effect.logError(`tool ${name}: ${what} ended as ${code}`, cause).pipe(Effect.annotateLogs({ tool: name })),
      Either.left(ToolResults.failure(code, message))
    )
  })

/** Calls a provider method that should return an Effect; a throw or a non-Effect is caught. */
export const invoke = <A>(
  name: string,
  method: string,
  thunk: () => Effect.Effect<A, unknown>
): Effect.Effect<A, unknown> =>
  Effect.suspend(() => {
    const out = thunk() as unknown
    if (Effect.isEffect(out)) return out as Effect.Effect<A, unknown>
    return Effect.fail(new Error(`${method} returned ${kindOf(out)} instead of an Effect`))
  }).pipe(Effect.annotateLogs({ tool: name }))
