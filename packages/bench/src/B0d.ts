/**
 * B0d, the physical floor of B2's own workload: the write units a B2 process runs (register with its claim, then
 * the terminal write), with exactly the statements and values the engine ran, replayed through raw better-sqlite3
 * prepared statements on a fresh lash database at each `synchronous` level. B2 / B0d is what lash adds over writing a
 * process's rows by hand; B0d / B0a is what the rows themselves cost.
 *
 * Unlike B0c (written by hand after the turn commit's statement list), the statements are recorded from a real B2
 * run: every statement the SQLite client executes is captured while B2 runs at NORMAL, so B0d follows the engine when
 * its statements change. Each write unit (`BEGIN IMMEDIATE` … `COMMIT`) is attributed to the process whose id is
 * among its values; only those are replayed: not the units of no process (the migrations, the env) nor read units
 * (a signal poll).
 */
import { SqliteBackend } from "@lash/backend-sqlite"
import Database from "better-sqlite3"
import { rawLashDatabase } from "./B0.js"
import { b2On } from "./B2.js"
import { tempDir } from "./Fixtures.js"
import { type Result, summarize } from "./Stats.js"

/** One statement call as the client made it. */
export interface Call {
  readonly sql: string
  readonly method: "run" | "get" | "all"
  readonly values: ReadonlyArray<unknown>
}

/** A write unit and the B2 process it belongs to (undefined: none). */
export interface WriteUnit {
  readonly process: string | undefined
  readonly calls: ReadonlyArray<Call>
}

type StatementMethods = Record<Call["method"], (...values: Array<unknown>) => unknown>
type Prepare = (this: Database.Database, sql: string) => Database.Statement

/** Runs `record` with every statement that better-sqlite3 prepares meanwhile wrapped to log its calls. */
const recording = async <A>(record: () => Promise<A>): Promise<{ readonly value: A; readonly calls: Array<Call> }> => {
  const calls: Array<Call> = []
  const proto = Database.prototype as unknown as { prepare: Prepare }
  const prepare = proto.prepare
  proto.prepare = function(this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql)
    const methods = statement as unknown as StatementMethods
    for (const method of ["run", "get", "all"] as const) {
      const original = methods[method].bind(statement)
      methods[method] = (...values: Array<unknown>) => {
        calls.push({ sql, method, values })
        return original(...values)
      }
    }
    return statement
  }
  try {
    return { value: await record(), calls }
  } finally {
    proto.prepare = prepare
  }
}

const isBegin = (sql: string) => /^\s*BEGIN/i.test(sql)
const isEnd = (sql: string) => /^\s*(COMMIT|ROLLBACK)/i.test(sql)

/** The write units of a call log, each with the B2 process id (`b2-seq-<k>`) found among its values. */
const writeUnits = (calls: ReadonlyArray<Call>): Array<WriteUnit> => {
  const units: Array<WriteUnit> = []
  let open: Array<Call> | undefined
  for (const call of calls) {
    if (isBegin(call.sql)) open = [call]
    else if (open !== undefined) {
      open.push(call)
      if (isEnd(call.sql)) {
        if (/IMMEDIATE/i.test(open[0]!.sql)) {
          const id = open.flatMap((c) => c.values).find((v) => typeof v === "string" && /^b2-seq-\d+$/.test(v))
          units.push({ process: id as string | undefined, calls: open })
        }
        open = undefined
      }
    }
  }
  return units
}

/** The recorded write units of `processes` sequential B2 processes (no warm-up of their own: the replay has one). */
export const recordB2 = async (processes: number): Promise<ReadonlyArray<WriteUnit>> => {
  const tmp = tempDir("b0d-record")
  try {
    const { calls } = await recording(() =>
      b2On(SqliteBackend.layer({ filename: tmp.file("lash.db"), synchronous: "normal" }), processes, 0)
    )
    return writeUnits(calls)
  } finally {
    tmp.dispose()
  }
}

/**
 * Replays recorded write units on a fresh lash database at `synchronous`; a sample is one process's units (each
 * timed from its `BEGIN` to its `COMMIT`, summed). The first `warmup` processes are not sampled.
 */
export const b0d = async (
  units: ReadonlyArray<WriteUnit>,
  synchronous: "full" | "normal",
  warmup: number
): Promise<Result & { readonly unitsPerProcess: number }> => {
  const tmp = tempDir("b0d")
  const file = tmp.file("lash.db")
  try {
    const db = await rawLashDatabase(file, synchronous)
    const prepared = new Map<string, StatementMethods>()
    const statement = (sql: string) => {
      let s = prepared.get(sql)
      if (s === undefined) {
        s = db.prepare(sql) as unknown as StatementMethods
        prepared.set(sql, s)
      }
      return s
    }
    const perProcess = new Map<string, number>()
    for (const unit of units) {
      if (unit.process === undefined) continue
      const t0 = process.hrtime.bigint()
      for (const call of unit.calls) statement(call.sql)[call.method](...call.values)
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      perProcess.set(unit.process, (perProcess.get(unit.process) ?? 0) + ms)
    }
    db.close()
    const sampled = [...perProcess.entries()].filter(([id]) => Number(id.slice("b2-seq-".length)) >= warmup)
    const processUnits = units.filter((u) => u.process !== undefined).length
    return {
      id: "B0d",
      variant: `sqlite/${synchronous} B2 rows raw`,
      unit: "ms",
      summary: summarize(sampled.map(([, ms]) => ms)),
      unitsPerProcess: processUnits / perProcess.size
    }
  } finally {
    tmp.dispose()
  }
}
