/**
 * Source scan (packages/backends/sqlite/README.md): outside the transaction helper, the backend never begins a transaction itself and
 * never calls the stock `withTransaction` (whose plain `BEGIN` would not take the write lock up front).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const srcDir = path.join(import.meta.dirname, "..", "src")

describe("transaction discipline", () => {
  it("only Transaction.ts issues BEGIN / COMMIT / ROLLBACK or calls withTransaction", () => {
    const offenders: Array<string> = []
    for (const file of fs.readdirSync(srcDir).filter((f) => f.endsWith(".ts") && f !== "Transaction.ts")) {
      // Comments may talk about BEGIN IMMEDIATE; only code counts.
      const text = fs
        .readFileSync(path.join(srcDir, file), "utf8")
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
