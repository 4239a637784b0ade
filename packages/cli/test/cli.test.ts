/**
 * The `lash` executable, built and spawned, against a store the tests fill through lash (sessions, processes running
 * and terminal, triggers, queued work), a store with corrupt rows, and every kind of bad input. Each test checks the
 * output and the exit code (docs/operations.md, "Exit codes").
 */
import { SqliteBackend, SqliteBackendInternals } from "@lash/backend-sqlite"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fillCorruptStore, fillStore, sqliteStore } from "./fill.js"
import { build, json, lash } from "./lash.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-cli-"))
const store = path.join(dir, "store.db")
const corrupt = path.join(dir, "corrupt.db")
/** Every test spawns the CLI several times; a busy machine makes each start take seconds. */
const slow = { timeout: 300_000 }
const at = (...args: ReadonlyArray<string>) => lash([...args, "--store", store])

beforeAll(async () => {
  await build()
  await fillStore(sqliteStore(store))
  await fillCorruptStore(sqliteStore(corrupt))
}, 600_000)

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("sessions", slow, () => {
  it("list: newest activity first, with revision, turns, nodes and model", async () => {
    const result = await at("sessions", "list")
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^SESSION\s+REVISION\s+TURNS\s+NODES\s+MODEL\s+LAST ACTIVITY$/)
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 5))).toEqual([
      ["gamma", "0", "0", "0", "cli-model"],
      ["beta", "1", "1", "3", "cli-model"],
      ["alpha", "2", "2", "6", "cli-model"]
    ])
  })

  it("list pages with --limit and --after; --json carries the cursor", async () => {
    const first = json(await at("sessions", "list", "--limit", "2", "--json"))
    expect(first.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(["gamma", "beta"])
    expect(first.next).toMatch(/^\d+:beta$/)
    const human = await at("sessions", "list", "--limit", "2")
    expect(human.stdout).toContain(`more: lash sessions list --after ${first.next}`)
    const second = json(await at("sessions", "list", "--limit", "2", "--after", first.next, "--json"))
    expect(second).toMatchObject({ next: null, sessions: [{ sessionId: "alpha", headRevision: 2, turns: 2 }] })
  })

  it("show: the transcript turn by turn; --turn N only that turn", async () => {
    const result = await at("sessions", "show", "alpha")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/session\s+alpha/)
    const transcript = result.stdout.slice(result.stdout.indexOf("── turn 1"))
    expect(transcript.replace(/ · [^─]+ ──/g, " ──")).toBe(
      "── turn 1 ──\nuser: hello alpha\nassistant: reply to hello alpha\n\n" +
        "── turn 2 ──\nuser: second alpha\nassistant: reply to second alpha\n"
    )
    const second = await at("sessions", "show", "alpha", "--turn", "2")
    expect(second.stdout).toContain("user: second alpha")
    expect(second.stdout).not.toContain("hello alpha")
    const asJson = json(await at("sessions", "show", "alpha", "--turn", "1", "--json"))
    expect(asJson).toMatchObject({ sessionId: "alpha", headRevision: 2, turns: 2, model: "cli-model" })
    expect(asJson.transcript).toHaveLength(1)
    expect(asJson.transcript[0].messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"])
  })

  it("show: an unknown session or turn exits 4 with one line", async () => {
    const unknown = await at("sessions", "show", "nobody")
    expect(unknown).toMatchObject({ code: 4, stdout: "", stderr: "lash: no session nobody\n" })
    const turn = await at("sessions", "show", "alpha", "--turn", "9")
    expect(turn).toMatchObject({ code: 4, stderr: "lash: session alpha has 2 turns; there is no turn 9\n" })
  })
})

describe("processes", slow, () => {
  const ids = async (...filter: ReadonlyArray<string>) =>
    json(await at("processes", "list", "--json", ...filter)).processes.map((p: { id: string }) => p.id)

  it("list, filtered by --status, --session and --kind", async () => {
    const table = await at("processes", "list")
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/proc-failed\s+external\s+failed\s+beta\s+\S+ \S+\s+tool_error: the tool broke/)
    expect(await ids()).toEqual(["proc-done", "proc-failed", "proc-leased", "proc-waiting"])
    expect(await ids("--status", "running")).toEqual(["proc-leased", "proc-waiting"])
    expect(await ids("--status", "terminal")).toEqual(["proc-done", "proc-failed"])
    expect(await ids("--status", "completed")).toEqual(["proc-done"])
    expect(await ids("--status", "failed")).toEqual(["proc-failed"])
    expect(await ids("--session", "alpha")).toEqual(["proc-done", "proc-waiting"])
    expect(await ids("--kind", "cli-test")).toEqual(["proc-leased"])
  })

  it("show: registration, status, lease owner, fencing token and expiry", async () => {
    const result = await at("processes", "show", "proc-leased")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/lease owner\s+worker-7/)
    expect(result.stdout).toMatch(/fencing token\s+1/)
    expect(result.stdout).toMatch(/lease expires\s+\S+ \S+ \(live\)/)
    expect(result.stdout).toMatch(/started by\s+session gamma/)
    const done = json(await at("processes", "show", "proc-done", "--json"))
    expect(done.record.status).toEqual({ state: "completed", awaitOutput: { type: "success", value: { answer: 42 } } })
    expect(done.lease.ownerId).toBeNull()
  })

  it("events: the log; --follow prints until the process is terminal", async () => {
    const table = await at("processes", "events", "proc-waiting")
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/1\s+progress\s+\S+ \S+\s+\{"line":"step 1"\}/)
    expect(table.stdout).toMatch(/2\s+progress\s+\S+ \S+\s+\{"line":"step 2"\}/)
    const after = json(await at("processes", "events", "proc-waiting", "--after", "1", "--json"))
    expect(after.events.map((e: { sequence: number }) => e.sequence)).toEqual([2])
    const follow = await at("processes", "events", "proc-done", "--follow", "--json")
    expect(follow.code).toBe(0)
    const lines = follow.stdout.trim().split("\n").map((line) => JSON.parse(line) as { eventType: string })
    expect(lines.map((e) => e.eventType)).toEqual(["process.completed"])
  })

  it("an unknown process exits 4", async () => {
    for (const command of [["show"], ["events"], ["cancel", "--yes"]]) {
      const result = await at("processes", command[0]!, "no-such-process", ...command.slice(1))
      expect(result).toMatchObject({ code: 4, stderr: "lash: no process no-such-process\n" })
    }
  })
})

describe("triggers and queued work", slow, () => {
  it("triggers list, and --session", async () => {
    const result = await at("triggers", "list")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/alpha button\s+ui\.button\.pressed\s+.*alpha\s+enabled/)
    expect(result.stdout).toMatch(/beta button\s+ui\.button\.pressed\s+.*beta\s+disabled/)
    const beta = json(await at("triggers", "list", "--session", "beta", "--json"))
    expect(beta.triggers.map((t: { name: string; enabled: boolean }) => [t.name, t.enabled])).toEqual([
      ["beta button", false]
    ])
  })

  it("queue: open batches in order with their claims; an unknown session exits 4", async () => {
    const result = json(await at("queue", "beta", "--json"))
    expect(result.batches.map((b: { batch: { sourceKey: string }; claimState: string }) => [
      b.batch.sourceKey,
      b.claimState
    ])).toEqual([["source-1", "claimed"], ["source-2", "unclaimed"]])
    const table = await at("queue", "beta")
    expect(table.stdout).toMatch(/1\s+\S+\s+1\s+source-1\s+\S+ \S+\s+claimed/)
    expect(await at("queue", "alpha")).toMatchObject({ code: 0, stdout: "no queued work for session alpha\n" })
    expect(await at("queue", "nobody")).toMatchObject({ code: 4, stderr: "lash: no session nobody\n" })
  })
})

describe("store", slow, () => {
  it("check: a healthy store has no problems (exit 0); --progress draws the bar", async () => {
    const result = await at("store", "check", "--progress")
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      "checked 3 sessions (9 nodes, 2 open batches), 4 processes (4 events), 2 trigger subscriptions: no problems\n"
    )
    expect(result.stderr).toContain("checking [##############################] 9/9")
  })

  it("stats", async () => {
    const result = json(await at("store", "stats", "--json"))
    expect(result).toMatchObject({
      backend: "sqlite",
      tier: "durable",
      counts: {
        sessions: 3,
        graphNodes: 9,
        openQueuedBatches: 2,
        processesRunning: 2,
        processesTerminal: 2,
        processEvents: 4,
        triggerSubscriptions: 2
      }
    })
  })

  it("check: corrupt rows are named by key and exit 1; other commands keep working", async () => {
    const check = await lash(["store", "check", "--store", corrupt])
    expect(check.code).toBe(1)
    expect(check.stdout).toMatch(/^session:broken\/node:1\s+does not decode: invalid JSON/m)
    expect(check.stdout).toMatch(/^session:broken-head\s+does not decode/m)
    expect(check.stdout).toMatch(/^process:proc-corrupt\s+does not decode/m)
    expect(check.stderr).toBe("lash: 6 problems found\n")
    const report = json(await lash(["store", "check", "--json", "--store", corrupt]))
    expect(report.ok).toBe(false)
    expect(report.problems.map((p: { key: string }) => p.key).sort()).toEqual([
      "process:proc-corrupt",
      expect.stringMatching(/^session:aside\/batch:qwb:/),
      "session:broken-head",
      "session:broken/node:1",
      expect.stringMatching(/^session:fine\/batch:qwb:/),
      "subscription:subscription:1"
    ])
    const list = await lash(["sessions", "list", "--store", corrupt])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/broken-head\s+1\s+\?\s+3\s+corrupt/)
    const show = await lash(["sessions", "show", "broken", "--store", corrupt])
    expect(show.code).toBe(5)
    expect(show.stderr).toMatch(/^lash: corrupt row session:broken\/node:1: invalid JSON.*lash store check/)
    const processes = json(await lash(["processes", "list", "--json", "--store", corrupt]))
    expect(processes.processes.map((p: { id: string }) => p.id)).toEqual(["proc-fine"])
    // The row that does not decode is named, with its key and reason, not silently left out.
    expect(processes.unreadable).toMatchObject([
      { processId: "proc-corrupt", key: "process:proc-corrupt", port: "ProcessRegistry", quarantined: false }
    ])
    const table = await lash(["processes", "list", "--store", corrupt])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^proc-corrupt\s+\?\s+corrupt\s+\?\s+process:proc-corrupt: /m)
    const triggers = json(await lash(["triggers", "list", "--json", "--store", corrupt]))
    expect(triggers.triggers).toEqual([])
    expect(triggers.unreadable).toMatchObject([
      { handle: expect.any(String), subscriptionId: "subscription:1", key: "subscription:subscription:1" }
    ])
    const triggerTable = await lash(["triggers", "list", "--store", corrupt])
    expect(triggerTable.code).toBe(0)
    expect(triggerTable.stdout).toMatch(/subscription:subscription:1: .*corrupt/)
    // lash queue names the batch it cannot read next to the readable one (was: exit 5 on the whole session).
    const queue = json(await lash(["queue", "fine", "--json", "--store", corrupt]))
    expect(queue.batches.map((b: { batch: { sourceKey: string } }) => b.batch.sourceKey)).toEqual(["source-fine"])
    expect(queue.unreadable).toMatchObject([{
      sourceKey: "source-bad",
      port: "SessionStore",
      key: expect.stringMatching(/^session:fine\/batch:qwb:/),
      issue: expect.any(String),
      setAside: false
    }])
    const queueTable = await lash(["queue", "fine", "--store", corrupt])
    expect(queueTable.code).toBe(0)
    const rows = queueTable.stdout.trim().split("\n").slice(1)
    expect(rows).toHaveLength(2)
    // In enqueue order: the corrupt batch first, named by key, then the readable one.
    expect(rows[0]).toMatch(/^\d+\s+qwb:\S+\s+\?\s+source-bad\s+\?\s+corrupt\s+session:fine\/batch:qwb:\S+: /)
    expect(rows[1]).toMatch(/source-fine\s+.*unclaimed/)
    // A batch a claim met and set aside says so (it is never claimed again), in the table and in JSON.
    const aside = json(await lash(["queue", "aside", "--json", "--store", corrupt]))
    expect(aside.batches).toEqual([])
    expect(aside.unreadable).toMatchObject([{ sourceKey: "source-aside", setAside: true }])
    const asideTable = await lash(["queue", "aside", "--store", corrupt])
    expect(asideTable.stdout.trim().split("\n")[1]).toMatch(
      /^\d+\s+qwb:\S+\s+\?\s+source-aside\s+\?\s+set aside\s+session:aside\/batch:qwb:\S+: /
    )
  })

  it("migrate: creates a new store, and brings an old one up to date; read commands refuse the old one", async () => {
    const fresh = path.join(dir, "new", "fresh.db")
    const created = await lash(["store", "migrate", "--store", `sqlite:${fresh}`])
    expect(created).toMatchObject({ code: 0, stdout: `created ${fresh} at schema migration 2\n` })
    expect(await lash(["store", "migrate", "--store", fresh])).toMatchObject({
      code: 0,
      stdout: `${fresh} is at schema migration 2; nothing to do\n`
    })
    // Back to the first schema: a store from before the sessions-activity index (migration 2).
    await Effect.runPromise(
      Effect.flatMap(SqliteBackendInternals, (internals) =>
        Effect.zipRight(
          internals.sql.unsafe("DROP INDEX lash_sessions_activity"),
          internals.sql.unsafe("DELETE FROM lash_migrations WHERE migration_id = 2")
        )).pipe(Effect.provide(SqliteBackend.layerWithInternals({ filename: fresh })))
    )
    const refused = await lash(["sessions", "list", "--store", fresh])
    expect(refused).toMatchObject({
      code: 3,
      stderr: `lash: ${fresh} is at schema migration 1, this CLI reads 2: run lash store migrate first\n`
    })
    expect(json(await lash(["store", "migrate", "--json", "--store", fresh]))).toEqual({
      store: fresh,
      created: false,
      from: 1,
      to: 2
    })
    expect(await lash(["sessions", "list", "--store", fresh])).toMatchObject({ code: 0, stdout: "no sessions\n" })
  })
})

describe("cancel (the one write)", slow, () => {
  it("refuses without --yes and changes nothing", async () => {
    const result = await at("processes", "cancel", "proc-waiting")
    expect(result).toMatchObject({
      code: 2,
      stderr: "lash: lash processes cancel changes the store: add --yes to cancel proc-waiting\n"
    })
    expect(json(await at("processes", "show", "proc-waiting", "--json")).record.status.state).toBe("running")
  })

  it("cancels an external process; asks the worker of a leased one; a terminal one is left alone", async () => {
    expect(json(await at("processes", "cancel", "proc-waiting", "--yes", "--json"))).toEqual({
      processId: "proc-waiting",
      action: "cancelled",
      state: "running"
    })
    expect(json(await at("processes", "show", "proc-waiting", "--json")).record.status).toEqual({
      state: "cancelled",
      awaitOutput: { type: "cancelled", message: "cancelled with lash processes cancel" }
    })
    const leased = await at("processes", "cancel", "proc-leased", "-y", "--reason", "operator says stop")
    expect(leased.stdout).toBe(
      "cancel requested for proc-leased: the worker running it stops it and records it cancelled\n"
    )
    const events = json(await at("processes", "events", "proc-leased", "--json")).events
    expect(events.map((e: { eventType: string; payload: unknown }) => [e.eventType, e.payload])).toEqual([
      ["process.cancel_requested", { reason: "operator says stop" }]
    ])
    expect(await at("processes", "cancel", "proc-done", "--yes")).toMatchObject({
      code: 0,
      stdout: "process proc-done is already completed; nothing to cancel\n"
    })
  })
})

describe("bad input: one line on stderr, a non-zero exit code", slow, () => {
  it("an unknown store scheme exits 2", async () => {
    const result = await lash(["sessions", "list", "--store", "redis://localhost/0"])
    expect(result).toMatchObject({ code: 2, stdout: "" })
    expect(result.stderr).toBe(
      `lash: --store redis://localhost/0: unknown store scheme "redis:" (known: sqlite:PATH, file:PATH, a plain path, postgres://…)\n`
    )
  })

  it("a missing file exits 3 and is not created", async () => {
    const missing = path.join(dir, "nowhere", "missing.db")
    for (const command of [["sessions", "list"], ["store", "check"], ["store", "stats"], ["processes", "list"]]) {
      const result = await lash([...command, "--store", missing])
      expect(result).toMatchObject({
        code: 3,
        stderr: `lash: no store at ${missing} (read commands never create one; lash store migrate does)\n`
      })
    }
    expect(fs.existsSync(path.dirname(missing))).toBe(false)
  })

  it("a file that is not a lash database exits 3 and is left as it was", async () => {
    const text = path.join(dir, "notes.txt")
    fs.writeFileSync(text, "hello")
    const empty = path.join(dir, "empty.db")
    fs.writeFileSync(empty, "")
    const foreign = path.join(dir, "foreign.db")
    await Effect.runPromise(
      Effect.flatMap(SqliteBackendInternals, (i) => i.sql.unsafe("CREATE TABLE other (x INTEGER)")).pipe(
        Effect.provide(SqliteBackend.layerWithInternals({ filename: foreign }))
      )
    )
    const cases: ReadonlyArray<readonly [string, string]> = [
      [text, `lash: ${text} is not a lash database (not a SQLite file)\n`],
      [empty, `lash: ${empty} is not a lash database (an empty file)\n`],
      [`sqlite://${text}`, `lash: ${text} is not a lash database (not a SQLite file)\n`]
    ]
    for (const [location, stderr] of cases) {
      expect(await lash(["sessions", "list", "--store", location])).toMatchObject({ code: 3, stderr })
    }
    expect(fs.readFileSync(text, "utf8")).toBe("hello")
    expect(fs.statSync(empty).size).toBe(0)
    // A lash file whose lash_meta says another format (a foreign database that happens to have the table).
    await Effect.runPromise(
      Effect.flatMap(
        SqliteBackendInternals,
        (i) => i.sql.unsafe("UPDATE lash_meta SET value = 'other' WHERE key = 'format'")
      )
        .pipe(Effect.provide(SqliteBackend.layerWithInternals({ filename: foreign })))
    ).catch(() => undefined)
    const result = await lash(["sessions", "list", "--store", foreign])
    expect(result.code).toBe(3)
    expect(result.stderr).toBe(`lash: ${foreign} is not a lash database (lash_meta.format is not lash-storage)\n`)
  })

  it("a store written by a newer lash exits 3", async () => {
    const newer = path.join(dir, "newer.db")
    await Effect.runPromise(
      Effect.flatMap(
        SqliteBackendInternals,
        (i) => i.sql.unsafe("INSERT INTO lash_migrations (migration_id, name) VALUES (99, 'from_the_future')")
      ).pipe(
        Effect.provide(SqliteBackend.layerWithInternals({ filename: newer }))
      )
    )
    for (const command of [["sessions", "list"], ["store", "migrate"]]) {
      expect(await lash([...command, "--store", newer])).toMatchObject({
        code: 3,
        stderr:
          `lash: ${newer} was written by a newer lash (schema migration 99; this CLI knows up to 2): upgrade @lash/cli\n`
      })
    }
  })

  it("no --store and no LASH_STORE exits 2; LASH_STORE names the store", async () => {
    const missing = await lash(["sessions", "list"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("--store")
    const fromEnv = await lash(["sessions", "list", "--json"], { LASH_STORE: `sqlite:${store}` })
    expect(fromEnv.code).toBe(0)
    expect(json(fromEnv).sessions).toHaveLength(3)
  })

  it("bad option values and unknown commands exit 2", async () => {
    expect(await at("sessions", "list", "--limit", "0")).toMatchObject({
      code: 2,
      stderr: "lash: --limit 0: expected a whole number from 1 to 1000\n"
    })
    expect(await at("sessions", "list", "--after", "yesterday")).toMatchObject({
      code: 2,
      stderr: "lash: --after yesterday: expected the cursor a previous page printed (<time>:<session id>)\n"
    })
    expect((await at("processes", "list", "--status", "sleeping")).code).toBe(2)
    expect((await lash(["sessoins", "list"])).code).toBe(2)
  })
})
