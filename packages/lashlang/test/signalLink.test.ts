/**
 * `signal_run` checked at link time where the target is known (docs/lashlang.md, "Sleep and signals"): a handle made
 * by `start p(...)` in the same program, directly or through a name that only ever holds `p`'s handle. Anything else
 * links and is checked by the host at run time (core's test/durableWaits.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { formatDiagnostic, link, parse } from "../src/index.js"
import { env } from "./fixture.js"

const GREET = `type Who = { who: str }
process greet() signals { go: Who, count: int } { s = wait_signal("go")\n finish s.who }
`
const links = (source: string) => Effect.flatMap(parse(source), (p) => link(p, env(), { globals: new Map() }))
const linkError = (source: string) => Effect.flip(links(source))

describe("signal_run at link time", () => {
  it.effect("a declared name with a fitting payload links, directly on start or through its handle", () =>
    Effect.gen(function*() {
      yield* links(`${GREET}h = start greet()\nsignal_run(h, "go", { who: "a" })\nsignal_run(h, "count", 3)`)
      yield* links(`${GREET}signal_run(start greet(), "go", { who: "a" })`)
      // Reassigned to a handle of the same process: still known, still checked.
      yield* links(`${GREET}h = start greet()\nif true { h = start greet() }\nsignal_run(h, "count", 1)`)
    }))

  it.effect("an undeclared signal name is refused with its line and column", () =>
    Effect.gen(function*() {
      const source = `${GREET}h = start greet()\nx = 1\n  signal_run(h, "stop", 1)`
      const error = yield* linkError(source)
      expect(error).toMatchObject({
        _tag: "LashlangLinkError",
        kind: "UnknownProcessSignal",
        span: { line: 6, column: 3 }
      })
      expect(error.message).toBe("process `greet` declares no signal `stop`")
      expect(formatDiagnostic(error, source)).toContain("--> line 6, column 3")
      expect((yield* linkError(`${GREET}signal_run(start greet(), "stop", 1)`)).kind).toBe("UnknownProcessSignal")
    }))

  it.effect("a payload that cannot fit the declared type is refused, naming both types", () =>
    Effect.gen(function*() {
      const error = yield* linkError(`${GREET}h = start greet()\nsignal_run(h, "go", { who: 1 })`)
      expect(error).toMatchObject({ kind: "IncompatibleSignalPayload", span: { line: 5, column: 1 } })
      expect(error.message).toBe("signal `go` of process `greet` expects { who: str }, got { who: int }")
      expect((yield* linkError(`${GREET}h = start greet()\nsignal_run(h, "count", "three")`)).kind).toBe(
        "IncompatibleSignalPayload"
      )
      expect((yield* linkError(`${GREET}h = start greet()\nsignal_run(h, "go", {})`)).kind).toBe(
        "IncompatibleSignalPayload"
      )
    }))

  it.effect("a process that declares no signals refuses every name", () =>
    Effect.gen(function*() {
      const error = yield* linkError(`process quiet() { finish 1 }\nh = start quiet()\nsignal_run(h, "go", 1)`)
      expect(error.kind).toBe("UnknownProcessSignal")
      expect(error.message).toBe("process `quiet` declares no signal `go`")
    }))

  it.effect("inside a process: a child started there is known too", () =>
    Effect.gen(function*() {
      const error = yield* linkError(
        `${GREET}process parent() { c = start greet()\n signal_run(c, "went", 1)\n finish 1 }\nh = start parent()`
      )
      expect(error).toMatchObject({ kind: "UnknownProcessSignal", span: { line: 5, column: 2 } })
    }))

  it.effect("an unknown target links: the check is left to the host at run time", () =>
    Effect.gen(function*() {
      // An element of a list, a parameter, a name holding handles of two processes, a name also assigned something
      // else, a loop variable.
      yield* links(`${GREET}hs = [start greet()]\nsignal_run(hs[0], "anything", 1)`)
      yield* links(`${GREET}process other() signals { stop: int } { finish 1 }
h = start greet()
if false { h = start other() }
signal_run(h, "stop", 1)
g = start greet()
g = { __handle__: "process", id: "x" }
signal_run(g, "anything", "x")
for k in [start greet()] { signal_run(k, "anything", 1) }
process relay(target: any) { signal_run(target, "anything", 1)\n finish 1 }`)
    }))

  it.effect("a global of an earlier block is not known, even when this block also starts a process into it", () =>
    Effect.gen(function*() {
      const program = yield* parse(`${GREET}signal_run(h, "anything", 1)\nh = start greet()`)
      yield* link(program, env(), { globals: new Map([["h", null]]) })
    }))
})
