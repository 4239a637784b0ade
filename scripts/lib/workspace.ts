/**
 * The workspace's packages, found the way pnpm finds them: every folder matched by a `pnpm-workspace.yaml` pattern
 * that holds a `package.json`. The vitest projects, the manifest conventions test, the consumer check and the
 * release all start here, so a new package is picked up without editing a list.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root (this file is `scripts/lib/workspace.ts`). */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

/** The manifest fields the tooling reads. */
export interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly [field: string]: unknown
}

/** A workspace package: its folder (absolute, and relative to the root with `/`) and its manifest. */
export interface WorkspacePackage {
  readonly dir: string
  readonly relativeDir: string
  readonly manifest: Manifest
}

/**
 * The `packages:` patterns of `pnpm-workspace.yaml`. Only the forms this workspace uses are understood (`dir` and
 * `dir/*`); anything else is refused loudly rather than silently skipped.
 */
export const workspacePatterns = (workspaceRoot: string = root): ReadonlyArray<string> => {
  const text = fs.readFileSync(path.join(workspaceRoot, "pnpm-workspace.yaml"), "utf8")
  const patterns: Array<string> = []
  let inPackages = false
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) inPackages = line.trim() === "packages:"
    const item = /^\s+-\s+["']?([^"'#]+?)["']?\s*$/.exec(line)
    if (inPackages && item?.[1] !== undefined) {
      const pattern = item[1]
      if (pattern.startsWith("!")) continue
      if (!/^[\w.@/-]+(\/\*)?$/.test(pattern)) {
        throw new Error(`pnpm-workspace.yaml: pattern "${pattern}" is not understood by scripts/lib/workspace.ts`)
      }
      patterns.push(pattern)
    }
  }
  return patterns
}

/** Every workspace package (the root excluded), in a stable order. */
export const workspacePackages = (workspaceRoot: string = root): ReadonlyArray<WorkspacePackage> => {
  const dirs: Array<string> = []
  for (const pattern of workspacePatterns(workspaceRoot)) {
    if (pattern.endsWith("/*")) {
      const parent = path.join(workspaceRoot, pattern.slice(0, -2))
      if (!fs.existsSync(parent)) continue
      for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(path.join(parent, entry.name))
      }
    } else {
      dirs.push(path.join(workspaceRoot, pattern))
    }
  }
  return dirs
    .filter((dir) => fs.existsSync(path.join(dir, "package.json")))
    .sort()
    .map((dir) => ({
      dir,
      relativeDir: path.relative(workspaceRoot, dir).split(path.sep).join("/"),
      manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest
    }))
}

/** The packages that are published: every workspace package whose manifest is not `"private": true`. */
export const publicPackages = (workspaceRoot: string = root): ReadonlyArray<WorkspacePackage> =>
  workspacePackages(workspaceRoot).filter((pkg) => pkg.manifest.private !== true)
