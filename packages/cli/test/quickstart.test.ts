/**
 * The built `lash` executable against the quickstart's database (README, "Quickstart"): the quickstart runs as
 * `pnpm demo` runs it (offline, the scripted model) into a temporary file, then `sessions show` prints the same
 * transcript the quickstart printed, and `sessions list`, `processes list`, `triggers list` and `store check` show the
 * session, the process the alarm started, the trigger and a healthy file.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { build, json, lash, repositoryRoot } from "./lash.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-cli-quickstart-"))
const database = path.join(dir, "quickstart", "lash.db")
const at = (...args: ReadonlyArray<string>) => lash([...args, "--store", database])
let demo = ""

/** `pnpm demo` (package.json): the quickstart from its sources, offline. */
const runQuickstart = () =>
  new Promise<string>((resolve, reject) => {
    // The SQLite demo: no real model, and no Postgres even where the tests run with LASH_PG_URL set (.ci/run sets it).
    const {
      LASH_PG_SCHEMA: _schema,
      LASH_PG_URL: _url,
      LASH_PROVIDER: _provider,
      NODE_OPTIONS: _options,
      ...inherited
    } = process.env
    execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=@lash/source", "src/main.ts"],
      {
        cwd: path.join(repositoryRoot, "examples", "quickstart"),
        env: { ...inherited, LASH_DB: database, NO_COLOR: "1" },
        encoding: "utf8",
        timeout: 240_000
      },
      (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)))
    )
  })

beforeAll(async () => {
  await build()
  demo = await runQuickstart()
}, 600_000)

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("the quickstart's database", { timeout: 300_000 }, () => {
  it("sessions show prints the transcript the quickstart printed, turn by turn", async () => {
    const printed = demo.slice(demo.indexOf("── transcript ──\n") + "── transcript ──\n".length)
    const quickstartLines = printed.slice(0, printed.indexOf("\nEverything above")).trimEnd().split("\n")
    expect(quickstartLines.length).toBeGreaterThan(10)
    const shown = await at("sessions", "show", "quickstart")
    expect(shown.code).toBe(0)
    const turns = shown.stdout.split("\n").filter((line) => line.startsWith("── turn "))
    expect(turns.map((line) => line.slice(0, "── turn 1".length))).toEqual(["── turn 1", "── turn 2"])
    const cliLines = shown.stdout.slice(shown.stdout.indexOf("── turn 1")).split("\n")
      .filter((line) => !line.startsWith("── turn ") && line !== "")
    expect(cliLines).toEqual(quickstartLines.filter((line) => line !== ""))
  })

  it("sessions list, processes list, triggers list and store check", async () => {
    const sessions = json(await at("sessions", "list", "--json"))
    expect(sessions.sessions).toMatchObject([{ sessionId: "quickstart", headRevision: 2, turns: 2 }])
    const processes = json(await at("processes", "list", "--json")).processes
    expect(processes).toHaveLength(1)
    expect(processes[0]).toMatchObject({ identity: { kind: "lashlang", label: "morning weather" } })
    expect(processes[0].status).toEqual({
      state: "completed",
      awaitOutput: { type: "success", value: { celsius: 21, city: "Lisbon" } }
    })
    const triggers = json(await at("triggers", "list", "--json")).triggers
    expect(
      triggers.map((t: { name: string; sourceType: string; enabled: boolean }) => [t.name, t.sourceType, t.enabled])
    )
      .toEqual([["morning weather", "clock.Alarm", true]])
    expect(await at("store", "check")).toMatchObject({
      code: 0,
      stdout:
        "checked 1 sessions (10 nodes, 0 open batches), 1 processes (2 events), 1 trigger subscriptions: no problems\n"
    })
  })
})
