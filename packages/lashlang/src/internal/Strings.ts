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

/** What is known of one string: whether it holds surrogate pairs, and where each code point starts. */
interface Known {
  readonly s: string
  readonly pairs: boolean
  /** `starts[k]` is the UTF-16 offset of code point `k`; the last entry is the length. Only for strings with pairs. */
  starts: Uint32Array | undefined
}

/** How many strings the code-point cache keeps. */
const KNOWN_STRINGS = 4

/**
 * Code-point arithmetic with a small cache: a loop that indexes or measures the same few strings pays for scanning
 * each once, and then every index, slice and length is constant time. Scans are charged as work. The cache belongs
 * to one run, so the work it saves (and charges) is the same on every replay.
 */
export class CodePoints {
  private readonly known: Array<Known> = []

  /** `charge` is told the units scanned. */
  constructor(private readonly charge: (units: number) => void) {}

  private info(s: string): Known {
    for (let i = 0; i < this.known.length; i++) {
      const k = this.known[i]!
      if (k.s === s) return k
    }
    this.charge(s.length)
    const k: Known = { s, pairs: SURROGATE.test(s), starts: undefined }
    if (this.known.length >= KNOWN_STRINGS) this.known.shift()
    this.known.push(k)
    return k
  }

  private starts(k: Known): Uint32Array {
    if (k.starts !== undefined) return k.starts
    const s = k.s
    this.charge(s.length)
    let n = 0
    for (let i = 0; i < s.length; i++) if (!isHigh(s.charCodeAt(i))) n++
    const starts = new Uint32Array(n + 1)
    let cp = 0
    for (let i = 0; i < s.length; i++) {
      if (i > 0 && isHigh(s.charCodeAt(i - 1))) continue
      starts[cp++] = i
    }
    starts[n] = s.length
    k.starts = starts
    return starts
  }

  /** Whether `s` holds surrogate pairs (then code-point and UTF-16 offsets differ). */
  hasPairs(s: string): boolean {
    return s.length >= 2 && this.info(s).pairs
  }

  /** The number of code points. */
  count(s: string): number {
    if (!this.hasPairs(s)) return s.length
    return this.starts(this.info(s)).length - 1
  }

  /** The UTF-16 offset of code point `cp` (0 ≤ cp ≤ count). */
  unitOffset(s: string, cp: number): number {
    if (!this.hasPairs(s)) return cp
    const starts = this.starts(this.info(s))
    return starts[Math.min(cp, starts.length - 1)]!
  }

  /** The code-point index of UTF-16 offset `unit` (which starts a code point). */
  cpIndex(s: string, unit: number): number {
    if (!this.hasPairs(s)) return unit
    const starts = this.starts(this.info(s))
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (starts[mid]! < unit) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The code points of `s` from `start` to `end` (code-point indexes, 0 ≤ start ≤ end ≤ count). */
  slice(s: string, start: number, end: number): string {
    if (!this.hasPairs(s)) return s.slice(start, end)
    return s.slice(this.unitOffset(s, start), this.unitOffset(s, end))
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
