/**
 * Record encoding: how the engine turns domain values into the canonical JSON text drivers store, and back. Every
 * read decodes with the domain Schemas, so returned values are fresh and a stored row that does not decode (bad JSON,
 * a schema mismatch, a newer record version) is a `CorruptRecord` naming the row by one key format, the same on every
 * driver (`RecordKeys`).
 *
 * Two ways to meet a corrupt row, decided here once:
 * - a point read, or a part of one record (a session's nodes, a process's events), fails with the `CorruptRecord`;
 * - a listing of independent records skips the row and logs `lash.storage.corrupt_record` (the others stay usable);
 *   `partitionListing` keeps the skipped rows apart for the listings that name them (`ProcessListing`,
 *   `TriggerListing`). Quarantining a process row a worker cannot decode is `Quarantine.ts`.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import { Effect, Either, ParseResult, Schema } from "effect"
import { CorruptRecord } from "../Errors.js"
import * as RecordWriter from "./RecordWriter.js"

/** The record version every JSON column is written with; a higher stored version is refused. @since 0.1.0 */
export const RECORD_VERSION = 1

/** How `CorruptRecord.key` names each kind of row. @since 0.1.0 */
export const RecordKeys = {
  session: (sessionId: string) => `session:${sessionId}`,
  node: (sessionId: string, seq: number) => `session:${sessionId}/node:${seq}`,
  stamp: (sessionId: string, turnId: string) => `session:${sessionId}/stamp:${turnId}`,
  batch: (sessionId: string, batchId: string) => `session:${sessionId}/batch:${batchId}`,
  process: (processId: string) => `process:${processId}`,
  event: (processId: string, sequence: number) => `process:${processId}/event:${sequence}`,
  grant: (scopeId: string, processId: string) => `grant:${scopeId}/${processId}`,
  env: (ref: string) => `env:${ref}`,
  artifact: (ref: string) => `artifact:${ref}`,
  journal: (scopeId: string, replayKey: string) => `journal:${scopeId}/${replayKey}`,
  subscription: (subscriptionId: string) => `subscription:${subscriptionId}`,
  occurrence: (occurrenceId: string) => `occurrence:${occurrenceId}`
} as const

// The encoder and decoder of each schema, built once (a record kind's schema is a module constant).
const encoders = new WeakMap<Schema.Schema.Any, (value: unknown) => unknown>()
const decoders = new WeakMap<
  Schema.Schema.Any,
  (value: unknown) => Either.Either<unknown, ParseResult.ParseError>
>()

const encoderOf = <A, I>(schema: Schema.Schema<A, I>): (value: A) => I => {
  let found = encoders.get(schema)
  if (found === undefined) {
    found = Schema.encodeSync(schema as Schema.Schema<unknown, unknown>)
    encoders.set(schema, found)
  }
  return found as (value: A) => I
}

const decoderOf = <A, I>(schema: Schema.Schema<A, I>): (value: unknown) => Either.Either<A, ParseResult.ParseError> => {
  let found = decoders.get(schema)
  if (found === undefined) {
    found = Schema.decodeUnknownEither(schema as Schema.Schema<unknown, unknown>)
    decoders.set(schema, found)
  }
  return found as (value: unknown) => Either.Either<A, ParseResult.ParseError>
}

const writers = new WeakMap<Schema.Schema.Any, (value: unknown) => string | undefined>()

const writerOf = <A, I>(schema: Schema.Schema<A, I>): (value: A) => string | undefined => {
  let found = writers.get(schema)
  if (found === undefined) {
    found = RecordWriter.writerOf(schema as Schema.Schema<unknown, unknown>)
    writers.set(schema, found)
  }
  return found as (value: A) => string | undefined
}

/**
 * Encodes a domain value as the canonical JSON text a driver stores: `Canonical.canonicalJson(Schema.encode(value))`.
 * The schema's compiled writer (`RecordWriter.ts`) writes that text in one pass; a value it does not vouch for takes
 * the reference path, which returns the same text or throws (a value that does not encode is a defect).
 *
 * @since 0.1.0
 */
export const encode = <A, I>(schema: Schema.Schema<A, I>, value: A): string =>
  writerOf(schema)(value) ?? encodeReference(schema, value)

/**
 * The reference path of {@link encode}: `Schema.encode`, then canonical JSON of the encoded value.
 *
 * @since 0.1.0
 */
export const encodeReference = <A, I>(schema: Schema.Schema<A, I>, value: A): string =>
  Canonical.canonicalJsonUnsafe(encoderOf(schema)(value))

const ISSUE_LIMIT = 500

/**
 * Decodes a stored row; any failure is a `CorruptRecord` naming the port and the row key.
 *
 * @since 0.1.0
 */
export const decodeEither = <A, I>(
  schema: Schema.Schema<A, I>,
  port: string,
  key: string,
  text: string,
  recordVersion: number
): Either.Either<A, CorruptRecord> => {
  const corrupt = (issue: string) => Either.left(new CorruptRecord({ port, key, issue: issue.slice(0, ISSUE_LIMIT) }))
  if (recordVersion > RECORD_VERSION) return corrupt(`unsupported record version ${recordVersion}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return corrupt(`invalid JSON: ${(e as Error).message}`)
  }
  const decoded = decoderOf(schema)(parsed)
  return Either.isRight(decoded)
    ? Either.right(decoded.right)
    : corrupt(ParseResult.TreeFormatter.formatErrorSync(decoded.left))
}

/**
 * {@link decodeEither} as an Effect: point reads and parts of one record.
 *
 * @since 0.1.0
 */
export const decode = <A, I>(
  schema: Schema.Schema<A, I>,
  port: string,
  key: string,
  text: string,
  recordVersion: number
): Effect.Effect<A, CorruptRecord> => {
  return orFail(decodeEither(schema, port, key, text, recordVersion))
}

/**
 * A decoded row as an Effect (point reads and parts of one record fail with the `CorruptRecord`).
 *
 * @since 0.1.0
 */
export const orFail = <A>(decoded: Either.Either<A, CorruptRecord>): Effect.Effect<A, CorruptRecord> =>
  Either.isRight(decoded) ? Effect.succeed(decoded.right) : Effect.fail(decoded.left)

/**
 * Decodes every row of a listing of independent records, keeping apart the rows that do not decode (each with its
 * `CorruptRecord`, logged as `lash.storage.corrupt_record`), so one bad row never hides the others and a caller can
 * name it.
 *
 * @since 0.1.0
 */
export const partitionListing = <Row, A>(
  rows: ReadonlyArray<Row>,
  decodeRow: (row: Row) => Either.Either<A, CorruptRecord>
): Effect.Effect<{ readonly readable: Array<A>; readonly unreadable: Array<readonly [Row, CorruptRecord]> }> => {
  const readable: Array<A> = []
  const unreadable: Array<readonly [Row, CorruptRecord]> = []
  for (const row of rows) {
    const decoded = decodeRow(row)
    if (Either.isRight(decoded)) readable.push(decoded.right)
    else unreadable.push([row, decoded.left])
  }
  if (unreadable.length === 0) return Effect.succeed({ readable, unreadable })
  return Effect.as(
    Effect.forEach(unreadable, ([, corrupt]) =>
      Effect.logWarning("lash.storage.corrupt_record").pipe(
        Effect.annotateLogs({ port: corrupt.port, key: corrupt.key, issue: corrupt.issue })
      )),
    { readable, unreadable }
  )
}

/**
 * Decodes every row of a listing of independent records; a row that does not decode is left out and logged
 * (`lash.storage.corrupt_record`), so one bad row never hides the others.
 *
 * @since 0.1.0
 */
export const decodeListing = <Row, A>(
  rows: ReadonlyArray<Row>,
  decodeRow: (row: Row) => Either.Either<A, CorruptRecord>
): Effect.Effect<Array<A>> => Effect.map(partitionListing(rows, decodeRow), (listing) => listing.readable)
