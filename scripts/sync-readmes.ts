/**
 * `pnpm sync-readmes`: copies each package's `README.ts` (minus its first comment line) into the first ```ts block
 * under the "## Example" heading of its `README.md`. scripts/test/readmes.test.ts fails until they agree.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { exampleBody, syncExample } from "./lib/readmes.js"
import { workspacePackages } from "./lib/workspace.js"

for (const pkg of workspacePackages()) {
  const readmeTs = path.join(pkg.dir, "README.ts")
  const readmeMd = path.join(pkg.dir, "README.md")
  if (!fs.existsSync(readmeTs) || !fs.existsSync(readmeMd)) continue
  const before = fs.readFileSync(readmeMd, "utf8")
  const after = syncExample(before, exampleBody(fs.readFileSync(readmeTs, "utf8")))
  if (after === undefined) {
    console.error(`${pkg.relativeDir}/README.md: no \`\`\`ts block under "## Example"`)
    process.exitCode = 1
  } else if (after !== before) {
    fs.writeFileSync(readmeMd, after)
    console.log(`${pkg.relativeDir}/README.md: example updated from README.ts`)
  }
}
