/**
 * What every command shares: `--store` (falling back to `LASH_STORE`), `--json`, opening the store for the command's
 * effect, and the store's optional `StoreInspector`.
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import { type LashStorage, type StorageSignals, StoreInspector } from "@lash/core"
import { Config, Effect, Either, Option } from "effect"
import * as CliError from "../CliError.js"
import { type OpenMode, storageLayer } from "../OpenStore.js"
import * as StoreLocation from "../StoreLocation.js"

/** `--store` / `-s`, else `LASH_STORE`. @since 0.1.0 */
export const store = Options.text("store").pipe(
  Options.withAlias("s"),
  Options.withFallbackConfig(Config.string("LASH_STORE")),
  Options.withDescription("the store: a file path, sqlite:PATH or postgres://… (default: $LASH_STORE)")
)

/** `--json`. @since 0.1.0 */
export const json = Options.boolean("json").pipe(
  Options.withDescription("print one JSON document (for scripts) instead of tables")
)

/**
 * Runs `effect` with the storage of the store `location` names.
 *
 * @since 0.1.0
 */
export const withStore = (location: string, mode: OpenMode = "read") =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | CliError.CliError, Exclude<R, LashStorage | StorageSignals>> =>
  Effect.flatMap(
    Either.match(StoreLocation.parse(location), { onLeft: Effect.fail, onRight: Effect.succeed }),
    (parsed) => Effect.provide(effect, storageLayer(parsed, mode))
  )

/**
 * The store's inspector, or a clear failure for a backend without one.
 *
 * @since 0.1.0
 */
export const inspector = Effect.flatMap(
  Effect.serviceOption(StoreInspector),
  Option.match({
    onNone: () => Effect.fail(CliError.unavailable("this store's backend does not provide StoreInspector")),
    onSome: Effect.succeed
  })
)

/** A positive integer option value, or a usage error naming the option. @since 0.1.0 */
export const positive = (name: string, value: number, max = Number.MAX_SAFE_INTEGER) =>
  Number.isInteger(value) && value >= 1 && value <= max
    ? Effect.succeed(value)
    : Effect.fail(CliError.usage(`--${name} ${value}: expected a whole number from 1 to ${max}`))
