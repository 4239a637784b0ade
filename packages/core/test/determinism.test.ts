import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : []
  })

describe("determinism", () => {
  it("core reads time only through Clock and randomness only through IdGenerator", () => {
    const offenders: Array<string> = []
    for (const file of sources(join(import.meta.dirname, "../src"))) {
      const text = readFileSync(file, "utf8")
      for (const banned of ["Date.now(", "new Date(", "Math.random(", "performance.now("]) {
        if (text.includes(banned)) offenders.push(`${file}: ${banned}`)
      }
      // randomUUID is allowed only as the IdGenerator fallback.
      if (text.includes("randomUUID") && !/IdGenerator\.ts$|internal\/core\.ts$/.test(file)) {
        offenders.push(`${file}: randomUUID`)
      }
    }
    expect(offenders).toEqual([])
  })
})
