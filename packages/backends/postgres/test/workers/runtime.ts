/**
 * The runtime the multi-worker tests (and bench B6) share between the parent and its worker OS processes: a LashCore
 * over a Postgres schema with one tool, `mark`, that records each execution as a row of `lash_markers` (from its own
 * connection, so a marker survives whatever happens to the process afterwards), waits `delayMs` (simulated I/O), and
 * echoes its label.
 */
import {
  defineTool,
  type EnvRef,
  InlineEffectController,
  LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type LashStorage,
  ProcessRegistration,
  type StorageSignals,
  type ToolProvider
} from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Schedule, Schema } from "effect"
import { randomUUID } from "node:crypto"
import * as Pg from "pg"

/** The model every core names (no model is ever called: `tool_call` processes run their tool directly). */
export const model = { id: "workers-model", limits: { contextWindowTokens: 4096 } }

/** The process env of every registered process. */
export const emptyEnv = { pluginOptions: { plugins: {} }, policy: { model, providerId: "" } }

/** The side table of tool executions, one row per execution (its random id the key). */
export const MARKERS_DDL =
  "CREATE TABLE IF NOT EXISTS lash_markers (execution text PRIMARY KEY, process_id text COLLATE \"C\" NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"

/** A `tool_call` registration of `mark`. */
export const markRegistration = (id: string, envRef: EnvRef) =>
  ProcessRegistration.toolCall({ id, toolName: "mark", args: { label: id }, envRef })

/**
 * `mark({label})`: inserts a marker row for `label` as `worker`, waits `delayMs`, returns `{label}`. The insert is
 * tried again (every 200 ms, for a minute) until it is stored, keyed by the execution's random id so a retry after a
 * lost `COMMIT` stores it once: a server restart must not turn the tool's side effect into a tool failure.
 */
export const markTool = (pool: Pg.Pool, worker: string, delayMs: number) =>
  defineTool({
    name: "mark",
    description: "Records that it ran, then waits",
    input: Schema.Struct({ label: Schema.String }),
    output: Schema.Struct({ label: Schema.String }),
    execute: ({ label }) =>
      Effect.gen(function*() {
        const execution = randomUUID()
        yield* Effect.tryPromise(() =>
          pool.query(
            "INSERT INTO lash_markers (execution, process_id, worker) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [execution, label, worker]
          )
        ).pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 300 }), Effect.orDie)
        if (delayMs > 0) yield* Effect.sleep(delayMs)
        return { label }
      })
  })

/**
 * A pool for the markers of one worker (its own connections, in the schema, named `applicationName` in
 * `pg_stat_activity`), ended with the scope.
 */
export const markerPool = (url: string, schema: string, applicationName = "lash-markers") =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new Pg.Pool({
        connectionString: url,
        max: 2,
        options: `-c search_path=${schema}`,
        application_name: applicationName
      })
      pool.on("error", () => undefined)
      return pool
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined))
  )

/** A core over `storage` with the `mark` tool; `worker` options as given (disabled when absent). */
export const workersCore = (
  storage: Layer.Layer<LashStorage | StorageSignals, unknown>,
  tools: ReadonlyArray<ToolProvider>,
  worker: LashCoreConfig["worker"] | undefined
) =>
  LashCore.layer({ mode: "standard", model, tools, worker: worker ?? { enabled: false } }).pipe(
    Layer.provide(
      Layer.mergeAll(
        LanguageModelProvider.single(TestProvider.builder().build()),
        InlineEffectController.layer,
        storage
      )
    )
  )
