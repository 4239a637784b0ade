/**
 * A key-value store of the kind a backend author often has at hand (a document store, a cloud KV, Redis with
 * `WATCH`/`MULTI`): string keys, JSON values, prefix scans, and atomic multi-key commits guarded by optimistic
 * concurrency. Here it lives in this process; every commit is validated against what its transaction read, exactly as
 * a remote store with versioned keys would do it.
 *
 * @since 0.1.0
 */

/** What a transaction read: the version of each key it read, and each prefix it scanned with the version then. */
export interface ReadSet {
  readonly keys: ReadonlyMap<string, number>
  readonly prefixes: ReadonlyArray<{ readonly prefix: string; readonly version: number }>
}

/**
 * The store.
 *
 * @since 0.1.0
 */
export class KeyValueStore {
  private readonly values = new Map<string, string>()
  /** The commit that last wrote each key; a deleted key keeps its entry, so a scan sees the deletion. */
  private readonly writtenAt = new Map<string, number>()
  private commits = 0

  /** The number of commits so far (a scan records it). */
  get version(): number {
    return this.commits
  }

  /** A key's value (JSON text) and the commit that last wrote it (0: never written). */
  read(key: string): { readonly text: string | undefined; readonly version: number } {
    return { text: this.values.get(key), version: this.writtenAt.get(key) ?? 0 }
  }

  /** Every live key under `prefix`, in key order. */
  scan(prefix: string): Array<readonly [string, string]> {
    const found: Array<readonly [string, string]> = []
    for (const [key, text] of this.values) if (key.startsWith(prefix)) found.push([key, text])
    return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /** True when nothing the transaction read was written since it read it. */
  isCurrent(read: ReadSet): boolean {
    for (const [key, version] of read.keys) if ((this.writtenAt.get(key) ?? 0) !== version) return false
    for (const { prefix, version } of read.prefixes) {
      for (const [key, at] of this.writtenAt) if (at > version && key.startsWith(prefix)) return false
    }
    return true
  }

  /** Applies every write (`null` deletes) at once iff the read set is current; false means "retry". */
  commit(read: ReadSet, writes: ReadonlyMap<string, string | null>): boolean {
    if (!this.isCurrent(read)) return false
    if (writes.size === 0) return true
    const at = ++this.commits
    for (const [key, text] of writes) {
      if (text === null) this.values.delete(key)
      else this.values.set(key, text)
      this.writtenAt.set(key, at)
    }
    return true
  }
}
