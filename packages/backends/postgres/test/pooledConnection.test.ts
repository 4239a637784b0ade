/**
 * Units on a pooled client reuse one `Connection` (src/Units.ts, `pooledConnections`), so the SQL driver builds its
 * statements once per client (packages/backends/sql/src/SqlDriver.ts, `transactionsOf`), not once per unit: with a
 * fresh `Connection` per unit every unit compiled and closed over all statements of both transactions again (about
 * 1 MB of garbage per turn commit, docs/performance.md, Postgres section). The statements built on the first unit
 * still run on the lease of each later unit.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlDialect, SqlDriver } from "@lash/backend-sql"
import { Effect } from "effect"
import { PostgresBackend } from "../src/index.js"
import * as Open from "../src/Open.js"
import * as Options from "../src/Options.js"
import * as Units from "../src/Units.js"

const driverOn = (poolSize: number) =>
  Effect.gen(function*() {
    const schema = yield* PostgresBackend.testing.schema()
    const resolved = yield* Options.resolve({ url: PostgresBackend.testing.url(), schema, poolSize })
    const pool = yield* Open.makePool(resolved.pool)
    yield* Open.migrate(pool, schema)
    const postgres = SqlDialect.postgres()
    let compiled = 0
    const dialect: SqlDialect.SqlDialect = {
      ...postgres,
      compile: (text) => {
        compiled++
        return postgres.compile(text)
      }
    }
    const units = Units.make({ pool, poolSize, connectTimeoutMs: 10_000 }, dialect)
    const driver = SqlDriver.make({
      name: "postgres",
      tier: "durable",
      dialect,
      units,
      durabilityReport: Effect.die("not used")
    })
    return { driver, compiled: () => compiled }
  })

const unit = { port: "test", operation: "pooledConnection" }

describe("a pooled client's connection", () => {
  it.scoped("units on one client build the statements once and run them on their own lease", () =>
    Effect.gen(function*() {
      const { compiled, driver } = yield* driverOn(1)
      const first = yield* driver.write(unit, (tx) => tx.now)
      const afterFirst = compiled()
      expect(afterFirst, "the first unit built the statements").toBeGreaterThan(0)
      for (let i = 0; i < 5; i++) {
        const now = yield* driver.write(unit, (tx) => tx.now)
        expect(now).toBeGreaterThanOrEqual(first)
        const read = yield* driver.read(unit, (tx) => tx.sessions.read("missing"))
        expect(read).toBeUndefined()
      }
      expect(compiled(), "later units on the same client compiled nothing").toBe(afterFirst)
    }))

  it.scopedLive("concurrent units on two clients each run on their own connection", () =>
    Effect.gen(function*() {
      const { compiled, driver } = yield* driverOn(2)
      const both = () =>
        Effect.all([
          driver.write(unit, (tx) => Effect.zipRight(Effect.sleep("50 millis"), tx.now)),
          driver.write(unit, (tx) => Effect.zipRight(Effect.sleep("50 millis"), tx.now))
        ], { concurrency: 2 })
      yield* both()
      const afterTwoClients = compiled()
      for (let i = 0; i < 3; i++) {
        const [a, b] = yield* both()
        expect(a).toBeGreaterThan(0)
        expect(b).toBeGreaterThan(0)
      }
      expect(compiled(), "each client built its statements once").toBe(afterTwoClients)
    }))
})
