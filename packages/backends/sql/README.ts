// The example of README.md, type-checked by `pnpm check` (scripts/test/readmes.test.ts keeps the two identical).
import { SqlClient } from "@effect/sql"
import { SqlDialect, SqlDriver } from "@lash/backend-sql"
import { type LashStorage, StorageEngine, type StorageSignals, StoreUnavailable } from "@lash/core"
import { Effect, type Layer } from "effect"

// A unit on the client's own transactions, handing the body the transaction's connection. Enough for one process
// on one SQLite connection; @lash/backend-sqlite runs `BEGIN IMMEDIATE` units instead, so that several processes can
// share a file, and retries contention.
const unit = (sql: SqlClient.SqlClient): SqlDriver.SqlUnits["write"] => (name, body) =>
  sql.withTransaction(
    Effect.flatMap(Effect.serviceOptional(SqlClient.TransactionConnection), ([connection]) => body(connection))
  ).pipe(
    Effect.catchTag("NoSuchElementException", (cause) => Effect.die(cause)),
    Effect.catchTag("SqlError", (cause) => Effect.fail(new StoreUnavailable({ port: name.port, cause })))
  )

// Every storage port over any SqlClient whose database has lash's schema (docs/storage-drivers.md).
export const SqlStorage: Layer.Layer<LashStorage | StorageSignals, never, SqlClient.SqlClient> = StorageEngine.layer(
  Effect.map(SqlClient.SqlClient, (sql) =>
    SqlDriver.make({
      name: "my-sql",
      tier: "durable",
      dialect: SqlDialect.sqlite,
      units: { read: unit(sql), write: unit(sql) },
      durabilityReport: Effect.succeed({ mechanism: "sqlite", crashSafety: "process-crash", details: {} })
    }))
)
