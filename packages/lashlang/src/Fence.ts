/**
 * Extraction of the first ```lashlang block of a model reply (docs/lashlang.md, "The RLM turn protocol").
 *
 * @since 0.1.0
 */

/** The result of {@link extractFirstLashlangFence}. @since 0.1.0 */
export type FenceResult =
  | { readonly _tag: "NoFence" }
  | { readonly _tag: "Closed"; readonly code: string; readonly hadExtraFences: boolean }
  | { readonly _tag: "Unclosed" }

/**
 * Finds the first run of 3+ backticks whose info string is exactly `lashlang`; the body ends at the first backtick
 * run at least as long, anywhere. Only a closed block is executable.
 *
 * @since 0.1.0
 */
export const extractFirstLashlangFence = (text: string): FenceResult => {
  const opener = /(`{3,})([^\n`]*)\n/g
  let m: RegExpExecArray | null
  while ((m = opener.exec(text)) !== null) {
    if (m[2]!.trim() !== "lashlang") continue
    const ticks = m[1]!.length
    const bodyStart = m.index + m[0].length
    const closer = new RegExp("`{" + ticks + ",}", "g")
    closer.lastIndex = bodyStart
    const c = closer.exec(text)
    if (c === null) return { _tag: "Unclosed" }
    const code = text.slice(bodyStart, c.index).replace(/\n+$/, "")
    const rest = text.slice(c.index + c[0].length)
    return { _tag: "Closed", code, hadExtraFences: /`{3,}/.test(rest) }
  }
  return { _tag: "NoFence" }
}
