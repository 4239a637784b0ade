/**
 * Where a store is: the value of `--store` (or `LASH_STORE`). `sqlite:PATH`, `sqlite://PATH`, `file:PATH` or a plain
 * file path name a SQLite file; `postgres://…` (or `postgresql://…`) names a schema of a Postgres database: `lash`, or
 * the one `?schema=NAME` names; any other `scheme:` is refused.
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
  | {
    readonly kind: "postgres"
    /** The connection URL without `schema` (what the driver gets). */
    readonly url: string
    /** The lash schema in the database (`?schema=`, default `lash`). */
    readonly schema: string
    /** The URL without its password, for messages. */
    readonly display: string
  }

/** The schema a Postgres location names when it has no `?schema=` (the backend's default). */
export const DEFAULT_POSTGRES_SCHEMA = "lash"

/** What `@lash/backend-postgres` accepts as a schema name. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const parsePostgres = (value: string): Either.Either<StoreLocation, CliError.CliError> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Either.left(CliError.usage(`--store: not a valid postgres:// URL`))
  }
  const schemas = url.searchParams.getAll("schema")
  url.searchParams.delete("schema")
  const shown = new URL(url.href)
  if (shown.password !== "") shown.password = "***"
  const display = shown.href
  const schema = schemas[0] ?? DEFAULT_POSTGRES_SCHEMA
  if (schemas.length > 1) return Either.left(CliError.usage(`--store ${display}: give ?schema= once`))
  if (!SCHEMA_NAME.test(schema)) {
    return Either.left(
      CliError.usage(`--store ${display}: schema "${schema}" is not a lash schema name ([a-z_][a-z0-9_]*, 1-63)`)
    )
  }
  return Either.right({ kind: "postgres", url: url.href, schema, display })
}

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
      return parsePostgres(value)
    default:
      return Either.left(
        CliError.usage(
          `--store ${value}: unknown store scheme "${scheme}:" (known: sqlite:PATH, file:PATH, a plain path, postgres://…)`
        )
      )
  }
}
