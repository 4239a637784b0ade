/**
 * The runtime's own modules as the language sees them: `triggers.list` / `triggers.cancel` argument shapes checked
 * at link time, `processes.list` present only with the `processes` ability, and the prompt listing each of them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { HostCatalog, type HostEnvironment, LashlangAbilities, link, parse, renderHostSurface } from "../src/index.js"
import { catalog } from "./fixture.js"

// The fixture catalog already has `triggers.register`, identical to the runtime's: adding it again is no conflict.
const base = Either.getOrThrow(HostCatalog.addRuntimeModules(catalog, { processes: true, triggers: true }))
const envWith = (abilities = LashlangAbilities.all): HostEnvironment => ({
  catalog: base,
  abilities: LashlangAbilities.plain(abilities),
  features: { labels: false },
  readOnlyBindings: {}
})

const linkError = (source: string, env = envWith()) =>
  Effect.flip(Effect.flatMap(parse(source), (program) => link(program, env, { globals: new Map() })))
const links = (source: string, env = envWith()) =>
  Effect.flatMap(parse(source), (program) => link(program, env, { globals: new Map() }))

describe("runtime modules", () => {
  it.effect("triggers.list takes one record literal with known keys; triggers.cancel takes { handle }", () =>
    Effect.gen(function*() {
      yield* links("ts = await triggers.list({})?")
      yield* links("ts = await triggers.list({ name: \"daily\", enabled: true, source_type: \"clock.Alarm\" })?")
      yield* links("ok = await triggers.cancel({ handle: \"trigger:1\" })?")
      expect(yield* linkError("ts = await triggers.list({ owner: \"x\" })")).toMatchObject({
        kind: "InvalidTriggerList"
      })
      expect(yield* linkError("f = {}\nts = await triggers.list(f)")).toMatchObject({ kind: "InvalidTriggerList" })
      expect(yield* linkError("ok = await triggers.cancel({ id: \"trigger:1\" })")).toMatchObject({
        kind: "InvalidTriggerCancel",
        message: "trigger cancellation requires { handle }"
      })
      expect(yield* linkError("ok = await triggers.cancel({ handle: 1, name: 2 })")).toMatchObject({
        kind: "InvalidTriggerCancel"
      })
      // The declared input types still apply: `enabled` is a bool.
      expect(yield* linkError("ts = await triggers.list({ enabled: \"yes\" })")).toMatchObject({
        kind: "IncompatibleOperationInput"
      })
    }))

  it.effect("processes.list exists only with the processes ability; its status filter is an enum", () =>
    Effect.gen(function*() {
      yield* links("ps = await processes.list({ status: \"running\" })?\nsubmit ps[0].id")
      const noProcesses = Either.getOrThrow(
        HostCatalog.addRuntimeModules(catalog, { processes: false, triggers: true })
      )
      const env: HostEnvironment = { ...envWith(), catalog: noProcesses }
      expect((yield* linkError("ps = await processes.list({})", env))._tag).toBe("LashlangLinkError")
    }))

  it("the prompt lists each runtime module operation with its types", () => {
    const surface = renderHostSurface(envWith())
    expect(surface).toContain("`await triggers.list(")
    expect(surface).toContain("`await triggers.cancel({ handle: any })?` -> bool")
    expect(surface).toContain("`await processes.list(")
  })
})
