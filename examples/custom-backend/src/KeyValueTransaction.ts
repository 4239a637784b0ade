/**
 * One transaction over the key-value store: reads are repeatable (a key read twice answers the same) and see the
 * transaction's own writes, writes are buffered until commit, and everything read is recorded for the store's
 * optimistic check. Keys are `/`-separated paths whose parts are URI-encoded, so an id containing `/` cannot reach
 * into another prefix; numbers are zero-padded, so they sort as numbers.
 *
 * @since 0.1.0
 */
import type { KeyValueStore, ReadSet } from "./KeyValueStore.js"

/**
 * The key of a path.
 *
 * @since 0.1.0
 */
export const key = (...parts: ReadonlyArray<string | number>): string =>
  parts.map((part) => (typeof part === "number" ? String(part).padStart(16, "0") : encodeURIComponent(part))).join("/")

/**
 * The prefix of every key below a path.
 *
 * @since 0.1.0
 */
export const below = (...parts: ReadonlyArray<string | number>): string => `${key(...parts)}/`

// Values go through JSON, so every row handed out is a fresh object.
const parse = <A>(text: string | undefined): A | undefined => (text === undefined ? undefined : JSON.parse(text) as A)

const byKey = ([a]: readonly [string, string], [b]: readonly [string, string]) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * A transaction.
 *
 * @since 0.1.0
 */
export class KeyValueTransaction implements ReadSet {
  readonly keys = new Map<string, number>()
  readonly prefixes: Array<{ readonly prefix: string; readonly version: number }> = []
  readonly writes = new Map<string, string | null>()
  private readonly seen = new Map<string, string | undefined>()

  constructor(readonly store: KeyValueStore) {}

  /** The value of a key, as this transaction sees it. */
  get<A>(path: string): A | undefined {
    if (this.writes.has(path)) return parse<A>(this.writes.get(path) ?? undefined)
    if (!this.seen.has(path)) {
      const { text, version } = this.store.read(path)
      this.keys.set(path, version)
      this.seen.set(path, text)
    }
    return parse<A>(this.seen.get(path))
  }

  /** Every value below a prefix, in key order, as this transaction sees them. */
  scan<A>(prefix: string): Array<A> {
    this.prefixes.push({ prefix, version: this.store.version })
    const merged = new Map(this.store.scan(prefix))
    for (const [path, text] of this.writes) {
      if (!path.startsWith(prefix)) continue
      if (text === null) merged.delete(path)
      else merged.set(path, text)
    }
    return [...merged.entries()].sort(byKey).map(([, text]) => parse<A>(text)!)
  }

  put(path: string, value: unknown): void {
    this.writes.set(path, JSON.stringify(value))
  }

  delete(path: string): void {
    this.writes.set(path, null)
  }
}
