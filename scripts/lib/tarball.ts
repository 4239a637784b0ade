/**
 * Packing a workspace package the way it is published (`pnpm pack`: `workspace:` specifiers rewritten,
 * `publishConfig` applied) and checking the tarball: its manifest, the files its `exports` name, and the verdicts of
 * publint and @arethetypeswrong/cli. Used by the consumer check and the release.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { publint } from "publint"
import { formatMessage } from "publint/utils"
import { run } from "./run.js"
import { root, type WorkspacePackage } from "./workspace.js"

/** A packed package: the tarball's path, its files (paths relative to the package root) and its manifest. */
export interface Packed {
  readonly name: string
  readonly tarball: string
  readonly files: ReadonlyMap<string, Uint8Array>
  readonly manifest: Record<string, unknown>
}

/** The tarball file name `pnpm pack` gives a package (`@lash/core@0.1.0` → `lash-core-0.1.0.tgz`). */
export const tarballName = (name: string, version: string): string =>
  `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`

/** Packs `pkg` into `destination` with pnpm and returns the tarball's path. */
export const pack = async (pkg: WorkspacePackage, destination: string): Promise<string> => {
  await run("pnpm", ["pack", "--pack-destination", destination], { cwd: pkg.dir })
  const tarball = path.join(destination, tarballName(pkg.manifest.name, pkg.manifest.version))
  if (!fs.existsSync(tarball)) throw new Error(`pnpm pack of ${pkg.manifest.name} did not produce ${tarball}`)
  return tarball
}

const listFiles = (dir: string, prefix = ""): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`]
  )

/** Reads a tarball's files (with the system `tar`). */
export const unpack = async (tarball: string): Promise<Packed> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-unpack-"))
  try {
    await run("tar", ["-xzf", tarball, "-C", dir], { cwd: root })
    const top = path.join(dir, "package")
    const files = new Map(listFiles(top).map((file) => [file, fs.readFileSync(path.join(top, file))] as const))
    const manifestBytes = files.get("package.json")
    if (manifestBytes === undefined) throw new Error(`${tarball}: no package/package.json`)
    const manifest = JSON.parse(Buffer.from(manifestBytes).toString("utf8")) as Record<string, unknown>
    return { name: String(manifest.name), tarball, files, manifest }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The same package with its manifest replaced (for the negative cases). */
export const withManifest = (packed: Packed, manifest: Record<string, unknown>): Packed => ({
  ...packed,
  manifest,
  files: new Map([...packed.files, ["package.json", Buffer.from(JSON.stringify(manifest, null, 2))]])
})

const dependencyFields = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"] as const

/** The export condition that points workspace tooling at sources; it must never be published. */
export const SOURCE_CONDITION = "@lash/source"

/** Every `./…` target an `exports` value names, with the path of conditions that leads to it. */
export const exportTargets = (
  value: unknown,
  at: ReadonlyArray<string> = []
): Array<{ readonly at: ReadonlyArray<string>; readonly target: string }> => {
  if (typeof value === "string") return [{ at, target: value }]
  if (Array.isArray(value)) return value.flatMap((item: unknown) => exportTargets(item, at))
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, [...at, key]))
  }
  return []
}

const isTestFile = (file: string) =>
  /(^|\/)(test|tests|__tests__)\//.test(file) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(file)

/**
 * What is wrong with a packed package, judged from its files alone: `workspace:` specifiers left in, `exports`
 * targets that are not in the tarball (or not `./` paths, or without a `types`/`import`/`default` condition), the
 * source condition left in, tests or build info shipped, a missing README or LICENSE. Empty when all is well.
 */
export const inspectPacked = (packed: Pick<Packed, "files" | "manifest">): Array<string> => {
  const problems: Array<string> = []
  const { files, manifest } = packed
  const name = String(manifest.name)
  for (const field of dependencyFields) {
    const deps = manifest[field]
    if (deps === undefined) continue
    for (const [dep, spec] of Object.entries(deps as Record<string, string>)) {
      if (/^(workspace|link|file|portal):/.test(spec)) {
        problems.push(`${name}: ${field}["${dep}"] is "${spec}", a specifier only the workspace understands`)
      }
    }
  }
  const exportsField = manifest.exports
  if (exportsField === undefined || exportsField === null || typeof exportsField !== "object") {
    problems.push(`${name}: no "exports" map`)
  } else {
    for (const [subpath, value] of Object.entries(exportsField)) {
      if (subpath === "./package.json") continue
      const conditions = value !== null && typeof value === "object" ? Object.keys(value) : []
      for (const condition of ["types", "import", "default"]) {
        if (!conditions.includes(condition)) {
          problems.push(`${name}: exports["${subpath}"] has no "${condition}" condition`)
        }
      }
    }
    for (const { at, target } of exportTargets(exportsField)) {
      const where = `exports${at.map((key) => `["${key}"]`).join("")}`
      if (at.includes(SOURCE_CONDITION)) {
        problems.push(
          `${name}: ${where} is the workspace-only "${SOURCE_CONDITION}" condition (publishConfig.exports not applied?)`
        )
      } else if (!target.startsWith("./") || target.includes("*")) {
        problems.push(`${name}: ${where} is "${target}"; only explicit "./" paths are supported`)
      } else if (!files.has(target.slice(2))) {
        problems.push(`${name}: ${where} points at ${target}, which is not in the tarball`)
      }
    }
  }
  for (const required of ["package.json", "README.md", "LICENSE"]) {
    if (!files.has(required)) problems.push(`${name}: ${required} is missing from the tarball`)
  }
  for (const file of files.keys()) {
    if (isTestFile(file)) problems.push(`${name}: the tarball ships a test file, ${file}`)
    if (file.endsWith(".tsbuildinfo")) problems.push(`${name}: the tarball ships build info, ${file}`)
  }
  return problems
}

/** publint's errors and warnings (as errors: `strict`) for the packed files. */
export const publintProblems = async (packed: Pick<Packed, "files" | "manifest">): Promise<Array<string>> => {
  const { messages, pkg } = await publint({
    pkgDir: "package",
    pack: { files: [...packed.files].map(([name, data]) => ({ name: `package/${name}`, data })) },
    level: "warning",
    strict: true
  })
  return messages.map((message) =>
    `${String(packed.manifest.name)}: publint ${message.type}: ${
      formatMessage(message, pkg, { color: false }) ?? message.code
    }`
  )
}

/**
 * @arethetypeswrong/cli's verdict on the tarball, under the `esm-only` profile: lash ships ES modules only, so
 * `require` from CommonJS (node16-cjs) and the pre-exports `node10` resolution are out of scope; every entry point
 * must resolve to JavaScript and types under `node16` (ESM) and `bundler`.
 */
export const attwProblems = async (tarball: string): Promise<Array<string>> => {
  const bin = path.join(root, "node_modules", ".bin", "attw")
  const result = await run(bin, [tarball, "--profile", "esm-only", "--format", "ascii", "--no-color", "--no-emoji"], {
    cwd: root,
    allowFailure: true
  })
  return result.code === 0
    ? []
    : [`${path.basename(tarball)}: @arethetypeswrong/cli failed:\n${result.stdout}${result.stderr}`]
}

/** Every problem of one tarball: the inspection, publint and attw. */
export const verifyTarball = async (
  tarball: string
): Promise<{ readonly packed: Packed; readonly problems: Array<string> }> => {
  const packed = await unpack(tarball)
  const [publinted, attw] = await Promise.all([publintProblems(packed), attwProblems(tarball)])
  return { packed, problems: [...inspectPacked(packed), ...publinted, ...attw] }
}

/** The specifiers a JavaScript module imports or re-exports statically, and those it imports dynamically. */
export const moduleSpecifiers = (source: string): Array<string> =>
  [...source.matchAll(
    /(?:^|[\s;}])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g
  )]
    .map((match) => (match[1] ?? match[2])!)

/**
 * The bare specifiers (other packages) reachable from one module of a package, following its relative imports
 * through the package's own files. `files` maps package-relative paths to contents.
 */
export const packagesReachedFrom = (files: ReadonlyMap<string, Uint8Array>, entry: string): Set<string> => {
  const reached = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const bytes = files.get(file)
    if (bytes === undefined) return
    for (const specifier of moduleSpecifiers(Buffer.from(bytes).toString("utf8"))) {
      if (specifier.startsWith(".")) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)))
      else reached.add(specifier)
    }
  }
  visit(path.posix.normalize(entry.replace(/^\.\//, "")))
  return reached
}

/** A test runner's module: entry points that reach one are suite entry points, loadable only inside the runner. */
export const isTestRunnerModule = (specifier: string): boolean => /^(vitest|@effect\/vitest)(\/|$)/.test(specifier)

/** Every entry point of a packed package (`name/subpath`), split by whether it reaches a test runner. */
export const entryPoints = (packed: Packed): { readonly plain: Array<string>; readonly suites: Array<string> } => {
  const plain: Array<string> = []
  const suites: Array<string> = []
  for (const [subpath, value] of Object.entries(packed.manifest.exports as Record<string, unknown>)) {
    if (subpath === "./package.json") continue
    const specifier = `${packed.name}${subpath.slice(1)}`
    const target = exportTargets(value).find(({ at }) => at.includes("import"))?.target
    const reached = target === undefined ? new Set<string>() : packagesReachedFrom(packed.files, target)
    ;([...reached].some(isTestRunnerModule) ? suites : plain).push(specifier)
  }
  return { plain, suites }
}
