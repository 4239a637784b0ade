#!/usr/bin/env node
/**
 * The `lash` executable.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect } from "effect"
import { run } from "./Cli.js"

Effect.runPromise(Effect.provide(run(process.argv), NodeContext.layer)).then((code) => {
  process.exitCode = code
})
