/**
 * Source scan (packages/backends/sqlite/README.md): outside the transaction helper, the backend never begins a transaction itself and
 * never calls the stock `withTransaction` (whose plain `BEGIN` would not take the write lock up front).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

/** This backend's sources and the SQL driver's: only the unit runner (Transaction.ts) begins or ends a transaction. */
const srcDirs = [path.join(import.meta.dirname, "..", "src"), path.join(import.meta.dirname, "..", "..", "sql", "src")]

describe("transaction discipline", () => {
  it("only Transaction.ts issues BEGIN / COMMIT / ROLLBACK or calls withTransaction", () => {
    const offenders: Array<string> = []
    const files = srcDirs.flatMap((dir) =>
      fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "Transaction.ts").map((f) => path.join(dir, f))
    )
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      // Comments may talk about BEGIN IMMEDIATE; only code counts.
      const text = fs
        .readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "")
      for (
        const pattern of [
          /\bwithTransaction\b/,
          /["'`]\s*BEGIN\b/,
          /["'`]\s*COMMIT\b/,
          /["'`]\s*ROLLBACK\b/,
          /makeWithTransaction/
        ]
      ) {
        if (pattern.test(text)) offenders.push(`${file}: ${pattern}`)
      }
    }
    expect(offenders).toEqual([])
  })
})
