/**
 * Where a store is: the value of `--store` (or `LASH_STORE`). `sqlite:PATH`, `sqlite://PATH`, `file:PATH` or a plain
 * file path name a SQLite file; `postgres://…` names a Postgres database; any other `scheme:` is refused.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import * as CliError from "./CliError.js"

/**
 * A parsed store location.
 *
 * @since 0.1.0
 */
export type StoreLocation =
  | { readonly kind: "sqlite"; readonly filename: string }
  | { readonly kind: "postgres"; readonly url: string }

/** A scheme is two or more letters before the colon, so a Windows drive (`C:\…`) reads as a path. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/

/**
 * Parses `--store`.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Either.Either<StoreLocation, CliError.CliError> => {
  const value = text.trim()
  if (value === "") return Either.left(CliError.usage("--store is empty: give a file path or sqlite:PATH"))
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined) return Either.right({ kind: "sqlite", filename: value })
  const rest = value.slice(scheme.length + 1)
  switch (scheme) {
    case "sqlite":
    case "file": {
      const filename = rest.startsWith("//") ? rest.slice(2) : rest
      return filename === ""
        ? Either.left(CliError.usage(`--store ${value}: no file path after "${scheme}:"`))
        : Either.right({ kind: "sqlite", filename })
    }
    case "postgres":
    case "postgresql":
      return Either.right({ kind: "postgres", url: value })
    default:
      return Either.left(
        CliError.usage(
          `--store ${value}: unknown store scheme "${scheme}:" (known: sqlite:PATH, file:PATH, a plain path, postgres://…)`
        )
      )
  }
}
