import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import { Canonical } from "../src/index.js"
import { jsonText, TextOverflow } from "../src/internal/Text.js"

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
  it("writes a long string exactly as JSON.stringify does, whatever it holds and wherever", () => {
    // Long strings take the quote-only path when nothing needs escaping: every escape JSON.stringify makes (quote,
    // backslash, controls, lone surrogates) and what it leaves alone (pairs, U+2028, DEL) at the start, the middle
    // and the end of a 64+ character string.
    const special = ["\"", "\\", "\u0000", "\n", "\u001f", "\ud800", "\udfff", "\ud83d\ude00", "\u2028", "\u007f", "é"]
    const filler = "x".repeat(70)
    for (const s of special) {
      for (const text of [s + filler, filler + s + filler, filler + s, filler]) {
        expect(Canonical.canonicalJson({ text })).toEqual(Either.right(JSON.stringify({ text })))
      }
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 60, maxLength: 200 }), (text) => {
        expect(Canonical.canonicalJsonUnsafe([text])).toBe(JSON.stringify([text]))
      })
    )
  })
  it("hashes the canonical form, independent of key order", () => {
    expect(Canonical.sha256Hex({ x: 1, y: 2 })).toBe(Canonical.sha256Hex({ y: 2, x: 1 }))
    expect(Canonical.sha256Hex("")).toMatch(/^[0-9a-f]{64}$/)
  })
  it("a long list of scalars (written by the engine's serializer) reads as item-by-item canonical JSON", () => {
    const scalar = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(-0, 1e21, 5e-324, true, false, null)
    )
    fc.assert(fc.property(fc.array(scalar, { minLength: 9, maxLength: 40 }), (xs) => {
      const itemByItem = "[" + xs.map((x) => Either.getOrThrow(Canonical.canonicalJson(x))).join(",") + "]"
      expect(Canonical.canonicalJson(xs)).toEqual(Either.right(itemByItem))
    }))
  })
  it("a non-finite number or a hole in a long list is still named by its index", () => {
    const list: Array<unknown> = Array.from({ length: 20 }, (_, i) => i)
    list[13] = Number.POSITIVE_INFINITY
    const r = Canonical.canonicalJson({ l: list })
    expect(Either.isLeft(r) && r.left.path).toBe("/l/13")
    const holed = [1, 2, 3, 4, 5, 6, 7, 8, 9, , 11]
    const h = Canonical.canonicalJson(holed)
    expect(Either.isLeft(h) && [h.left.path, h.left.reason]).toEqual(["/9", "undefined"])
  })
  it("JSON text with a limit writes only a prefix of a long list, the same prefix as the whole text", () => {
    const list = Array.from({ length: 100_000 }, (_, i) => i)
    const whole = jsonText(list)
    for (const limit of [0, 1, 5, 100, 1024]) {
      let partial = ""
      try {
        jsonText(list, limit)
      } catch (e) {
        if (!(e instanceof TextOverflow)) throw e
        partial = e.partial
      }
      expect(partial.length).toBeGreaterThan(limit)
      expect(partial.length).toBeLessThan(limit * 4 + 16)
      expect(whole.startsWith(partial)).toBe(true)
    }
  })
})
