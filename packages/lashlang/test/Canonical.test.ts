import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { Canonical } from "../src/index.js"

describe("Canonical", () => {
  it("sorts keys by UTF-16 code unit and writes no whitespace", () => {
    expect(Canonical.canonicalJson({ b: 1, a: [true, null, "x"], A: { z: -0 } })).toEqual(
      Either.right("{\"A\":{\"z\":0},\"a\":[true,null,\"x\"],\"b\":1}")
    )
  })
  it("rejects non-JSON values with the path", () => {
    const r = Canonical.canonicalJson({ a: [1, Number.NaN] })
    expect(Either.isLeft(r) && r.left.path).toBe("/a/1")
    expect(Either.isLeft(Canonical.canonicalJson(new Map()))).toBe(true)
    expect(Either.isLeft(Canonical.canonicalJson({ u: undefined }))).toBe(true)
    expect(Either.isLeft(Canonical.canonicalJson(1n))).toBe(true)
  })
  it("names the offending value with an escaped JSON pointer, however deep", () => {
    const r = Canonical.canonicalJson({ ok: 1, "a/b": [{ "~x": [0, { deep: undefined }] }] })
    expect(Either.isLeft(r) && [r.left.path, r.left.reason]).toEqual(["/a~1b/0/~0x/1/deep", "undefined"])
    const top = Canonical.canonicalJson(Number.NaN)
    expect(Either.isLeft(top) && top.left.path).toBe("")
  })
  it("writes exactly what JSON.stringify writes for already-sorted plain values", () => {
    const value = { a: "quote\" and \u2028", b: [1.5, -0, 1e21, "\ud83d\ude00"], c: { d: null, e: false } }
    expect(Canonical.canonicalJson(value)).toEqual(Either.right(JSON.stringify(value)))
  })
  it("hashes the canonical form, independent of key order", () => {
    expect(Canonical.sha256Hex({ x: 1, y: 2 })).toBe(Canonical.sha256Hex({ y: 2, x: 1 }))
    expect(Canonical.sha256Hex("")).toMatch(/^[0-9a-f]{64}$/)
  })
})
