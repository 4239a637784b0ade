/**
 * Decoding of configuration options (docs/configuration.md): Schemas for durations and bounded integers, and the
 * decode that turns the first bad option into a `LashConfigError` naming the option and its value. `LashCore.layer`
 * and the backend layers decode their options with it; a third-party backend can do the same.
 *
 * @since 0.1.0
 */
import { Duration, Either, Option, ParseResult, Schema } from "effect"
import { LashConfigError } from "./Errors.js"

/** The longest duration a timer can wait (`setTimeout`'s bound, about 24.8 days). @since 0.1.0 */
export const MAX_TIMER_MILLIS = 2_147_483_647

const DURATION_UNIT = /^(\d+(?:\.\d+)?) (nano|micro|milli|second|minute|hour|day|week)s?$/

/** The milliseconds of a `Duration.DurationInput`, or a reason it is not a usable one. */
const durationMillis = (input: unknown): Either.Either<number, string> => {
  const finiteNonNegative = (n: number) => Number.isFinite(n) && n >= 0
  if (typeof input === "number" && !finiteNonNegative(input)) return Either.left("not a finite, non-negative number")
  if (typeof input === "bigint" && input < 0n) return Either.left("negative")
  if (typeof input === "string" && !DURATION_UNIT.test(input)) {
    return Either.left("not a duration such as \"30 seconds\" or \"250 millis\"")
  }
  if (
    Array.isArray(input) &&
    !(input.length === 2 && typeof input[0] === "number" && typeof input[1] === "number" &&
      finiteNonNegative(input[0]) && finiteNonNegative(input[1]))
  ) return Either.left("not a [seconds, nanos] pair of finite, non-negative numbers")
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded)) return Either.left("not a duration")
  const ms = Duration.toMillis(decoded.value)
  return finiteNonNegative(ms) ? Either.right(ms) : Either.left("not a finite duration")
}

/**
 * A `Duration.DurationInput` decoded to milliseconds within `[min, MAX_TIMER_MILLIS]`: NaN, negative, infinite or
 * unparsable durations are refused rather than read as 0 (what `Duration.decode` does with NaN and negatives).
 *
 * @since 0.1.0
 */
export const DurationMillis = (min: number) =>
  Schema.transformOrFail(Schema.Unknown, Schema.Number, {
    strict: true,
    decode: (input, _, ast) =>
      Either.match(durationMillis(input), {
        onLeft: (why) => ParseResult.fail(new ParseResult.Type(ast, input, why)),
        onRight: (ms) =>
          ms < min
            ? ParseResult.fail(new ParseResult.Type(ast, input, `below the minimum of ${min} ms`))
            : ms > MAX_TIMER_MILLIS
            ? ParseResult.fail(new ParseResult.Type(ast, input, `above the maximum of ${MAX_TIMER_MILLIS} ms`))
            : ParseResult.succeed(ms)
      }),
    encode: (ms) => ParseResult.succeed(ms)
  }).annotations({ identifier: "Duration" })

/** An integer within `[min, max]` (NaN, fractions and infinities refused). @since 0.1.0 */
export const IntBetween = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  Schema.Number.pipe(
    Schema.filter((n) =>
      Number.isSafeInteger(n) && n >= min && n <= max ? undefined : `an integer from ${min} to ${max}`
    )
  )

const isObject = (u: unknown): u is Record<PropertyKey, unknown> => typeof u === "object" && u !== null

/** A value as a message shows it: `NaN`, `-5`, `"banana"`, `undefined`, `null`, `an object`, `a function`. @since 0.1.0 */
export const showValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value)
  if (value === undefined || value === null) return String(value)
  if (typeof value === "function") return "a function"
  if (Array.isArray(value)) return `an array of ${value.length}`
  try {
    const json = JSON.stringify(value)
    return json.length > 80 ? "an object" : json
  } catch {
    return "an object"
  }
}

const at = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((v, key) => (isObject(v) ? v[key as string] : undefined), root)

/** `prefix` and a decode path as one option name: `worker.maxConcurrent`, `tools[2]`, `sessionId`. */
const fieldName = (prefix: string, path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (name, k) => (typeof k === "number" ? `${name}[${k}]` : name === "" ? String(k) : `${name}.${String(k)}`),
    prefix
  )

/** The `LashConfigError` of a bad value at `field`, saying `why` ("must be ...", "is required"). @since 0.1.0 */
export const invalidOption = (field: string, value: unknown, why: string) =>
  new LashConfigError({
    reason: "invalid_option",
    field,
    value: showValue(value),
    detail: `${field} ${why}, got ${showValue(value)}`
  })

/**
 * The first issue of a failed decode, as a `LashConfigError` naming the option (`prefix` + its path) and value.
 *
 * @since 0.1.0
 */
export const configErrorOf = (prefix: string, input: unknown, error: ParseResult.ParseError): LashConfigError => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  const path = issue?.path ?? []
  const field = fieldName(prefix, path)
  const value = at(input, path)
  const why = issue === undefined
    ? "is invalid"
    : issue._tag === "Missing"
    ? "is required"
    : `is invalid (${issue.message.replace(/\s+/g, " ")})`
  return invalidOption(field === "" ? "config" : field, value, why)
}

/**
 * Decodes `input` with `schema` (unknown keys ignored); a failure is a `LashConfigError` naming the first bad option
 * under `prefix`.
 *
 * @since 0.1.0
 */
export const decodeOptions = <A, I>(
  schema: Schema.Schema<A, I>,
  prefix: string,
  input: unknown
): Either.Either<A, LashConfigError> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })(input),
    (error) => configErrorOf(prefix, input, error)
  )
