/**
 * The harness a backend author relies on (packages/testing/README.md, "The isolation contract" and "Verdicts and the
 * report"): the precheck names `fresh` when a backend gets it wrong, the verdict reads outcomes, skips and the
 * configuration, timeouts scale. Kept here because @lash/testing may not depend on a backend.
 */
import { describe, expect, it } from "@effect/vitest"
import { type SessionId, SessionStore } from "@lash/core"
import {
  catalog,
  configurationProblems,
  type ConformanceViolation,
  ownScenarioProblems,
  runScenarioById,
  type Scenario,
  type StorageUnderTest,
  timeoutOf,
  verdictOf
} from "@lash/testing"
import { Context, Effect, Layer } from "effect"
import { MemoryBackend } from "../src/index.js"

const memory: StorageUnderTest = {
  name: "memory",
  tier: "inline",
  fresh: Effect.map(Layer.build(MemoryBackend.layer()), Layer.succeedContext)
}

/** Runs a scenario that must fail and returns its violation. */
const violationOf = (id: string, backend: StorageUnderTest) =>
  Effect.map(Effect.flip(runScenarioById(id, backend)), (e) => {
    expect(e._tag, e.message).toBe("ConformanceViolation")
    return e as ConformanceViolation
  })

describe("the isolation and reopen precheck", () => {
  it.scoped("a backend whose `fresh` calls share one module-level store fails first, with a message naming `fresh`", () =>
    Effect.gen(function*() {
      const shared = yield* Layer.build(MemoryBackend.layer())
      const leaky: StorageUnderTest = {
        name: "leaky",
        tier: "inline",
        fresh: Effect.succeed(Layer.succeedContext(shared))
      }
      const v = yield* violationOf("PR-24", leaky)
      expect(v.scenarioId).toBe("PR-24")
      expect(v.invariant).toMatch(/^precheck: `fresh` returns a NEW, PRIVATE store on every call/)
      expect(v.message).toContain("`fresh`")
      // Every later scenario fails the same way, before running its own steps.
      const again = yield* violationOf("RP-07", leaky)
      expect(again.invariant).toBe(v.invariant)
    }))

  it.scoped("the natural `Effect.succeed(MemoryBackend.layer())` fails with a message naming `fresh` and the fix", () =>
    Effect.gen(function*() {
      const rebuilt: StorageUnderTest = {
        name: "rebuilt",
        tier: "inline",
        fresh: Effect.succeed(MemoryBackend.layer())
      }
      const v = yield* violationOf("DS-02", rebuilt)
      expect(v.invariant).toMatch(/^precheck: building the layer returned by `fresh` again opens the SAME store/)
      expect(v.invariant).toContain("Layer.succeedContext")
    }))

  it.scoped("a durable backend whose reopen loses data fails with a message naming `fresh`", () =>
    Effect.gen(function*() {
      const forgetful: StorageUnderTest = {
        name: "forgetful",
        tier: "durable",
        fresh: Effect.succeed(MemoryBackend.layer())
      }
      const v = yield* violationOf("PR-01", forgetful)
      expect(v.invariant).toMatch(/^precheck: building the layer returned by `fresh` again reopens the SAME store/)
    }))

  it.scoped("a `fresh` store that already holds rows fails with the emptiness rule", () =>
    Effect.gen(function*() {
      const seeded: StorageUnderTest = {
        name: "seeded",
        tier: "inline",
        fresh: Effect.gen(function*() {
          const ctx = yield* Layer.build(MemoryBackend.layer())
          yield* Context.get(ctx, SessionStore).create({
            sessionId: "left-over" as never,
            relation: { type: "root" },
            policy: { providerId: "", model: { id: "m", limits: { contextWindowTokens: 1 } } }
          })
          yield* Context.get(ctx, SessionStore).enqueue({
            sessionId: "left-over" as never,
            deliveryPolicy: "earliest_safe_boundary",
            slotPolicy: "join",
            mergeKey: { type: "never" },
            availableAtMs: 0,
            payloads: [{ type: "session_command", command: null }]
          })
          return Layer.succeedContext(ctx)
        })
      }
      const v = yield* violationOf("SF-02", seeded)
      expect(v.invariant).toMatch(/^precheck: `fresh` returns a NEW, EMPTY, PRIVATE store/)
      expect(v.actual).toContain("left-over")
    }))

  it.scoped("a correct backend passes the precheck and the scenario", () => runScenarioById("PR-24", memory))
})

describe("verdicts", () => {
  const passed = (scenario: string) => ({ scenario, suite: "S", outcome: "passed" as const, durationMs: 1 })
  const base = { suite: "S", expected: ["A", "B"], strict: false, problems: [] }

  it("conformant when every expected scenario passed", () => {
    expect(verdictOf({ ...base, results: [passed("A"), passed("B")] })).toEqual({
      suite: "S",
      ok: true,
      text: "conformant"
    })
  })

  it("a skip with its reason is reported; strict mode turns it into NOT conformant", () => {
    const results = [passed("A"), {
      scenario: "C",
      suite: "S",
      outcome: "skipped" as const,
      reason: "no leases yet",
      durationMs: 0
    }]
    expect(verdictOf({ ...base, expected: ["A"], results }).text).toBe("conformant with skips (C: no leases yet)")
    const strict = verdictOf({ ...base, expected: ["A"], results, strict: true })
    expect(strict.ok).toBe(false)
    expect(strict.text).toBe("NOT conformant (skipped under strict mode: C: no leases yet)")
  })

  it("n/a scenarios never count as skips", () => {
    const results = [passed("A"), {
      scenario: "D",
      suite: "S",
      outcome: "n/a" as const,
      reason: "durable tier only",
      durationMs: 0
    }]
    expect(verdictOf({ ...base, expected: ["A"], results, strict: true }).text).toBe("conformant")
  })

  it("a failure, a scenario that did not finish, or a configuration problem is NOT conformant", () => {
    const failed = verdictOf({
      ...base,
      results: [{ scenario: "A", suite: "S", outcome: "failed", reason: "x", durationMs: 1 }],
      problems: ["skip names an unknown scenario ZZ-1"]
    })
    expect(failed.ok).toBe(false)
    expect(failed.text).toBe(
      "NOT conformant (failed: A, B (did not finish); configuration: skip names an unknown scenario ZZ-1)"
    )
  })

  it("configuration problems: unknown ids, skips without a reason, crash safety on an inline tier, bad timeouts", () => {
    const known = new Set(catalog.keys())
    expect(configurationProblems(memory, known)).toEqual([])
    const bad: StorageUnderTest = {
      ...memory,
      expectCrashSafety: "power-loss",
      timeoutScale: 0,
      skip: { "PR-24": " ", "ZZ-9": "gone" },
      timeouts: { "PR-01": -1 }
    }
    expect(configurationProblems(bad, known)).toEqual([
      "expectCrashSafety \"power-loss\" is set on an inline tier (inline means no crash safety)",
      "timeoutScale must be a positive number, got 0",
      "skip of PR-24 has no reason",
      "timeouts.PR-01 must be a positive number of milliseconds, got -1",
      "skip names an unknown scenario ZZ-9"
    ])
  })

  it.scoped("X-TIER-2 reports a configuration that contradicts the tier", () =>
    Effect.gen(function*() {
      const v = yield* violationOf("X-TIER-2", { ...memory, expectCrashSafety: "power-loss" })
      expect(v.actual).toContain("inline tier")
    }))
})

describe("timeouts", () => {
  it("scale with timeoutScale; a per-scenario override wins", () => {
    const scenario = catalog.get("PR-06")!
    expect(timeoutOf(scenario, memory)).toBe(30_000)
    expect(timeoutOf(scenario, { ...memory, timeoutScale: 3 })).toBe(90_000)
    expect(timeoutOf(scenario, { ...memory, timeoutScale: 3, timeouts: { "PR-06": 5_000 } })).toBe(5_000)
    expect(timeoutOf(catalog.get("PR-24")!, { ...memory, timeoutScale: 0.5 })).toBe(5_000)
  })
})

describe("a backend's own scenarios", () => {
  const own: Scenario = {
    id: "MEM-1",
    suite: "Backend",
    title: "a session created through one handle exists",
    clock: "test",
    run: (ctx) =>
      Effect.gen(function*() {
        const store = Context.get(ctx.handle, SessionStore)
        const exists = yield* store.exists("never-created" as SessionId)
        yield* ctx.invariant("an unknown session does not exist", !exists, false, exists)
      })
  }

  it.scoped("run by id like the kit's, and a broken one fails with a ConformanceViolation naming it", () =>
    Effect.gen(function*() {
      yield* runScenarioById("MEM-1", { ...memory, scenarios: [own] })
      const lying: Scenario = { ...own, run: (ctx) => ctx.invariant("always broken", false, "ok", "broken") }
      const v = yield* violationOf("MEM-1", { ...memory, scenarios: [lying] })
      expect(v.scenarioId).toBe("MEM-1")
      expect(v.invariant).toBe("always broken")
    }))

  it("an id the kit already uses, or one used twice, is a configuration problem", () => {
    expect(ownScenarioProblems({ ...memory, scenarios: [own] })).toEqual([])
    expect(ownScenarioProblems({ ...memory, scenarios: [{ ...own, id: "PR-01" }, own, own] })).toEqual([
      "the backend's own scenario PR-01 reuses a kit scenario id",
      "the backend's own scenario id MEM-1 is used twice"
    ])
  })
})
