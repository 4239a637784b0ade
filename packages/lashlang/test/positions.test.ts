import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { run, submitted } from "./fixture.js"

const src = (...lines: ReadonlyArray<string>) => lines.join("\n")
const outcome = (source: string) => Effect.map(run(source), submitted)

// docs/lashlang.md, "Values and types", conversions: every integer argument goes through toNumber and must then be a
// finite integer — index reads and writes, slice bounds, find starts, range bounds, floor_div/ceil_div operands.
describe("integer arguments are converted alike everywhere", () => {
  it.effect("index reads convert the index with toNumber (numeric strings, 1.0, booleans, null)", () =>
    Effect.gen(function*() {
      expect(yield* outcome(src("xs = [10, 20, 30]", "submit [xs[\"1\"], xs[1.0], xs[\" -1 \"], xs[true], xs[null]]")))
        .toBe("[20,20,30,20,10]")
      expect(yield* outcome("submit [\"héllo\"[\"1\"], \"abc\"[\"-1\"], \"abc\"[\"9\"]]")).toBe("[\"é\",\"c\",null]")
      // A record index stays a key: its text.
      expect(yield* outcome("r = { \"1\": \"one\" }\nsubmit [r[1], r[\"1\"]]")).toBe("[\"one\",\"one\"]")
    }))
  it.effect("a non-integral or non-numeric index is a TypeError naming the index", () =>
    Effect.gen(function*() {
      expect(yield* outcome("xs = [1]\nsubmit xs[\"1.5\"]")).toBe("TypeError: index must be an integer")
      expect(yield* outcome("xs = [1]\nsubmit xs[\"one\"]")).toBe(
        "TypeError: index must be an integer, got string \"one\""
      )
      expect(yield* outcome("xs = [1]\nsubmit xs[[0]]")).toBe("TypeError: index must be an integer, got list")
      expect(yield* outcome("xs = [1]\nsubmit xs[\"inf\"]")).toBe("TypeError: index must be an integer")
    }))
  it.effect("list element assignment converts its index the same way", () =>
    Effect.gen(function*() {
      expect(yield* outcome(src("xs = [1, 2, 3]", "xs[\"1\"] = 9", "xs[\"-1\"] = 7", "submit xs"))).toBe("[1,9,7]")
      expect(yield* outcome(src("xs = [1, 2, 3]", "xs[\"0.5\"] = 9"))).toBe(
        "TypeError: list assignment index must be an integer"
      )
      expect(yield* outcome(src("xs = [1, 2, 3]", "xs[\"3\"] = 9"))).toBe(
        "ValueError: list assignment index out of bounds"
      )
    }))
  it.effect("slice bounds, find starts, range bounds and floor_div/ceil_div operands follow the same rule", () =>
    Effect.gen(function*() {
      expect(
        yield* outcome(
          "submit [slice([1, 2, 3], \"1\", null), slice(\"abcd\", \"-2\", \"4\"), find(\"abcabc\", \"b\", \"2\"), range(\"3\"), range(\"1\", \"7\", \"2\"), floor_div(\"-7\", \"2\"), ceil_div(\"7\", 2)]"
        )
      ).toBe("[[2,3],\"cd\",4,[0,1,2],[1,3,5],-4,4]")
      expect(yield* outcome("submit slice([1, 2, 3], 0.5, null)")).toBe("TypeError: `slice` bounds must be integers")
      expect(yield* outcome("submit find(\"abc\", \"b\", 1.5)")).toBe("TypeError: `find` start must be an integer")
      expect(yield* outcome("submit find(\"abc\", \"b\", -1)")).toBe(
        "ValueError: `find` start must be a non-negative integer"
      )
      expect(yield* outcome("submit range(0, 10, 0.5)")).toBe("TypeError: `range` bounds must be finite integers")
      expect(yield* outcome("submit range(\"x\")")).toBe(
        "TypeError: `range` bounds must be finite integers, got string \"x\""
      )
      expect(yield* outcome("submit floor_div(7, [2])")).toBe(
        "TypeError: `floor_div` divisor must be a finite integer, got list"
      )
      expect(yield* outcome("submit ceil_div(7.5, 2)")).toBe("TypeError: `ceil_div` dividend must be a finite integer")
    }))
})
