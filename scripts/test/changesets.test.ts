/**
 * The versioning setup (.changeset/config.json and patches/README.md): in a scratch workspace shaped like lash's (a
 * package and a peer dependent, both 0.x, in one fixed group), a `minor` changeset releases both at 0.2.0, never
 * 1.0.0, and an explicit `major` still gives 1.0.0.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { root } from "../lib/workspace.js"

const scratch: Array<string> = []
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** Versions after `changeset version` with one changeset bumping `@lash/a` by `bump`. */
const versionsAfter = (bump: "minor" | "major"): Record<string, string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-changesets-"))
  scratch.push(dir)
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), content)
  }
  write("package.json", JSON.stringify({ name: "scratch", private: true }))
  write("pnpm-workspace.yaml", `packages:\n  - "packages/*"\n`)
  write(".changeset/config.json", fs.readFileSync(path.join(root, ".changeset", "config.json"), "utf8"))
  write("packages/a/package.json", JSON.stringify({ name: "@lash/a", version: "0.1.0" }))
  write(
    "packages/b/package.json",
    JSON.stringify({ name: "@lash/b", version: "0.1.0", peerDependencies: { "@lash/a": "workspace:^" } })
  )
  write(".changeset/change.md", `---\n"@lash/a": ${bump}\n---\n\nA change.\n`)
  execFileSync(path.join(root, "node_modules", ".bin", "changeset"), ["version"], { cwd: dir, stdio: "pipe" })
  const version = (name: string) =>
    (JSON.parse(fs.readFileSync(path.join(dir, "packages", name, "package.json"), "utf8")) as { version: string })
      .version
  return { a: version("a"), b: version("b") }
}

describe("changesets", () => {
  it("a minor change of a 0.x package releases the fixed group at the next minor, not 1.0.0", () => {
    expect(versionsAfter("minor")).toEqual({ a: "0.2.0", b: "0.2.0" })
  })

  it("an explicit major still releases 1.0.0", () => {
    expect(versionsAfter("major")).toEqual({ a: "1.0.0", b: "1.0.0" })
  })
})
