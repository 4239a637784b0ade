/**
 * Streaming fence masking (docs/models.md, "Streamed turns"): splits an RLM reply that arrives in pieces
 * into the prose a user may see and the code of its first ```lashlang block, without waiting for the whole reply.
 *
 * It follows `extractFirstLashlangFence` exactly: an opener is a run of three or more backticks, an info string
 * without backticks, and a newline, anywhere in the text; the first opener whose info is `lashlang` (trimmed)
 * starts the block, which ends at the first later backtick run at least as long. Text before the opener is prose;
 * the block's body is code; nothing after the block is shown, because the runtime ignores it. Only text that could
 * still turn out to be that opener (or, inside the block, its closer) is held back until the next piece decides it.
 *
 * @internal
 */

/** What one piece adds: prose to show and code of the block. */
export interface Masked {
  readonly prose: string
  readonly code: string
}

const couldBeLashlangInfo = (info: string): boolean => {
  const t = info.trimStart()
  return "lashlang".startsWith(t) || (t.startsWith("lashlang") && t.slice("lashlang".length).trim() === "")
}

const runLength = (text: string, from: number): number => {
  let end = from
  while (end < text.length && text.charCodeAt(end) === 96) end++
  return end - from
}

/** An incremental masker over one reply. */
export class FenceMask {
  private pending = ""
  private state: "prose" | "code" | "done" = "prose"
  private ticks = 0
  private prose = ""

  /** Feeds the next piece of the reply; returns what may be shown now. */
  push(piece: string): Masked {
    this.pending += piece
    return this.advance(false)
  }

  /** The reply is complete: releases what was held back (an opener never completed is prose). */
  flush(): Masked {
    return this.advance(true)
  }

  /** All prose shown so far (after `flush`, the prose of the whole reply). */
  get shownProse(): string {
    return this.prose
  }

  private advance(final: boolean): Masked {
    let prose = ""
    let code = ""
    while (this.pending.length > 0) {
      const text = this.pending
      if (this.state === "done") {
        this.pending = ""
        break
      }
      if (this.state === "code") {
        let i = text.indexOf("`")
        while (i >= 0) {
          const run = runLength(text, i)
          if (run >= this.ticks) break
          if (i + run === text.length && !final) break // might grow into a closer
          i = text.indexOf("`", i + run)
        }
        if (i < 0) {
          code += text
          this.pending = ""
          break
        }
        const run = runLength(text, i)
        code += text.slice(0, i)
        if (run >= this.ticks) {
          this.state = "done"
          this.pending = ""
        } else {
          this.pending = text.slice(i) // held: a short run at the end of what arrived
        }
        break
      }
      // prose
      const i = text.indexOf("`")
      if (i < 0) {
        prose += text
        this.pending = ""
        break
      }
      prose += text.slice(0, i)
      const run = runLength(text, i)
      if (i + run === text.length && !final) {
        this.pending = text.slice(i) // the run may grow
        break
      }
      if (run < 3) {
        prose += text.slice(i, i + run)
        this.pending = text.slice(i + run)
        continue
      }
      const afterRun = i + run
      const newline = text.indexOf("\n", afterRun)
      const lineEnd = newline < 0 ? text.length : newline
      const blocked = text.indexOf("`", afterRun)
      if (blocked >= 0 && blocked < lineEnd) {
        // A backtick before the newline: not an opener; scanning resumes at that backtick.
        prose += text.slice(i, blocked)
        this.pending = text.slice(blocked)
        continue
      }
      const info = text.slice(afterRun, lineEnd)
      if (newline < 0) {
        if (!final && couldBeLashlangInfo(info)) {
          this.pending = text.slice(i) // might still become the opener
          break
        }
        // Not the lashlang opener, whatever follows: prose up to what arrived.
        prose += text.slice(i)
        this.pending = ""
        break
      }
      if (info.trim() === "lashlang") {
        this.state = "code"
        this.ticks = run
        this.pending = text.slice(newline + 1)
        continue
      }
      prose += text.slice(i, newline + 1)
      this.pending = text.slice(newline + 1)
    }
    this.prose += prose
    return { prose, code }
  }
}

/** The prose of a whole reply, as a streamed turn showed it: the text before its first ```lashlang opener. */
export const proseOf = (text: string): string => {
  const mask = new FenceMask()
  mask.push(text)
  mask.flush()
  return mask.shownProse
}
