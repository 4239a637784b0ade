/**
 * A README's example is its package's `README.ts`: type-checked and linted like any source, shown in `README.md`
 * without its first line (the comment saying so).
 */

/** The README.ts text as it appears in README.md: without the first line. */
export const exampleBody = (readmeTs: string): string => readmeTs.split("\n").slice(1).join("\n")

/** The fenced ```ts blocks of a markdown text (their contents, each ending with a newline). */
export const tsBlocks = (markdown: string): Array<string> =>
  [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!)

/** `markdown` with the first ```ts block under "## Example" replaced by `body`; undefined when there is none. */
export const syncExample = (markdown: string, body: string): string | undefined => {
  const heading = markdown.search(/^## Example\s*$/m)
  if (heading < 0) return undefined
  const rest = markdown.slice(heading)
  const block = /^```ts\n[\s\S]*?^```$/m.exec(rest)
  if (block === null) return undefined
  return markdown.slice(0, heading) + rest.slice(0, block.index) + "```ts\n" + body + "```" +
    rest.slice(block.index + block[0].length)
}
