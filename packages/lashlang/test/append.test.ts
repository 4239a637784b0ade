import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { run, submitted } from "./fixture.js"

const src = (...lines: ReadonlyArray<string>) => lines.join("\n")

// The in-place append fast path (docs/lashlang.md, "Performance") must be unobservable: aliases keep their old value.
describe("uniquely-owned list appends", () => {
  it.effect("an alias taken before or after an append keeps its own value", () =>
    Effect.gen(function*() {
      expect(submitted(yield* run(src("xs = [1]", "ys = xs", "xs = xs + [2]", "submit [xs, ys]")))).toBe("[[1,2],[1]]")
      expect(
        submitted(
          yield* run(src("xs = []", "xs = xs + [1]", "ys = xs", "xs = xs + [2]", "xs = push(xs, 3)", "submit [ys, xs]"))
        )
      ).toBe("[[1],[1,2,3]]")
      expect(
        submitted(yield* run(src("xs = []", "xs = push(xs, 1)", "r = { k: xs }", "xs = push(xs, 2)", "submit [r, xs]")))
      ).toBe("[{\"k\":[1]},[1,2]]")
      expect(submitted(yield* run(src("xs = [1]", "xs = xs + [2]", "xs = xs + xs", "submit xs")))).toBe("[1,2,1,2]")
    }))
  it.effect("a loop over a list being appended iterates the old value", () =>
    Effect.map(
      run(src("xs = [1, 2]", "xs = xs + [3]", "for x in xs { xs = xs + [x * 10] }", "submit xs")),
      (r) => expect(submitted(r)).toBe("[1,2,3,10,20,30]")
    ))
  it.effect("globals from an earlier block are never grown in place", () =>
    Effect.gen(function*() {
      const b1 = yield* run(src("xs = []", "xs = xs + [1]", "xs = xs + [2]"))
      const before = b1.outcome.globals.get("xs")
      const b2 = yield* run(src("xs = xs + [3]", "submit xs"), { globals: b1.outcome.globals })
      expect(submitted(b2)).toBe("[1,2,3]")
      expect(before).toEqual([1, 2])
    }))
  it.effect("the list limit still holds on the fast path", () =>
    Effect.map(run(src("xs = []", "while true { xs = xs + [1] }")), (r) => {
      expect(r.outcome._tag === "Errored" && r.outcome.error.message).toMatch(/list too long|step budget exhausted/)
    }))
  it.effect("one appended item (`xs + [x]`) is sized and limited as `push` and as the two-item literal are", () =>
    Effect.gen(function*() {
      // The same list, grown three ways, has the same size: a memory limit stops each at the same round.
      const grow = (append: string) =>
        run(src("xs = []", "i = 0", `while i < 100000 { ${append}\n i = i + 1 }`, "submit i"), {})
      const one = yield* grow("xs = xs + [[i, \"abc\"]]")
      const pushed = yield* grow("xs = push(xs, [i, \"abc\"])")
      expect(one.outcome._tag).toBe(pushed.outcome._tag)
      if (one.outcome._tag === "Errored" && pushed.outcome._tag === "Errored") {
        expect(one.outcome.error.message).toBe(pushed.outcome.error.message)
      }
      // Depth: a nested item deepens the list, the list itself appended is a copy (no cycle).
      expect(submitted(yield* run(src("xs = [1]", "xs = xs + [[[2]]]", "xs = xs + [xs]", "submit xs")))).toBe(
        "[1,[[2]],[1,[[2]]]]"
      )
    }))
})
