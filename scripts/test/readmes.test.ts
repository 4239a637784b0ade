/**
 * Every package has a README, and a README's example is code that compiles: the ```ts block is the package's
 * `README.ts` (type-checked by `pnpm check`, linted by `pnpm lint`) minus its first comment line.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { exampleBody, syncExample, tsBlocks } from "../lib/readmes.js"
import { publicPackages, root, workspacePackages } from "../lib/workspace.js"

/**
 * Public packages whose README example is not a checked README.ts yet, with the stream that owns the README. Remove
 * an entry when its README.ts lands.
 */
const pending: ReadonlyMap<string, string> = new Map([])

describe("READMEs", () => {
  for (const pkg of workspacePackages()) {
    it(`${pkg.manifest.name} has a README.md`, () => {
      expect(fs.existsSync(path.join(pkg.dir, "README.md"))).toBe(true)
    })
    const readmeTs = path.join(pkg.dir, "README.ts")
    if (fs.existsSync(readmeTs)) {
      it(`${pkg.manifest.name}: README.md shows README.ts verbatim`, () => {
        const blocks = tsBlocks(fs.readFileSync(path.join(pkg.dir, "README.md"), "utf8"))
        // when this fails: `pnpm sync-readmes` copies README.ts into README.md
        expect(blocks).toContain(exampleBody(fs.readFileSync(readmeTs, "utf8")))
      })
    }
  }

  for (const pkg of publicPackages()) {
    if (pending.has(pkg.manifest.name)) continue
    it(`${pkg.manifest.name} has a checked example (README.ts)`, () => {
      expect(fs.existsSync(path.join(pkg.dir, "README.ts"))).toBe(true)
    })
  }

  it("docs/observability.md shows its setup (packages/core/test/telemetry/setupExample.ts) verbatim", () => {
    const setup = fs.readFileSync(path.join(root, "packages", "core", "test", "telemetry", "setupExample.ts"), "utf8")
    expect(tsBlocks(fs.readFileSync(path.join(root, "docs", "observability.md"), "utf8"))).toContain(setup)
  })

  it("docs/plugins.md shows the one-file plugin (examples/third-party-plugin/src/index.ts) verbatim", () => {
    const plugin = fs.readFileSync(path.join(root, "examples", "third-party-plugin", "src", "index.ts"), "utf8")
    expect(tsBlocks(fs.readFileSync(path.join(root, "docs", "plugins.md"), "utf8"))).toContain(plugin)
  })

  it("finds the blocks it compares", () => {
    expect(tsBlocks("# x\n\n```ts\nconst a = 1\n```\n\n```sh\nls\n```\n```ts\nb\n```\n")).toEqual([
      "const a = 1\n",
      "b\n"
    ])
    expect(exampleBody("// comment\nconst a = 1\n")).toBe("const a = 1\n")
    expect(syncExample("# p\n```ts\nkeep\n```\n## Example\n\n```ts\nold\n```\nend\n", "new\n")).toBe(
      "# p\n```ts\nkeep\n```\n## Example\n\n```ts\nnew\n```\nend\n"
    )
    expect(syncExample("# p\n", "new\n")).toBeUndefined()
  })
})
