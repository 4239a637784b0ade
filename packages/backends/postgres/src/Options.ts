/**
 * The options of `PostgresBackend.layer`, decoded by Schema (docs/configuration.md, "Backends"): a bad option fails
 * the layer with `LashConfigError` naming the option and its value (`poolSize: 0`, `schema: "Robert'); DROP"`), as
 * the core and the SQLite backend do. Secrets never reach a message: a bad URL is shown with its password masked,
 * and a password is only checked for its type.
 *
 * @since 0.1.0
 */
import { ConfigOptions, type LashConfigError } from "@lash/core"
import { Effect, Redacted, Schema } from "effect"
import type * as Pg from "pg"

/**
 * Where the server is, when not given as a URL.
 *
 * @since 0.1.0
 */
export interface PostgresConnectionOptions {
  readonly host?: string
  /** 1 – 65,535. */
  readonly port?: number
  readonly database?: string
  readonly user?: string
  readonly password?: string | Redacted.Redacted<string>
  /** TLS: `true`, or Node's TLS options. */
  readonly ssl?: boolean | Record<string, unknown>
}

/**
 * Options of `PostgresBackend.layer`.
 *
 * @since 0.1.0
 */
export interface PostgresBackendOptions {
  /** A connection URL (`postgres://user@host:5432/db`, `postgresql://…`, `socket:/run/postgresql?db=…`); or give `connection`. */
  readonly url?: string | Redacted.Redacted<string>
  /** The server as separate fields (used when `url` is absent; merged over it when both are given). */
  readonly connection?: PostgresConnectionOptions
  /** The schema lash's tables live in, created if missing: `[a-z_][a-z0-9_]*`, at most 63 characters. Default `lash`. */
  readonly schema?: string
  /** Connections of this handle's pool, 1 – 1,000 (default 10). Units hold one each for milliseconds. */
  readonly poolSize?: number
  /** `LISTEN/NOTIFY` wake-ups between processes (default true). Without it, waits and workers rely on polling. */
  readonly notify?: boolean
  /** The backstop poll in ms, at least 10: how often waiters re-check without a signal (default 1 000 with notify, 250 without). */
  readonly pollIntervalMs?: number
  /** `statement_timeout` of every connection in ms, at least 1 (default 30 000): a statement past it fails the unit. */
  readonly statementTimeoutMs?: number
  /** `lock_timeout` in ms, at least 1 (default 10 000): a unit waiting longer on a row lock is re-run. */
  readonly lockTimeoutMs?: number
  /** How long a unit may wait for a connection, in ms, at least 1 (default 10 000). */
  readonly connectTimeoutMs?: number
  /** `application_name` of the connections (default `lash`), seen in `pg_stat_activity`: 1 – 63 printable ASCII characters. */
  readonly applicationName?: string
}

/** A string or a `Redacted` string; only its type is checked (its value never reaches a message). */
const Secret = Schema.Union(Schema.String, Schema.RedactedFromSelf(Schema.String))

const Milliseconds = (min: number) => ConfigOptions.IntBetween(min, ConfigOptions.MAX_TIMER_MILLIS)

/**
 * The Schema of {@link PostgresConnectionOptions}.
 *
 * @since 0.1.0
 */
export const PostgresConnectionOptionsSchema = Schema.Struct({
  host: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  port: Schema.optionalWith(ConfigOptions.IntBetween(1, 65_535), { exact: true }),
  database: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  user: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  password: Schema.optionalWith(Secret, { exact: true }),
  ssl: Schema.optionalWith(Schema.Union(Schema.Boolean, Schema.Record({ key: Schema.String, value: Schema.Unknown })), {
    exact: true
  })
})

/**
 * The Schema of {@link PostgresBackendOptions}: the layer decodes its options with it.
 *
 * @since 0.1.0
 */
export const PostgresBackendOptionsSchema = Schema.Struct({
  url: Schema.optionalWith(Secret, { exact: true }),
  connection: Schema.optionalWith(PostgresConnectionOptionsSchema, { exact: true }),
  schema: Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter((s) => /^[a-z_][a-z0-9_]{0,62}$/.test(s) || "a schema name: [a-z_][a-z0-9_]*, 1 to 63 characters")
    ),
    { exact: true }
  ),
  poolSize: Schema.optionalWith(ConfigOptions.IntBetween(1, 1_000), { exact: true }),
  notify: Schema.optionalWith(Schema.Boolean, { exact: true }),
  pollIntervalMs: Schema.optionalWith(Milliseconds(10), { exact: true }),
  statementTimeoutMs: Schema.optionalWith(Milliseconds(1), { exact: true }),
  lockTimeoutMs: Schema.optionalWith(Milliseconds(1), { exact: true }),
  connectTimeoutMs: Schema.optionalWith(Milliseconds(1), { exact: true }),
  applicationName: Schema.optionalWith(
    Schema.String.pipe(
      Schema.filter((s) => /^[\x20-\x7e]{1,63}$/.test(s) || "1 to 63 printable ASCII characters")
    ),
    { exact: true }
  )
})

/** The options with their defaults applied. @since 0.1.0 */
export interface ResolvedOptions {
  readonly schema: string
  readonly poolSize: number
  readonly connectTimeoutMs: number
  readonly notify: boolean
  readonly pollIntervalMs: number
  readonly pool: Pg.PoolConfig
}

const secret = (value: string | Redacted.Redacted<string> | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : Redacted.value(value)

/** `url` as a message may show it: its password masked. */
const masked = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@")
  }
}

/** Why `url` is not a connection URL, or `undefined` when it is one. */
const badUrl = (url: string): string | undefined => {
  if (url.startsWith("/")) return undefined // a socket directory, as `pg` reads it
  try {
    const protocol = new URL(url).protocol
    return ["postgres:", "postgresql:", "socket:"].includes(protocol)
      ? undefined
      : `must be a postgres://, postgresql:// or socket: URL (the protocol is ${protocol})`
  } catch {
    return "must be a connection URL such as postgres://user@host:5432/database"
  }
}

/**
 * Decodes the options and applies the defaults; a bad option is a `LashConfigError` naming it.
 *
 * @since 0.1.0
 */
export const resolve = (given: PostgresBackendOptions): Effect.Effect<ResolvedOptions, LashConfigError> =>
  Effect.gen(function*() {
    if (typeof given !== "object" || given === null) {
      return yield* Effect.fail(
        ConfigOptions.invalidOption("options", given, "must be an object with url or connection")
      )
    }
    const options = yield* ConfigOptions.decodeOptions(PostgresBackendOptionsSchema, "", given)
    const url = secret(options.url)
    if (url === undefined && options.connection === undefined) {
      return yield* Effect.fail(ConfigOptions.invalidOption("url", undefined, "is required (or give connection)"))
    }
    const urlProblem = url === undefined ? undefined : badUrl(url)
    if (url !== undefined && urlProblem !== undefined) {
      return yield* Effect.fail(ConfigOptions.invalidOption("url", masked(url), urlProblem))
    }
    const schema = options.schema ?? "lash"
    const notify = options.notify ?? true
    const poolSize = options.poolSize ?? 10
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    const connection = options.connection ?? {}
    const password = secret(connection.password)
    const pool: Pg.PoolConfig = {
      ...(url === undefined ? {} : { connectionString: url }),
      ...(connection.host === undefined ? {} : { host: connection.host }),
      ...(connection.port === undefined ? {} : { port: connection.port }),
      ...(connection.database === undefined ? {} : { database: connection.database }),
      ...(connection.user === undefined ? {} : { user: connection.user }),
      ...(password === undefined ? {} : { password }),
      ...(connection.ssl === undefined ? {} : { ssl: connection.ssl }),
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? "lash",
      options: `-c search_path=${schema}`,
      statement_timeout: statementTimeoutMs,
      lock_timeout: options.lockTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs * 2),
      keepAlive: true
    }
    return {
      schema,
      poolSize,
      connectTimeoutMs,
      notify,
      pollIntervalMs: options.pollIntervalMs ?? (notify ? 1_000 : 250),
      pool
    }
  })
