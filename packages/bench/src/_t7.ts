import { b7 } from "./B7.js"
import { line } from "./Stats.js"
for (const r of b7(3)) console.log(line(r))
