/**
 * What a commit needs from the stored head besides its counters: the relation (kept by every commit) and the leaf (kept
 * when the commit does not move it). Reading them means decoding the whole head, frames and plugin snapshot included,
 * which measured as large as encoding the new head (docs/performance.md, B1). So the engine remembers, per session,
 * the head text it wrote last with those two fields: a stored head whose text is byte-identical to that text is the
 * head this engine encoded and validated, and its fields are taken from memory; any other text (another process
 * committed, a row was tampered with, the entry was evicted) or another record version is decoded as before, so a
 * corrupt head still fails the commit with `CorruptRecord`.
 *
 * Nothing is ever returned to a caller from here: ports that return a head decode it fresh.
 *
 * @since 0.1.0
 */
import { setBounded } from "../internal/boundedMap.js"
import type { SessionHead } from "../Session.js"

/** The fields of a stored head a commit carries forward. @since 0.1.0 */
export type CommitBase = Pick<SessionHead, "relation" | "leafNodeId">

/** Sessions remembered per engine (most recently committed first out of the window). */
const CAPACITY = 256

/**
 * The remembered heads of one engine.
 *
 * @since 0.1.0
 */
export interface CommitBases {
  /** The remembered fields when the stored head is exactly the text and record version last written for the session. */
  readonly lookup: (sessionId: string, headJson: string, recordVersion: number) => CommitBase | undefined
  /** Remembers the head just written for the session (replacing any older entry). */
  readonly remember: (sessionId: string, headJson: string, recordVersion: number, base: CommitBase) => void
}

/**
 * A bounded map of remembered heads.
 *
 * @since 0.1.0
 */
export const make = (capacity: number = CAPACITY): CommitBases => {
  const entries = new Map<
    string,
    { readonly headJson: string; readonly recordVersion: number; readonly base: CommitBase }
  >()
  return {
    lookup: (sessionId, headJson, recordVersion) => {
      const entry = entries.get(sessionId)
      return entry !== undefined && entry.recordVersion === recordVersion && entry.headJson === headJson
        ? entry.base
        : undefined
    },
    remember: (sessionId, headJson, recordVersion, base) => {
      // Re-inserted keys move to the end, so the first key is the least recently written.
      setBounded(entries, capacity, sessionId, { headJson, recordVersion, base })
    }
  }
}
