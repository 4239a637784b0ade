/**
 * A worker in its own OS process: `tsx worker.ts <db file> <tag>`. It prints `START <tag> <id>` when a tool step
 * begins and runs until it is killed.
 */
import { Effect, Layer } from "effect"
import { crashCore } from "./runtime.js"

const [filename, tag = "w", ttl] = process.argv.slice(2)
if (filename === undefined) throw new Error("usage: worker.ts <db file> [tag]")

const layer = crashCore(filename, {
  worker: true,
  ...(ttl === undefined ? {} : { leaseTtlMs: Number(ttl) }),
  onStart: (id) => process.stdout.write(`START ${tag} ${id}\n`)
})
Effect.runPromise(Layer.launch(layer)).catch((e) => {
  process.stderr.write(`worker ${tag} failed: ${String(e)}\n`)
  process.exitCode = 1
})
process.stdout.write(`READY ${tag}\n`)
