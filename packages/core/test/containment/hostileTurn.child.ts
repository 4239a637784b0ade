/**
 * Child process of `hostileTurnsProcess.test.ts`: one hostile Lashlang program (by index into the lashlang hostile
 * cases) as the block of a real RLM turn, on the memory or SQLite backend, next to a bystander session. Prints one
 * JSON line: the bystander's turns before and after, what the model was told, the hostile turn's submitted value,
 * its wall and CPU time, and the process's peak memory after a trivial turn and after the hostile one.
 */
import { MemoryBackend } from "@lash/backend-memory"
import { SqliteBackend } from "@lash/backend-sqlite"
import { LashlangAbilities } from "@lash/lashlang"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { hostileCases } from "../../../lashlang/test/hostile/cases.js"
import { InlineEffectController, LashCore, TurnInput } from "../../src/index.js"
import { mathTools, testModel } from "../fixtures.js"

const fence = (code: string) => "```lashlang\n" + code + "\n```"
const peakMb = () => process.resourceUsage().maxRSS / 1024

const [index, backend] = [Number(process.argv[2]), process.argv[3]]
const c = hostileCases[index]
if (c === undefined || (backend !== "memory" && backend !== "sqlite")) {
  throw new Error(`usage: hostileTurn.child.ts <case index> memory|sqlite`)
}
// The real clock runs here: a sleep case gets a small total so its limit is reached at once.
const sleeps = c.name.startsWith("sleeps")
const source = sleeps ? "for i in range(100) { sleep for 60 }" : c.source
const fails = "error" in c.expect

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-hostile-turn-"))
const storage = backend === "memory"
  ? MemoryBackend.layer()
  : SqliteBackend.layer({ filename: path.join(dir, "lash.db") })

const provider = TestProvider.builder()
  .reply(fence("submit \"before\""))
  .reply(fence("x = [1, 2, 3]\nsubmit len(x)"))
  .reply(fence(source), ...(fails ? [fence("submit \"recovered\"")] : []))
  .reply(fence("submit \"after\""))
  .reply(fence("submit \"still here\""))
  .build()

const runtime = Layer.provideMerge(
  LashCore.layer({
    mode: "rlm",
    model: testModel,
    tools: [mathTools],
    rlm: { abilities: LashlangAbilities.all, ...(sleeps ? { limits: { maxSleepMillis: 100 } } : {}) }
  }).pipe(Layer.provide(Layer.mergeAll(provider.layer, InlineEffectController.layer))),
  storage
)

const main = Effect.gen(function*() {
  const core = yield* LashCore
  const bystander = yield* core.openSession("bystander")
  const before = Option.getOrNull((yield* bystander.turn(TurnInput.text("hello")).run).submittedValue)
  // The baseline: a trivial turn, so the comparison excludes start-up and the code every turn loads.
  const hostile = yield* core.openSession("hostile")
  yield* hostile.turn(TurnInput.text("warm up")).run
  const baselineMb = peakMb()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const out = yield* hostile.turn(TurnInput.text("do something large")).run
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const peak = peakMb()
  const requests = yield* provider.requests
  const feedback = fails
    ? requests[3]!.request.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n")
    : ""
  const after = Option.getOrNull((yield* bystander.turn(TurnInput.text("hello again")).run).submittedValue)
  // The hostile session's committed state reopens and runs.
  const again = yield* (yield* core.openSession("hostile")).turn(TurnInput.text("still there?")).run
  return {
    before,
    after,
    again: Option.getOrNull(again.submittedValue),
    submitted: JSON.stringify(Option.getOrNull(out.submittedValue)),
    feedback,
    transcript: hostile.readView().messages.flatMap((m) => m.parts.map((p) => p.content)).join("\n").slice(-2000),
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    baselineMb,
    peakMb: peak
  }
}).pipe(Effect.provide(runtime), Effect.scoped)

Effect.runPromise(main).then(
  (report) => {
    fs.rmSync(dir, { recursive: true, force: true })
    console.log(JSON.stringify(report))
  },
  (e) => {
    fs.rmSync(dir, { recursive: true, force: true })
    console.error(e)
    process.exit(3)
  }
)
