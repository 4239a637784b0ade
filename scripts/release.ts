/**
 * `pnpm release [--publish] [--skip-test]`: the release, as a dry run unless `--publish`.
 *
 * 1. `pnpm test`: type-check, lint, every test, and the consumer check (which builds, packs and installs every
 *    public package outside the workspace).
 * 2. `pnpm build`, then `pnpm pack` of every public package into `release/` (`workspace:` specifiers rewritten,
 *    `publishConfig` applied), each tarball checked again (files, exports, publint, attw), and a summary printed.
 * 3. With `--publish` only: `changeset publish`, which runs `pnpm publish` for every public package whose version
 *    is not on the registry yet and tags it. Version first with `pnpm version-packages` (docs/contributing.md,
 *    "Releasing").
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { inParallel, run, step } from "./lib/run.js"
import { pack, verifyTarball } from "./lib/tarball.js"
import { publicPackages, root } from "./lib/workspace.js"

const publish = process.argv.includes("--publish")
/** `--skip-test`: only for a dry run right after a green `pnpm test` of the same commit; refused with `--publish`. */
const skipTest = process.argv.includes("--skip-test")

const main = async () => {
  console.log(publish ? "release: PUBLISHING" : "release: dry run (nothing is published; --publish to publish)")
  if (skipTest && publish) throw new Error("--skip-test is for dry runs only: a publish always runs pnpm test")
  if (skipTest) console.log("• pnpm test skipped (--skip-test)")
  else {
    await step(
      "pnpm test (check, lint, tests, consumer check)",
      () => run("pnpm", ["test"], { cwd: root, inherit: true })
    )
  }
  await step("pnpm build", () => run("pnpm", ["build"], { cwd: root }))
  const destination = path.join(root, "release")
  fs.rmSync(destination, { recursive: true, force: true })
  fs.mkdirSync(destination)
  const packages = publicPackages()
  const tarballs = await step(
    `pack ${packages.length} public packages into release/`,
    () => inParallel(2, packages.map((pkg) => () => pack(pkg, destination)))
  )
  const verified = await step("check the tarballs (files, exports, publint, attw)", async () => {
    const results = await inParallel(2, tarballs.map((tarball) => () => verifyTarball(tarball)))
    const problems = results.flatMap((result) => result.problems)
    if (problems.length > 0) throw new Error(`tarball problems:\n- ${problems.join("\n- ")}`)
    return results
  })
  console.log("")
  for (const { packed } of verified) {
    const size = fs.statSync(packed.tarball).size
    console.log(
      `  ${packed.name}@${String(packed.manifest.version)}  ${path.relative(root, packed.tarball)}  ${
        (size / 1024).toFixed(1)
      } KiB, ${packed.files.size} files`
    )
  }
  console.log("")
  if (!publish) {
    console.log("dry run: the tarballs above are what `pnpm release --publish` would publish.")
    return
  }
  await step(
    "changeset publish (pnpm publish of every unpublished version, git tags)",
    () => run("pnpm", ["exec", "changeset", "publish"], { cwd: root, inherit: true })
  )
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
