/**
 * B9's middle baseline, run as `node dist/cold/effectOnly.js`: a process that only loads `effect` and runs one
 * effect. Between it and bare `node` is what Effect itself costs to start; above it, what lash adds.
 */
import { Effect } from "effect"

Effect.runSync(Effect.succeed(1))
