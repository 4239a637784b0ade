/**
 * The conventions every publishable workspace package follows (docs/contributing.md, "Adding a package"), as checks
 * that name what to change. `scripts/test/manifests.test.ts` runs them over every non-private package, so a new
 * package is held to them the moment it exists.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { SOURCE_CONDITION } from "./tarball.js"
import type { WorkspacePackage } from "./workspace.js"

type Json = Record<string, unknown>

const record = (value: unknown): Json =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? value as Json : {}

/** The packages whose copies must be shared with the host: always peers, never dependencies. */
export const isSharedPackage = (name: string): boolean =>
  name === "effect" || name.startsWith("@effect/") || name.startsWith("@lash/")

/** The test runners: allowed only as optional peers (a suite entry point may import them). */
const isTestRunner = (name: string): boolean => name === "vitest" || name === "@effect/vitest"

const listSources = (dir: string): Array<string> =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? listSources(path.join(dir, entry.name))
        : entry.name.endsWith(".ts")
        ? [path.join(dir, entry.name)]
        : []
    )
    : []

/** The packages a source file imports (bare specifiers, reduced to the package name; `node:` builtins skipped). */
export const importedPackages = (source: string): Array<string> => {
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((match) => match[1]!)
  return specifiers
    .filter((spec) => !spec.startsWith(".") && !spec.startsWith("node:"))
    .map((spec) => spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!)
}

/** The `exports` map a package publishes: its `exports` with the source condition removed. */
export const publishedExports = (exportsField: unknown): Json =>
  Object.fromEntries(
    Object.entries(record(exportsField)).map(([subpath, value]) => [
      subpath,
      typeof value === "string"
        ? value
        : Object.fromEntries(Object.entries(record(value)).filter(([condition]) => condition !== SOURCE_CONDITION))
    ])
  )

/**
 * Every way `pkg` departs from the conventions, each naming the fix. `root` is the repository root; `rootManifest` gives the repository URL;
 * `rootLicense` the LICENSE text every package carries; `buildReferences` the paths the root tsconfig.build.json
 * references; `workspaceNames` maps each workspace package name to its folder.
 */
export const conventionProblems = (
  pkg: WorkspacePackage,
  context: {
    readonly root: string
    readonly rootManifest: Json
    readonly rootLicense: string
    readonly buildReferences: ReadonlyArray<string>
    readonly workspaceDirs: ReadonlyMap<string, string>
  }
): Array<string> => {
  const problems: Array<string> = []
  const m = pkg.manifest as Json
  const where = `${pkg.relativeDir}/package.json`
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${where}: ${message}`)
  }

  // identity and metadata
  expect(typeof m.name === "string" && m.name.startsWith("@lash/"), `"name" must be @lash/<name>`)
  expect(typeof m.description === "string" && m.description.length > 0, `"description" is empty`)
  expect(Array.isArray(m.keywords) && m.keywords.length > 0, `"keywords" is empty`)
  expect(m.license === "MIT", `"license" must be "MIT"`)
  const repository = record(m.repository)
  expect(
    repository.type === "git" && repository.url === record(context.rootManifest.repository).url &&
      repository.directory === pkg.relativeDir,
    `"repository" must be { "type": "git", "url": <the root package.json's>, "directory": "${pkg.relativeDir}" }`
  )
  expect(m.type === "module", `"type" must be "module"`)
  expect(
    m.sideEffects === false || Array.isArray(m.sideEffects),
    `"sideEffects" must be false (or the list of files with side effects)`
  )
  expect(
    record(m.engines).node === ">=20.10",
    `"engines" must be { "node": ">=20.10" } (import attributes, used for JSON imports, need 20.10)`
  )

  // exports: sources in the workspace, dist when published
  const exportsField = record(m.exports)
  expect(exportsField["./package.json"] === "./package.json", `exports must include "./package.json": "./package.json"`)
  const subpaths = Object.keys(exportsField).filter((subpath) => subpath !== "./package.json")
  expect(subpaths.includes("."), `exports must have a "." entry`)
  for (const subpath of subpaths) {
    const entry = record(exportsField[subpath])
    const source = entry[SOURCE_CONDITION]
    const file = typeof source === "string" ? /^\.\/src\/(.+)\.ts$/.exec(source)?.[1] : undefined
    if (file === undefined) {
      problems.push(`${where}: exports["${subpath}"] must start with "${SOURCE_CONDITION}": "./src/<file>.ts"`)
      continue
    }
    const wanted = {
      [SOURCE_CONDITION]: `./src/${file}.ts`,
      types: `./dist/${file}.d.ts`,
      import: `./dist/${file}.js`,
      default: `./dist/${file}.js`
    }
    expect(
      JSON.stringify(entry) === JSON.stringify(wanted),
      `exports["${subpath}"] must be exactly ${JSON.stringify(wanted)} (in this order)`
    )
    expect(
      fs.existsSync(path.join(pkg.dir, "src", `${file}.ts`)),
      `exports["${subpath}"]: src/${file}.ts does not exist`
    )
  }
  const publishConfig = record(m.publishConfig)
  expect(publishConfig.access === "public", `publishConfig.access must be "public"`)
  expect(
    JSON.stringify(publishConfig.exports) === JSON.stringify(publishedExports(m.exports)),
    `publishConfig.exports must be "exports" without the "${SOURCE_CONDITION}" conditions: ${
      JSON.stringify(publishedExports(m.exports))
    }`
  )
  expect(
    JSON.stringify(m.files) === JSON.stringify(["dist", "!dist/.tsbuildinfo", "src", "README.md", "LICENSE"]),
    `"files" must be ["dist", "!dist/.tsbuildinfo", "src", "README.md", "LICENSE"]`
  )
  expect(record(m.scripts).build === "tsc -b tsconfig.build.json", `scripts.build must be "tsc -b tsconfig.build.json"`)

  // dependencies: shared packages are peers with a dev copy; test runners only optional peers
  const dependencies = record(m.dependencies)
  const peers = record(m.peerDependencies)
  const devDependencies = record(m.devDependencies)
  const peerMeta = record(m.peerDependenciesMeta)
  for (const name of Object.keys(dependencies)) {
    expect(!isSharedPackage(name), `${name} must be a peer dependency (with a dev copy), not a dependency`)
    expect(!isTestRunner(name), `${name} must be an optional peer dependency, not a dependency`)
  }
  for (const [name, range] of Object.entries(peers)) {
    expect(devDependencies[name] === range, `peer ${name} needs the same range in devDependencies (the dev copy)`)
    if (isTestRunner(name)) {
      expect(record(peerMeta[name]).optional === true, `peer ${name} must be optional (peerDependenciesMeta)`)
    }
    if (name.startsWith("@lash/")) expect(range === "workspace:^", `peer ${name} must be "workspace:^"`)
  }
  const imported = new Set(
    listSources(path.join(pkg.dir, "src")).flatMap((file) => importedPackages(fs.readFileSync(file, "utf8")))
  )
  for (const name of imported) {
    if (name === m.name) continue
    expect(
      name in peers || name in dependencies,
      `src imports ${name}, which is neither a dependency nor a peer dependency`
    )
  }

  // files every package carries
  expect(fs.existsSync(path.join(pkg.dir, "README.md")), `README.md is missing`)
  const license = path.join(pkg.dir, "LICENSE")
  expect(
    fs.existsSync(license) && fs.readFileSync(license, "utf8") === context.rootLicense,
    `LICENSE must be a copy of the root LICENSE`
  )

  // the build: tsconfig.build.json, referenced by the root, referencing the workspace packages it imports
  const tsconfigPath = path.join(pkg.dir, "tsconfig.build.json")
  if (!fs.existsSync(tsconfigPath)) {
    problems.push(`${pkg.relativeDir}: tsconfig.build.json is missing (copy one from packages/plugins/clock)`)
  } else {
    const tsconfig = JSON.parse(fs.readFileSync(tsconfigPath, "utf8")) as Json
    const options = record(tsconfig.compilerOptions)
    const tsWhere = `${pkg.relativeDir}/tsconfig.build.json`
    if (path.resolve(pkg.dir, String(tsconfig.extends)) !== path.join(context.root, "tsconfig.base.json")) {
      problems.push(`${tsWhere}: "extends" must be the root tsconfig.base.json`)
    }
    if (
      options.composite !== true || options.rootDir !== "src" || options.outDir !== "dist" ||
      options.tsBuildInfoFile !== "dist/.tsbuildinfo"
    ) {
      problems.push(
        `${tsWhere}: compilerOptions must have composite: true, rootDir: "src", outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo"`
      )
    }
    if (JSON.stringify(tsconfig.include) !== JSON.stringify(["src"])) {
      problems.push(`${tsWhere}: "include" must be ["src"]`)
    }
    const references = (Array.isArray(tsconfig.references) ? tsconfig.references : []).map((ref: unknown) =>
      path.resolve(pkg.dir, String(record(ref).path))
    )
    for (const name of imported) {
      const dir = context.workspaceDirs.get(name)
      if (dir === undefined || name === m.name) continue
      const wanted = path.join(dir, "tsconfig.build.json")
      if (!references.includes(wanted)) {
        problems.push(
          `${tsWhere}: src imports ${name}; add { "path": "${path.relative(pkg.dir, wanted)}" } to "references"`
        )
      }
    }
  }
  const self = path.join(pkg.dir, "tsconfig.build.json")
  if (!context.buildReferences.includes(self)) {
    problems.push(
      `tsconfig.build.json (root): add { "path": "${pkg.relativeDir}/tsconfig.build.json" } to "references"`
    )
  }
  return problems
}
