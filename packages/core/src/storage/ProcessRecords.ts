/**
 * How the process registry decodes its rows, and the records it remembers by their text. A terminal write (and every
 * other append) decodes the whole process record from its row to decide; measured, that decode was the largest part
 * of the registry's own work per process (docs/performance.md, B2). So the registry remembers the records it encoded
 * last, by their exact row text: a row whose text is byte-identical to such a text is a record this engine encoded,
 * and it is taken from memory; any other text (another process wrote it, a driver re-serialized it, a row was tampered
 * with, the entry was evicted) or another record version is decoded as before, so a corrupt row still fails with
 * `CorruptRecord`. The same idea as `CommitBase.ts` for session heads.
 *
 * A remembered record is an immutable value shared by the reads that take it (records are readonly values; nothing in
 * the registry mutates one).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { CorruptRecord } from "../Errors.js"
import { setBounded } from "../internal/boundedMap.js"
import { ProcessEvent, ProcessRecord } from "../Process.js"
import type { EventRow, ProcessRow } from "./DriverRows.js"
import * as RecordCodec from "./RecordCodec.js"

const PORT = "ProcessRegistry"
const { RecordKeys } = RecordCodec

/** Processes remembered (the least recently written first out of the window). */
const CAPACITY = 256

/**
 * Process id → the row text last encoded for it and the record it encodes, at `RecordCodec.RECORD_VERSION`. Keyed by
 * id (a short key), matched by the whole text, so it holds for any engine over any store.
 */
const remembered = new Map<string, { readonly text: string; readonly record: ProcessRecord }>()

/**
 * Encodes a record for its row and remembers it by that text.
 *
 * @since 0.1.0
 */
export const encodeRecord = (record: ProcessRecord): string => {
  const text = RecordCodec.encode(ProcessRecord, record)
  setBounded(remembered, CAPACITY, record.id, { text, record })
  return text
}

/**
 * Decodes a process row (`CorruptRecord` when it does not decode), never from memory: listings and quarantine.
 *
 * @since 0.1.0
 */
export const recordEither = (row: ProcessRow) =>
  RecordCodec.decodeEither(ProcessRecord, PORT, RecordKeys.process(row.processId), row.recordJson, row.recordVersion)

/**
 * The record of a process row: from memory when its text is one this engine encoded, else decoded.
 *
 * @since 0.1.0
 */
export const recordOf = (row: ProcessRow): Effect.Effect<ProcessRecord, CorruptRecord> => {
  if (row.recordVersion === RecordCodec.RECORD_VERSION) {
    const known = remembered.get(row.processId)
    if (known !== undefined && known.text === row.recordJson) return Effect.succeed(known.record)
  }
  return RecordCodec.orFail(recordEither(row))
}

/**
 * Decodes an event row.
 *
 * @since 0.1.0
 */
export const eventOf = (row: EventRow) =>
  RecordCodec.decode(
    ProcessEvent,
    PORT,
    RecordKeys.event(row.processId, row.sequence),
    row.eventJson,
    row.recordVersion
  )
