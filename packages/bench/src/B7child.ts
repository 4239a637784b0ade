/** Child process of B7: runs one program once (cold) and prints `{ ms, out }` as JSON. */
import { LIST100K, LOOP5, runProgram } from "./B7.js"

const name = process.argv[2]
const source = name === "loop5" ? LOOP5 : name === "list100k" ? LIST100K : undefined
if (source === undefined) {
  console.error(`unknown program ${name}`)
  process.exit(2)
}
const t0 = process.hrtime.bigint()
const out = runProgram(source)
console.log(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, out }))
