/**
 * Leases on the database clock: two handles on one schema stand in for two machines. The first handle's host clock is
 * years behind (`TestClock`); its leases still expire by the server's clock, so the second handle neither steals a
 * live lease nor waits past its expiry. With the host clock (`clock: "host"`, the seam the conformance kit uses) the
 * same skew lets the second handle take a lease at once: the control that shows the test can fail.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ProcessId, ProcessRegistry } from "@lash/core"
import { Context, Effect, Layer, TestClock } from "effect"
import { engineRegistration } from "../../sqlite/test/helpers.js"
import { PostgresBackend } from "../src/index.js"

const SKEWED = Date.UTC(2020, 0, 1)

const twoMachines = (skewedClock: "database" | "host") =>
  Effect.gen(function*() {
    const db = yield* PostgresBackend.testing.reopenable()
    const skewed = Context.get(
      yield* Layer.build(PostgresBackend.layerWithInternals(
        { url: PostgresBackend.testing.url(), schema: db.schema, poolSize: 2 },
        { clock: skewedClock }
      )),
      ProcessRegistry
    )
    const onTime = Context.get(yield* Layer.build(db.open()), ProcessRegistry)
    return { skewed, onTime }
  })

/** Real time passing while `TestClock` stands still. */
const wallSleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("leases on the database clock", () => {
  it.scoped("a host clock years behind neither shortens nor stretches a lease", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(SKEWED)
      const { onTime, skewed } = yield* twoMachines("database")
      const id = "clock-1" as ProcessId
      yield* skewed.register(engineRegistration(id))
      const first = yield* skewed.claimLease(id, "skewed", 1_500)
      const early = yield* Effect.either(onTime.claimLease(id, "on-time", 1_500))
      expect(early._tag === "Left" && early.left._tag, "the live lease is held").toBe("LeaseHeld")
      // The skewed host's clock does not move at all (TestClock); the server's does, and the lease expires by it.
      yield* wallSleep(1_800)
      const second = yield* onTime.claimLease(id, "on-time", 1_500)
      expect(second.fencingToken, "the expired lease was taken over with a higher fence").toBeGreaterThan(
        first.fencingToken
      )
      const late = yield* Effect.either(skewed.renewLease(first, 1_500))
      expect(late._tag, "the old owner cannot renew").toBe("Left")
    }))

  it.scoped("control: with the host clock the same skew hands a live lease to another machine", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(SKEWED)
      const { onTime, skewed } = yield* twoMachines("host")
      const id = "clock-2" as ProcessId
      yield* skewed.register(engineRegistration(id))
      yield* skewed.claimLease(id, "skewed", 60_000)
      const stolen = yield* Effect.either(onTime.claimLease(id, "on-time", 1_500))
      expect(stolen._tag, "a lease written with a clock years behind looks long expired").toBe("Right")
    }))
})
