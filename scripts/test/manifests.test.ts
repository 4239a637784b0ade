/**
 * Every publishable package follows the conventions of docs/contributing.md ("Adding a package"); the checker itself
 * is shown to catch each kind of departure.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { conventionProblems, importedPackages, publishedExports } from "../lib/conventions.js"
import { publicPackages, root, type WorkspacePackage, workspacePackages } from "../lib/workspace.js"

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>

const context = {
  root,
  rootManifest: readJson(path.join(root, "package.json")),
  rootLicense: fs.readFileSync(path.join(root, "LICENSE"), "utf8"),
  buildReferences: (readJson(path.join(root, "tsconfig.build.json")).references as Array<{ path: string }>).map((r) =>
    path.resolve(root, r.path)
  ),
  workspaceDirs: new Map(workspacePackages().map((pkg) => [pkg.manifest.name, pkg.dir]))
}

describe("workspace packages", () => {
  it("are found as pnpm finds them", () => {
    const pnpm = JSON.parse(
      execFileSync("pnpm", ["ls", "-r", "--depth", "-1", "--json"], { cwd: root, encoding: "utf8" })
    ) as Array<{ name: string; path: string; private: boolean }>
    const fromPnpm = pnpm.filter((p) => p.path !== root).map((p) => `${p.name} ${p.private}`).sort()
    const ours = workspacePackages().map((p) => `${p.manifest.name} ${p.manifest.private === true}`).sort()
    expect(ours).toEqual(fromPnpm)
  })

  it("the public ones include every first-party library", () => {
    const names = publicPackages().map((p) => p.manifest.name)
    for (
      const name of ["@lash/core", "@lash/lashlang", "@lash/testing", "@lash/backend-memory", "@lash/backend-sqlite"]
    ) {
      expect(names).toContain(name)
    }
  })

  for (const pkg of publicPackages()) {
    it(`${pkg.manifest.name} follows the package conventions`, () => {
      expect(conventionProblems(pkg, context)).toEqual([])
    })
  }
})

describe("the conventions checker", () => {
  const core = publicPackages().find((p) => p.manifest.name === "@lash/core")!
  const mutate = (change: (m: Record<string, any>) => void): WorkspacePackage => {
    const manifest = structuredClone(core.manifest) as Record<string, any>
    change(manifest)
    return { ...core, manifest: manifest as WorkspacePackage["manifest"] }
  }

  it("rejects effect as a dependency, a peer without its dev copy, and a missing publishConfig.exports", () => {
    const problems = conventionProblems(
      mutate((m) => {
        m.dependencies = { effect: "^3.22.4" }
        delete m.devDependencies["@lash/lashlang"]
        delete m.publishConfig.exports
      }),
      context
    )
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining("effect must be a peer dependency"),
      expect.stringContaining("peer @lash/lashlang needs the same range in devDependencies"),
      expect.stringContaining("publishConfig.exports must be")
    ]))
  })

  it("rejects an export without its source condition and an undeclared import", () => {
    const problems = conventionProblems(
      mutate((m) => {
        m.exports["."] = { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" }
        delete m.peerDependencies["@lash/lashlang"]
      }),
      context
    )
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining(`exports["."] must start with "@lash/source"`),
      expect.stringContaining("src imports @lash/lashlang, which is neither a dependency nor a peer dependency")
    ]))
  })

  it("rejects vitest as a required peer and a package the root build does not reference", () => {
    const problems = conventionProblems(
      mutate((m) => {
        m.peerDependencies.vitest = "^3.2.4"
        m.devDependencies.vitest = "^3.2.4"
      }),
      { ...context, buildReferences: [] }
    )
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining("peer vitest must be optional"),
      expect.stringContaining(`add { "path": "packages/core/tsconfig.build.json" }`)
    ]))
  })

  it("reads imports from source text and strips the source condition for publishing", () => {
    expect(
      importedPackages(
        `import { a } from "effect/Schema"\nimport type { B } from "@lash/core"\nimport * as fs from "node:fs"\nimport x from "./x.js"\nconst m = await import("@effect/sql/SqlClient")`
      )
    ).toEqual(["effect", "@lash/core", "@effect/sql"])
    expect(
      publishedExports({
        "./package.json": "./package.json",
        ".": { "@lash/source": "./src/index.ts", types: "./dist/index.d.ts", import: "./dist/index.js" }
      })
    ).toEqual({ "./package.json": "./package.json", ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } })
  })
})
