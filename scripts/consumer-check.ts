/**
 * `pnpm consumer-check [--keep]`: what a user of the published packages gets, checked from the outside.
 *
 * 1. Build (`pnpm build`) and pack every public workspace package with pnpm.
 * 2. Check each tarball: manifest and files (scripts/lib/tarball.ts), publint, @arethetypeswrong/cli.
 * 3. In a fresh npm project outside the workspace, install the tarballs (plus copies of `examples/third-party-plugin`
 *    and `examples/custom-backend` as npm workspaces). better-sqlite3's install script is not run: the project first
 *    proves the SQLite backend explains a missing addon, then gets the workspace's compiled addon (same version,
 *    same Node; compiling it again costs over a minute).
 * 4. There: `tsc` under plain `strict` (nodenext, which emits the app, and bundler); the app under plain `node`,
 *    with vitest made unresolvable; an import of every entry point of every package; vitest for the memory backend's
 *    `backendConformance` and each example, from its own folder.
 * 5. Negative cases: each kind of breakage the check exists for is introduced on purpose and must be caught.
 *
 * Any failure exits non-zero with what failed. See docs/contributing.md, "The consumer check".
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { inParallel, run, type RunResult, step } from "./lib/run.js"
import {
  entryPoints,
  inspectPacked,
  pack,
  type Packed,
  publintProblems,
  verifyTarball,
  withManifest
} from "./lib/tarball.js"
import { publicPackages, root, workspacePackages } from "./lib/workspace.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const keep = process.argv.includes("--keep")

/** The examples that run in the consumer project, as npm workspaces (folder name there → workspace folder). */
const examples = ["third-party-plugin", "custom-backend"] as const

const rootManifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
  readonly devDependencies: Readonly<Record<string, string>>
}
/** The consumer's tools, at the workspace's ranges. */
const toolVersions = (...names: ReadonlyArray<string>) =>
  Object.fromEntries(names.map((name) => [name, rootManifest.devDependencies[name] ?? "latest"]))

/** The workspace's compiled better-sqlite3: the copy @effect/sql-sqlite-node uses in the SQLite backend. */
const workspaceAddon = (): { readonly version: string; readonly addon: string } => {
  const sqlite = workspacePackages().find((pkg) => pkg.manifest.name === "@lash/backend-sqlite")
  if (sqlite === undefined) throw new Error("no @lash/backend-sqlite in the workspace")
  const fromBackend = createRequire(path.join(sqlite.dir, "package.json"))
  const fromClient = createRequire(fromBackend.resolve("@effect/sql-sqlite-node"))
  const manifest = fromClient.resolve("better-sqlite3/package.json")
  const { version } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }
  const addon = path.join(path.dirname(manifest), "build", "Release", "better_sqlite3.node")
  if (!fs.existsSync(addon)) {
    throw new Error(`the workspace's better-sqlite3 has no compiled addon (${addon}): run pnpm rebuild better-sqlite3`)
  }
  return { version, addon }
}

/** Expects `attempt` to fail, with output containing every one of `mentions`; else throws. */
const mustFail = async (
  what: string,
  attempt: () => Promise<RunResult | Array<string>>,
  mentions: ReadonlyArray<string>
) => {
  let output: string
  try {
    const result = await attempt()
    if (Array.isArray(result)) {
      if (result.length === 0) throw new Error(`negative case "${what}": nothing was reported`)
      output = result.join("\n")
    } else {
      if (result.code === 0) throw new Error(`negative case "${what}": the command succeeded\n${result.stdout}`)
      output = result.stdout + result.stderr
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("negative case")) throw error
    output = error instanceof Error ? error.message : String(error)
  }
  const missing = mentions.filter((mention) => !output.includes(mention))
  if (missing.length > 0) {
    throw new Error(`negative case "${what}" failed, but its output does not mention ${missing.join(", ")}:\n${output}`)
  }
}

const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, JSON.stringify(value, null, 2) + "\n")

const main = async () => {
  const started = performance.now()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lash-consumer-"))
  if (path.relative(root, work).split(path.sep)[0] !== "..") {
    throw new Error(`the temp directory ${work} is inside the workspace; set TMPDIR elsewhere`)
  }
  const tarballs = path.join(work, "tarballs")
  const project = path.join(work, "project")
  fs.mkdirSync(tarballs)
  fs.mkdirSync(project)
  console.log(`consumer check in ${work}`)
  try {
    // 1. build and pack
    await step("build (pnpm build)", () => run("pnpm", ["build"], { cwd: root }))
    const packages = publicPackages()
    const packedPaths = await step(
      `pack ${packages.length} public packages (${packages.map((p) => p.manifest.name).join(", ")})`,
      () => inParallel(2, packages.map((pkg) => () => pack(pkg, tarballs)))
    )

    // 2. the tarballs
    const verified = await step("check tarballs (files, exports, publint, attw)", async () => {
      const results = await inParallel(2, packedPaths.map((tarball) => () => verifyTarball(tarball)))
      const problems = results.flatMap((result) => result.problems)
      if (problems.length > 0) throw new Error(`tarball problems:\n- ${problems.join("\n- ")}`)
      return results.map((result) => result.packed)
    })
    await step("negative: an exports target missing from the tarball is caught", async () => {
      const core = verified.find((packed) => packed.name === "@lash/core")!
      const manifest = structuredClone(core.manifest) as { exports: Record<string, Record<string, string>> }
      manifest.exports["."]!.import = "./dist/missing.js"
      const broken = withManifest(core, manifest)
      await mustFail("missing export file (inspection)", async () => inspectPacked(broken), ["./dist/missing.js"])
      await mustFail("missing export file (publint)", () => publintProblems(broken), ["./dist/missing.js"])
    })
    await step("negative: a workspace: specifier in a tarball is caught", async () => {
      const core = verified.find((packed) => packed.name === "@lash/core")!
      const manifest = structuredClone(core.manifest) as { peerDependencies: Record<string, string> }
      manifest.peerDependencies["@lash/lashlang"] = "workspace:^"
      await mustFail("workspace specifier", async () => inspectPacked(withManifest(core, manifest)), [
        `peerDependencies["@lash/lashlang"] is "workspace:^"`
      ])
    })

    // 3. the consumer project
    const addon = workspaceAddon()
    await step("create the consumer project and npm install the tarballs", async () => {
      const fileSpec = (packed: Packed, from: string) => `file:${path.relative(from, packed.tarball)}`
      const dependencies = (from: string) =>
        Object.fromEntries(verified.map((packed) => [packed.name, fileSpec(packed, from)]))
      writeJson(path.join(project, "package.json"), {
        name: "lash-consumer",
        private: true,
        type: "module",
        workspaces: examples.map((name) => `examples/${name}`),
        dependencies: dependencies(project),
        devDependencies: toolVersions("typescript", "@types/node", "vitest", "@effect/vitest"),
        overrides: { "better-sqlite3": addon.version }
      })
      for (const file of ["app.ts", "memory.conformance.test.ts", "no-vitest.mjs"]) {
        fs.copyFileSync(path.join(here, "consumer", file), path.join(project, file))
      }
      // A plain consumer: `strict` and nothing stricter, the default `lib` of its target (Effect's platform packages
      // name DOM types such as `Crypto`), every declaration file checked.
      const compilerOptions = { strict: true, skipLibCheck: false, target: "es2022", types: ["node"] }
      writeJson(path.join(project, "tsconfig.nodenext.json"), {
        compilerOptions: { ...compilerOptions, module: "nodenext", moduleResolution: "nodenext", outDir: "out" },
        files: ["app.ts"]
      })
      writeJson(path.join(project, "tsconfig.bundler.json"), {
        compilerOptions: { ...compilerOptions, module: "esnext", moduleResolution: "bundler", noEmit: true },
        files: ["app.ts"]
      })
      // The negative case checks that an error in the consumer's own code is reported; the declaration files were
      // checked above, so it skips them (13 s of checking effect's .d.ts).
      writeJson(path.join(project, "tsconfig.negative.json"), {
        compilerOptions: {
          ...compilerOptions,
          skipLibCheck: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          noEmit: true
        },
        files: ["negative.ts"]
      })
      fs.writeFileSync(
        path.join(project, "vitest.config.mjs"),
        `export default { test: { include: ["*.test.ts"] } }\n`
      )
      for (const name of examples) {
        const source = path.join(root, "examples", name)
        const target = path.join(project, "examples", name)
        fs.cpSync(source, target, {
          recursive: true,
          filter: (file) => !file.split(path.sep).includes("node_modules")
        })
        const manifestPath = path.join(target, "package.json")
        const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as Record<string, unknown>
        for (const field of ["dependencies", "peerDependencies", "devDependencies"]) {
          const deps = manifest[field] as Record<string, string> | undefined
          if (deps === undefined) continue
          for (const dep of Object.keys(deps)) {
            const packed = verified.find((p) => p.name === dep)
            if (packed !== undefined) {
              deps[dep] = field === "peerDependencies"
                ? `^${String(packed.manifest.version)}`
                : fileSpec(packed, target)
            }
          }
        }
        writeJson(manifestPath, manifest)
      }
      await run("npm", [
        "install",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--loglevel=error"
      ], {
        cwd: project,
        outside: true
      })
    })

    // 4. the consumer's compiler, app, imports and tests
    const tsc = path.join(project, "node_modules", ".bin", "tsc")
    await step(
      "tsc, plain strict, skipLibCheck false: moduleResolution nodenext (emits the app) and bundler",
      () =>
        Promise.all(
          ["tsconfig.nodenext.json", "tsconfig.bundler.json"].map((config) =>
            run(tsc, ["-p", config], { cwd: project, outside: true })
          )
        )
    )
    const runApp = (allowFailure: boolean) =>
      run("node", ["--import", "./no-vitest.mjs", "out/app.js"], { cwd: project, outside: true, allowFailure })
    await step(
      "without its compiled addon, the SQLite backend says how to get it built",
      () =>
        mustFail("missing native addon", () => runApp(true), [
          "SqliteNativeModuleUnavailable",
          "better-sqlite3",
          "pnpm approve-builds",
          "onlyBuiltDependencies"
        ])
    )
    await step(`install the workspace's compiled better-sqlite3 ${addon.version}`, async () => {
      const installed = path.join(project, "node_modules", "better-sqlite3")
      const { version } = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
        version: string
      }
      if (version !== addon.version) throw new Error(`npm installed better-sqlite3 ${version}, not ${addon.version}`)
      fs.mkdirSync(path.join(installed, "build", "Release"), { recursive: true })
      fs.copyFileSync(addon.addon, path.join(installed, "build", "Release", "better_sqlite3.node"))
    })
    await step("run the app with plain node (SQLite, a turn with a tool, a restart), vitest unresolvable", async () => {
      const result = await runApp(false)
      if (!result.stdout.includes(`"ok":true`)) throw new Error(`the app printed no result:\n${result.stdout}`)
    })
    // Entry points whose modules import a test runner (the kit's suites) load only inside it: they are imported by
    // a test file; every other entry point is imported by plain node with vitest made unresolvable.
    const plain = verified.flatMap((packed) => entryPoints(packed).plain)
    const suites = verified.flatMap((packed) => entryPoints(packed).suites)
    fs.writeFileSync(
      path.join(project, "imports.mjs"),
      `for (const specifier of ${JSON.stringify(plain)}) {
  const module = await import(specifier)
  if (Object.keys(module).length === 0) throw new Error(specifier + " exports nothing")
}
console.log("imported ${plain.length} entry points")
`
    )
    fs.writeFileSync(
      path.join(project, "suite-entries.test.ts"),
      `import { expect, it } from "vitest"
for (const specifier of ${JSON.stringify(suites)}) {
  it("imports " + specifier, async () => {
    expect(Object.keys(await import(specifier)).length).toBeGreaterThan(0)
  })
}
`
    )
    const importAll = () => run("node", ["--import", "./no-vitest.mjs", "imports.mjs"], { cwd: project, outside: true })
    await step(
      `import ${plain.length} entry points with plain node, vitest unresolvable (${suites.length} suite entry points: under vitest)`,
      importAll
    )
    const vitest = path.join(project, "node_modules", ".bin", "vitest")
    await step(
      "vitest: backendConformance(memory) from the packed kit, and the suite entry points",
      () => run(vitest, ["run"], { cwd: project, outside: true })
    )
    for (const name of examples) {
      await step(
        `vitest: examples/${name}, from its own folder`,
        () => run("npm", ["test"], { cwd: path.join(project, "examples", name), outside: true })
      )
    }

    await step(
      "examples/third-party-plugin builds with its own tsc config against the packed types (npm run build)",
      () => run("npm", ["run", "build"], { cwd: path.join(project, "examples", "third-party-plugin"), outside: true })
    )

    // 5. negative cases in the project
    await step("negative: a package the app cannot import is caught", async () => {
      const entry = path.join(project, "node_modules", "@lash", "lashlang", "dist", "index.js")
      fs.renameSync(entry, `${entry}.hidden`)
      try {
        await mustFail("unimportable package", importAll, [
          "@lash/lashlang"
        ])
      } finally {
        fs.renameSync(`${entry}.hidden`, entry)
      }
    })
    await step("negative: a type error in the consumer's code is caught", async () => {
      fs.writeFileSync(
        path.join(project, "negative.ts"),
        `import { TurnInput } from "@lash/core"\nexport const input = TurnInput.text(42)\n`
      )
      await mustFail(
        "consumer type error",
        () => run(tsc, ["-p", "tsconfig.negative.json"], { cwd: project, outside: true }),
        [
          "negative.ts",
          "TS2345"
        ]
      )
    })
    console.log(`consumer check passed in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    if (keep) console.log(`kept ${work}`)
    else fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
