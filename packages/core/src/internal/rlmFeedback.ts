/**
 * What the model of an RLM turn reads besides its own transcript (docs/lashlang.md, "The RLM turn protocol"): the
 * feedback after a block (prints cut with their `history[N].output[M]` handles, the error, all within the output
 * allowance), each iteration's final instruction with its budget lines, and the read-only `history` binding.
 *
 * @internal
 */
import { Canonical, Value } from "@lash/lashlang"
import type { JsonSchemaDoc } from "../Json.js"

/** Keeps the head and the tail of `text` within `max` characters, saying how much was left out. */
export const boundOutput = (text: string, max: number): string => {
  if (text.length <= max) return text
  const marker = (omitted: number) => `\n[… ${omitted} characters of output omitted …]\n`
  const room = max - marker(text.length).length
  const head = Math.ceil(room * 0.6)
  const tail = room - head
  return text.slice(0, head) + marker(text.length - head - tail) + text.slice(text.length - tail)
}

/**
 * The final user message of an iteration (docs/lashlang.md, "The RLM turn protocol"): where the turn stands, how to
 * finish, the result schema when the turn has one, and the budget lines (iterations left, the output cut, the context
 * the last request used).
 */
export const instruction = (p: {
  readonly iteration: number
  readonly maxIterations: number
  readonly proseAllowed: boolean
  readonly resultSchema: JsonSchemaDoc | undefined
  readonly maxOutputChars: number
  readonly contextWindowTokens: number
  readonly lastPromptTokens: number | undefined
}): string => {
  const lines = [
    `Iteration ${
      p.iteration + 1
    } of ${p.maxIterations}. Answer with one \`\`\`lashlang block; finish with \`submit <value>\`${
      p.proseAllowed ? " or answer in prose" : ""
    }.`
  ]
  if (p.resultSchema !== undefined) {
    lines.push(`The submitted value must match this JSON Schema: ${Canonical.canonicalJsonUnsafe(p.resultSchema)}`)
  }
  const left = p.maxIterations - p.iteration - 1
  lines.push(
    `Budget: ${left} more iteration${
      left === 1 ? "" : "s"
    } after this one; each block's output is cut to ${p.maxOutputChars} characters; context window ${p.contextWindowTokens} tokens${
      p.lastPromptTokens === undefined ? "" : `, the last request used ${p.lastPromptTokens}`
    }.`
  )
  return lines.join("\n")
}

/** What the system prompt says about `history`. */
export const HISTORY_NOTE =
  "`history` (read-only) holds the finished steps of this turn: `history[N]` is step N (from 0) as `{ code, output, error }`, `output` the list of its prints; a print shown cut is whole there."

/** A print longer than this reaches the model as its head and tail, with the `history` handle of the whole text. */
export const HISTORY_FIELD_CHARS = 10_000

/** Cuts one print to its head and tail, naming where the whole text is. */
const cutField = (text: string, handle: string): string => {
  if (text.length <= HISTORY_FIELD_CHARS) return text
  const marker = (omitted: number) => `\n[… ${omitted} characters omitted; the whole text is ${handle} …]\n`
  const room = HISTORY_FIELD_CHARS - marker(text.length).length
  const head = Math.ceil(room * 0.6)
  const tail = room - head
  return text.slice(0, head) + marker(text.length - head - tail) + text.slice(text.length - tail)
}

/**
 * What the model reads after the block of `iteration`: its prints (each long one cut, with its
 * `history[N].output[M]` handle) and error, within `rlm.maxOutputChars`.
 */
export const feedback = (
  r: { readonly prints: ReadonlyArray<string>; readonly error?: string | undefined },
  maxOutputChars: number,
  iteration: number
): string => {
  const lines: Array<string> = []
  if (r.prints.length > 0) {
    lines.push("Output:", ...r.prints.map((p, m) => cutField(p, `history[${iteration}].output[${m}]`)))
  }
  if (r.error !== undefined) lines.push("Error:", r.error)
  if (lines.length === 0) lines.push("The block ran without output.")
  return boundOutput(lines.join("\n"), maxOutputChars)
}

/** One entry of the `history` binding: an iteration's code (null without a block), prints and error. */
export const historyEntry = (
  code: string | null,
  prints: ReadonlyArray<string>,
  error: string | undefined
): Value.Value => Value.fromJson({ code, output: [...prints], error: error ?? null })

/** The globals a block runs with: the persisted ones plus the read-only `history`, which is never persisted. */
export const withHistory = (globals: ReadonlyMap<string, Value.Value>, history: ReadonlyArray<Value.Value>) =>
  new Map([...globals, ["history", [...history] as Value.Value]])

export const withoutHistory = (globals: ReadonlyMap<string, Value.Value>) => {
  const out = new Map(globals)
  out.delete("history")
  return out
}
