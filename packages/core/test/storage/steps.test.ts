/**
 * Unit bodies run in place (packages/core/src/storage/Steps.ts): the same outcome as `Effect.gen` for every kind of
 * step (values, typed failures, defects, nested bodies, effects that must go through the run loop), and a transaction's
 * own statements really run in place, in the body's order, none after the first failure.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Effectable, Exit } from "effect"
import * as Steps from "../../src/storage/Steps.js"

class Refused extends Data.TaggedError("Refused")<{ readonly at: string }> {}

/** A fake synchronous driver: statements that record when they run, in place or through the run loop. */
const makeDriver = () => {
  const log: Array<string> = []
  class Statement extends Effectable.Class<string, Refused> {
    constructor(readonly name: string, readonly fails: boolean) {
      super()
    }
    run(how: "in place" | "as effect"): Exit.Exit<string, Refused> {
      log.push(`${this.name} ${how}`)
      return this.fails ? Exit.fail(new Refused({ at: this.name })) : Exit.succeed(this.name)
    }
    commit() {
      return this.run("as effect")
    }
  }
  const statement = (name: string, fails = false): Effect.Effect<string, Refused> => new Statement(name, fails)
  const tx = {
    immediate: <A, E>(effect: Effect.Effect<A, E, unknown>) =>
      effect instanceof Statement ? effect.run("in place") as Exit.Exit<A, E> : undefined
  }
  return { log, statement, tx }
}

/** One body, written once for `Effect.gen`, `Steps.gen` and `Steps.unit`. */
const body = (statement: (name: string, fails?: boolean) => Effect.Effect<string, Refused>, failAt?: string) =>
  function*() {
    const a = yield* statement("read")
    const checked = yield* Steps.gen(function*() {
      const b = yield* statement("check", failAt === "check")
      const c = yield* Effect.succeed(`${b}+value`)
      return c
    })
    const now = yield* Effect.sync(() => "sync")
    const slept = yield* Effect.as(Effect.sleep(0), "slept")
    const w = yield* statement("write", failAt === "write")
    if (failAt === "defect") throw new Error("boom")
    return [a, checked, now, slept, w].join(",")
  }

describe("Steps", () => {
  for (const failAt of [undefined, "check", "write", "defect"]) {
    it.effect(`gives Effect.gen's outcome and order (${failAt ?? "success"})`, () =>
      Effect.gen(function*() {
        const reference = makeDriver()
        const expected = yield* Effect.exit(Effect.gen(body(reference.statement, failAt)))
        const inPlace = makeDriver()
        const actual = yield* Effect.exit(Steps.unit(inPlace.tx, body(inPlace.statement, failAt)))
        const alone = makeDriver()
        const standalone = yield* Effect.exit(Steps.gen(body(alone.statement, failAt)))
        expect(actual).toEqual(expected)
        expect(standalone).toEqual(expected)
        // The same statements in the same order, none after a failure; in place only inside a unit.
        const names = (log: Array<string>) => log.map((line) => line.split(" ")[0])
        expect(names(inPlace.log)).toEqual(names(reference.log))
        expect(names(alone.log)).toEqual(names(reference.log))
        expect(inPlace.log.every((line) => line.endsWith("in place"))).toBe(true)
        expect(alone.log.every((line) => line.endsWith("as effect"))).toBe(true)
      }))
  }

  it.effect("runs a body again from the start when the unit is run again", () =>
    Effect.gen(function*() {
      const driver = makeDriver()
      const unit = Steps.unit(driver.tx, body(driver.statement))
      expect(yield* unit).toBe(yield* unit)
      expect(driver.log.length).toBe(6)
    }))
})
