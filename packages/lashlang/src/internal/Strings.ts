/**
 * Strings as Lashlang sees them (docs/lashlang.md, "Values and types", strings): sequences of Unicode scalar values,
 * indexed by code point. Every string that enters a value is well formed (a lone surrogate becomes U+FFFD), so no
 * operation on two well-formed strings (concatenation, code-point slicing, splitting on a well-formed separator) can
 * produce a lone surrogate. Text search is linear in the length of both strings, whatever the needle.
 *
 * @internal
 */

interface WellFormedString {
  isWellFormed(): boolean
  toWellFormed(): string
}

/** The string with every lone surrogate replaced by U+FFFD (the one normalisation rule of the language). */
export const wellFormed = (s: string): string => {
  const w = s as unknown as WellFormedString
  return w.isWellFormed() ? s : w.toWellFormed()
}

const SURROGATE = /[\uD800-\uDFFF]/

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff

/**
 * Code-point arithmetic with a one-string cache: a loop that indexes or measures the same string pays for the scan
 * once. The cache belongs to one run, so the work it saves (and charges) is the same on every replay.
 */
export class CodePoints {
  private last: string | undefined = undefined
  private lastHasPairs = false

  /** `charge` is told the units scanned when a string is seen for the first time. */
  constructor(private readonly charge: (units: number) => void) {}

  /** Whether `s` holds surrogate pairs (then code-point and UTF-16 offsets differ). */
  hasPairs(s: string): boolean {
    if (s.length < 2) return false
    if (s === this.last) return this.lastHasPairs
    this.charge(s.length)
    this.last = s
    this.lastHasPairs = SURROGATE.test(s)
    return this.lastHasPairs
  }

  /** The number of code points. */
  count(s: string): number {
    if (!this.hasPairs(s)) return s.length
    let n = 0
    for (let i = 0; i < s.length; i++) if (!isHigh(s.charCodeAt(i))) n++
    return n
  }

  /** The UTF-16 offset of code point `cp` (0 ≤ cp ≤ count). */
  unitOffset(s: string, cp: number): number {
    if (!this.hasPairs(s)) return cp
    let i = 0
    for (let k = 0; k < cp && i < s.length; k++) i += isHigh(s.charCodeAt(i)) ? 2 : 1
    return i
  }

  /** The code-point index of UTF-16 offset `unit` (which starts a code point). */
  cpIndex(s: string, unit: number): number {
    if (!this.hasPairs(s)) return unit
    let n = 0
    for (let i = 0; i < unit; i++) if (!isHigh(s.charCodeAt(i))) n++
    return n
  }

  /** The code points of `s` from `start` to `end` (code-point indexes, 0 ≤ start ≤ end ≤ count). */
  slice(s: string, start: number, end: number): string {
    if (!this.hasPairs(s)) return s.slice(start, end)
    const from = this.unitOffset(s, start)
    let to = from
    for (let k = start; k < end && to < s.length; k++) to += isHigh(s.charCodeAt(to)) ? 2 : 1
    return s.slice(from, to)
  }
}

/** Needles up to this length use the engine's search (worst case 32 × the haystack); longer ones use KMP. */
const ENGINE_SEARCH_MAX = 32

/** A needle prepared for repeated linear-time search. */
export interface Searcher {
  /** The UTF-16 offset of the first match at or after `from`, or -1. */
  readonly find: (haystack: string, from: number) => number
}

/** Prepares `needle` (non-empty) for search: Knuth–Morris–Pratt when the engine's search could be quadratic. */
export const searcher = (needle: string): Searcher => {
  const m = needle.length
  if (m <= ENGINE_SEARCH_MAX) return { find: (h, from) => h.indexOf(needle, from) }
  const codes = new Uint16Array(m)
  for (let i = 0; i < m; i++) codes[i] = needle.charCodeAt(i)
  const border = new Int32Array(m)
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && codes[i] !== codes[k]) k = border[k - 1]!
    if (codes[i] === codes[k]) k++
    border[i] = k
  }
  return {
    find: (h, from) => {
      for (let i = from, k = 0; i < h.length; i++) {
        const c = h.charCodeAt(i)
        while (k > 0 && c !== codes[k]) k = border[k - 1]!
        if (c === codes[k]) k++
        if (k === m) return i - m + 1
      }
      return -1
    }
  }
}

/** `s` split on every occurrence of `separator` (non-empty), in linear time. */
export const splitLinear = (s: string, separator: string): Array<string> => {
  if (separator.length <= ENGINE_SEARCH_MAX) return s.split(separator)
  const search = searcher(separator)
  const out: Array<string> = []
  let from = 0
  for (let at = search.find(s, 0); at >= 0; at = search.find(s, from)) {
    out.push(s.slice(from, at))
    from = at + separator.length
  }
  out.push(s.slice(from))
  return out
}
