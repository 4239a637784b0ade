/**
 * The tarball checks of the consumer check and the release (scripts/lib/tarball.ts), on synthetic packages: each
 * problem the check exists for is reported, and a well-formed package has none.
 */
import { describe, expect, it } from "vitest"
import { entryPoints, inspectPacked, moduleSpecifiers, packagesReachedFrom, type Packed } from "../lib/tarball.js"

const text = (s: string) => Buffer.from(s)

const good = (): Packed => {
  const manifest = {
    name: "@lash/example",
    version: "1.0.0",
    exports: {
      "./package.json": "./package.json",
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js", default: "./dist/index.js" },
      "./suite": { types: "./dist/suite.d.ts", import: "./dist/suite.js", default: "./dist/suite.js" }
    },
    peerDependencies: { "@lash/core": "^1.0.0", effect: "^3.22.4" }
  }
  return {
    name: manifest.name,
    tarball: "example.tgz",
    manifest,
    files: new Map([
      ["package.json", text(JSON.stringify(manifest))],
      ["README.md", text("# example")],
      ["LICENSE", text("MIT")],
      ["dist/index.js", text(`export * from "./a.js"\nimport { Effect } from "effect"\n`)],
      ["dist/a.js", text(`export { x } from "@lash/core"\nconst lazy = () => import("./b.js")\n`)],
      ["dist/b.js", text(`import "node:fs"\n`)],
      ["dist/index.d.ts", text("export {}")],
      ["dist/suite.js", text(`import { describe } from "@effect/vitest"\nimport "./index.js"\n`)],
      ["dist/suite.d.ts", text("export {}")]
    ])
  }
}

const withChanges = (change: (manifest: any, files: Map<string, Uint8Array>) => void): Packed => {
  const packed = good()
  const manifest = structuredClone(packed.manifest)
  const files = new Map(packed.files)
  change(manifest, files)
  return { ...packed, manifest, files }
}

describe("inspectPacked", () => {
  it("finds nothing wrong with a well-formed package", () => {
    expect(inspectPacked(good())).toEqual([])
  })

  it("reports a workspace: specifier in any dependency field", () => {
    expect(inspectPacked(withChanges((m) => (m.peerDependencies["@lash/core"] = "workspace:^")))).toEqual([
      `@lash/example: peerDependencies["@lash/core"] is "workspace:^", a specifier only the workspace understands`
    ])
    expect(inspectPacked(withChanges((m) => (m.dependencies = { x: "file:../x" })))).toHaveLength(1)
  })

  it("reports an exports target that is not in the tarball, and a missing condition", () => {
    expect(inspectPacked(withChanges((_, files) => files.delete("dist/index.js")))).toEqual([
      `@lash/example: exports["."]["import"] points at ./dist/index.js, which is not in the tarball`,
      `@lash/example: exports["."]["default"] points at ./dist/index.js, which is not in the tarball`
    ])
    expect(inspectPacked(withChanges((m) => delete m.exports["."].types))).toEqual([
      `@lash/example: exports["."] has no "types" condition`
    ])
  })

  it("reports the workspace-only source condition, tests, build info and a missing LICENSE", () => {
    const problems = inspectPacked(withChanges((m, files) => {
      m.exports["."] = { "@lash/source": "./src/index.ts", ...m.exports["."] }
      files.set("src/index.ts", text(""))
      files.set("test/index.test.ts", text(""))
      files.set("dist/.tsbuildinfo", text(""))
      files.delete("LICENSE")
    }))
    expect(problems).toEqual([
      expect.stringContaining(`exports["."]["@lash/source"] is the workspace-only "@lash/source" condition`),
      "@lash/example: LICENSE is missing from the tarball",
      "@lash/example: the tarball ships a test file, test/index.test.ts",
      "@lash/example: the tarball ships build info, dist/.tsbuildinfo"
    ])
  })
})

describe("module graphs", () => {
  it("reads static, re-export, side-effect and dynamic specifiers", () => {
    expect(
      moduleSpecifiers(
        `import a from "a"\nimport { b } from 'b'\nexport * from "./c.js"\nexport { d } from "d"\nimport "e"\nconst f = await import("f")\nconst s = "import x from 'not-code'"`
      )
    ).toEqual(["a", "b", "./c.js", "d", "e", "f"])
  })

  it("follows a package's own modules to the packages they reach", () => {
    expect([...packagesReachedFrom(good().files, "./dist/index.js")].sort()).toEqual([
      "@lash/core",
      "effect",
      "node:fs"
    ])
  })

  it("splits entry points by whether they reach a test runner", () => {
    expect(entryPoints(good())).toEqual({ plain: ["@lash/example"], suites: ["@lash/example/suite"] })
  })
})
