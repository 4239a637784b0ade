/**
 * Execution limits and the per-run budget that enforces them (docs/lashlang.md, "Limits"). Every evaluated node
 * costs one step; work proportional to the size of a value (copying, comparing, searching, encoding) costs one step
 * per {@link WORK_PER_STEP} units on top, so the step budget bounds the CPU time of a block. The wall-clock deadline
 * is read from Effect's `Clock` every few thousand steps and excludes the time spent inside the host's `perform`.
 *
 * @internal
 */
import { type Clock, Either, ParseResult, Schema } from "effect"
import { limitExceeded } from "./Fault.js"

/** Execution limits (docs/lashlang.md, "Limits"). @since 0.1.0 */
export interface ExecLimits {
  /** Evaluated nodes plus charged work per block (processes: per run). */
  readonly maxSteps: number
  /** UTF-16 code units of one string. */
  readonly maxStringLength: number
  /** Items of one list. */
  readonly maxListLength: number
  /** Entries of one record. */
  readonly maxRecordEntries: number
  /** Nesting depth of one value. */
  readonly maxValueDepth: number
  /** Size of one value, counted once per reference (docs/lashlang.md, "Limits", value sizes). */
  readonly maxValueSize: number
  /** Total size of all variables (globals) at any point of a block. */
  readonly maxGlobalsSize: number
  /** Host operations other than `print` and `submit`/`finish`/`fail`. */
  readonly maxHostOperations: number
  /** `start`s per block. */
  readonly maxProcessStarts: number
  /** `print`s per block. */
  readonly maxPrints: number
  /** Printed characters per block, the first print included. */
  readonly maxPrintedChars: number
  /** Concurrent calls of one aggregate `await`. */
  readonly aggregateConcurrency: number
  /** Call leaves of one aggregate `await`. */
  readonly maxAggregateLeaves: number
  /** Milliseconds a block (processes: a run) may sleep in total. */
  readonly maxSleepMillis: number
  /** Milliseconds of interpreter time (time inside `perform` excluded) per block (processes: per run). */
  readonly maxBlockMillis: number
}

/** Default limits of a foreground block; a process run gets ten times the steps and time, and no sleep cap. @since 0.1.0 */
export const defaultExecLimits: ExecLimits = {
  maxSteps: 1_000_000,
  maxStringLength: 10_000_000,
  maxListLength: 1_000_000,
  maxRecordEntries: 100_000,
  maxValueDepth: 128,
  maxValueSize: 16_000_000,
  maxGlobalsSize: 32_000_000,
  maxHostOperations: 1_000,
  maxProcessStarts: 100,
  maxPrints: 1_000,
  maxPrintedChars: 1_000_000,
  aggregateConcurrency: 16,
  maxAggregateLeaves: 256,
  maxSleepMillis: 300_000,
  maxBlockMillis: 10_000
}

const processDefaults: Partial<ExecLimits> = {
  maxSteps: defaultExecLimits.maxSteps * 10,
  maxBlockMillis: defaultExecLimits.maxBlockMillis * 10,
  maxSleepMillis: Number.POSITIVE_INFINITY
}

const Limit = Schema.Int.pipe(Schema.positive())
/** A limit that may also be `Infinity` (a deliberate "no cap"). */
const Unbounded = Schema.Union(Limit, Schema.Literal(Number.POSITIVE_INFINITY))

/**
 * The Schema of execution-limit options (`Partial<ExecLimits>`): every limit a positive integer, the sleep and time
 * limits also `Infinity`. Hosts decode their configuration with it; `execute` applies it to its options.
 *
 * @since 0.1.0
 */
export const ExecLimitsOptions = Schema.Struct({
  maxSteps: Schema.optional(Limit),
  maxStringLength: Schema.optional(Limit),
  maxListLength: Schema.optional(Limit),
  maxRecordEntries: Schema.optional(Limit),
  maxValueDepth: Schema.optional(Limit),
  maxValueSize: Schema.optional(Limit),
  maxGlobalsSize: Schema.optional(Limit),
  maxHostOperations: Schema.optional(Limit),
  maxProcessStarts: Schema.optional(Limit),
  maxPrints: Schema.optional(Limit),
  maxPrintedChars: Schema.optional(Limit),
  aggregateConcurrency: Schema.optional(Limit),
  maxAggregateLeaves: Schema.optional(Limit),
  maxSleepMillis: Schema.optional(Unbounded),
  maxBlockMillis: Schema.optional(Unbounded)
})

/**
 * The limits of one run: the defaults of its mode overridden by `options`. A value that is not a positive integer
 * (NaN, negative, fractional, a string) is refused with the name of the limit, so a bad configuration can never lift
 * a bound.
 */
export const resolveLimits = (
  mode: "foreground" | "process",
  options: Partial<Record<keyof ExecLimits, unknown>>
): ExecLimits | { readonly invalid: string } => {
  const decoded = Schema.decodeUnknownEither(ExecLimitsOptions)(options)
  if (Either.isLeft(decoded)) {
    const key = String(ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]?.path[0] ?? "?")
    const value = (options as Record<string, unknown>)[key]
    return { invalid: `execution limit \`${key}\` must be a positive integer, got ${String(value)}` }
  }
  const given = Object.fromEntries(Object.entries(decoded.right).filter(([, v]) => v !== undefined))
  return { ...defaultExecLimits, ...(mode === "process" ? processDefaults : {}), ...given }
}

/**
 * Units of work that cost one step. A unit is about what copying one list item or writing one character costs (a
 * few nanoseconds); costlier work counts several units: a record entry built or copied {@link RECORD_ENTRY_WORK},
 * a part visited by `==` or `contains` {@link COMPARE_WORK}. So a step budget of 1,000,000 bounds a block to about a
 * second of work, whatever the builtins it calls.
 */
export const WORK_PER_STEP = 100
/** Units of work of one record entry built or copied (a hash-map insert). */
export const RECORD_ENTRY_WORK = 4
/** Units of work of one part visited by a structural comparison (a recursive call and a type dispatch). */
export const COMPARE_WORK = 8
/** How many steps pass between two reads of the clock. */
const CLOCK_EVERY = 8192

/** The counters of one run. Private: only the methods below change them. */
export class Budget {
  private spent = 0
  /** Units of work charged but not yet a whole step. */
  private work = 0
  private nextCheck: number
  private hostOps = 0
  private starts = 0
  private slept = 0
  private hostMillis = 0
  private readonly startedAt: number

  constructor(
    readonly limits: ExecLimits,
    private readonly clock: Clock.Clock
  ) {
    this.startedAt = clock.unsafeCurrentTimeMillis()
    this.nextCheck = Math.min(limits.maxSteps + 1, CLOCK_EVERY)
  }

  /** One evaluated node. */
  step(): void {
    if (++this.spent >= this.nextCheck) this.checkpoint()
  }

  /** `n` evaluated nodes at once (a straight subtree charged by its root). */
  steps(n: number): void {
    this.spent += n
    if (this.spent >= this.nextCheck) this.checkpoint()
  }

  /** Work proportional to `units` (characters, items, entries visited or produced); small charges add up. */
  charge(units: number): void {
    this.work += units
    if (this.work < WORK_PER_STEP) return
    const steps = Math.floor(this.work / WORK_PER_STEP)
    this.work -= steps * WORK_PER_STEP
    this.spent += steps
    if (this.spent >= this.nextCheck) this.checkpoint()
  }

  private checkpoint(): void {
    if (this.spent > this.limits.maxSteps) limitExceeded(`step budget exhausted (${this.limits.maxSteps} steps)`)
    const elapsed = this.clock.unsafeCurrentTimeMillis() - this.startedAt - this.hostMillis
    if (elapsed > this.limits.maxBlockMillis) {
      limitExceeded(`execution timed out (limit ${this.limits.maxBlockMillis} ms of interpreter time)`)
    }
    this.nextCheck = Math.min(this.limits.maxSteps + 1, this.spent + CLOCK_EVERY)
  }

  /** Counts a host operation against the per-block limits (`print` and terminations are free). */
  hostOperation(tag: string): void {
    if (tag === "Print" || tag === "Terminate") return
    if (tag === "StartProcess" && ++this.starts > this.limits.maxProcessStarts) {
      limitExceeded(`too many process starts in one block (limit ${this.limits.maxProcessStarts})`)
    }
    if (++this.hostOps > this.limits.maxHostOperations) {
      limitExceeded(`too many host operations in one block (limit ${this.limits.maxHostOperations})`)
    }
  }

  /** Time spent inside the host's `perform`, which the deadline does not count. */
  hostTime(millis: number): void {
    this.hostMillis += Math.max(0, millis)
  }

  /** Reserves `millis` of sleep against the total per block. */
  sleep(millis: number): void {
    if (this.slept + millis > this.limits.maxSleepMillis) {
      limitExceeded(`too much sleep in one block (limit ${this.limits.maxSleepMillis} ms in total)`)
    }
    this.slept += millis
  }

  /** The current time of the run's clock (for `sleep until`). */
  now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }
}

/** The per-block print allowance: a count and a number of characters, then one truncation marker. */
export class PrintBudget {
  private prints = 0
  private printed = 0
  private stopped = false

  constructor(private readonly limits: ExecLimits) {}

  /** Characters the next print may show, or `undefined` when printing has stopped (the marker was shown). */
  allowance(): number | undefined {
    if (this.stopped) return undefined
    if (this.prints >= this.limits.maxPrints || this.printed >= this.limits.maxPrintedChars) return 0
    return this.limits.maxPrintedChars - this.printed
  }

  /** Records a print of `chars` characters. */
  record(chars: number): void {
    this.prints++
    this.printed += chars
  }

  /** Records that the truncation marker was shown: nothing else is printed in this block. */
  stop(): void {
    this.stopped = true
  }
}
