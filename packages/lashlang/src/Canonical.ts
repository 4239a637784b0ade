/**
 * Canonical JSON and content hashing: the single definition every content address and deterministic id in lash
 * is built on (architecture §2.2). Object keys are sorted by UTF-16 code unit, there is no whitespace, and strings
 * and numbers are written exactly as `JSON.stringify` writes them.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Data, Either } from "effect"

/**
 * A value that has no canonical JSON form (undefined, a function, a bigint, a non-finite number, a Map, a class
 * instance, ...). `path` is a JSON pointer to the offending value.
 *
 * @since 0.1.0
 */
export class NonCanonicalValue extends Data.TaggedError("NonCanonicalValue")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `value at ${this.path === "" ? "/" : this.path} has no canonical JSON form: ${this.reason}`
  }
}

const escapePointer = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1")

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const write = (value: unknown, path: string, out: Array<string>): NonCanonicalValue | undefined => {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value))
      return undefined
    case "boolean":
      out.push(value ? "true" : "false")
      return undefined
    case "number":
      if (!Number.isFinite(value)) return new NonCanonicalValue({ path, reason: `non-finite number ${value}` })
      out.push(JSON.stringify(value))
      return undefined
    case "object": {
      if (value === null) {
        out.push("null")
        return undefined
      }
      if (Array.isArray(value)) {
        out.push("[")
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",")
          const err = write(value[i], `${path}/${i}`, out)
          if (err) return err
        }
        out.push("]")
        return undefined
      }
      if (!isPlainObject(value)) {
        return new NonCanonicalValue({ path, reason: `non-plain object (${value.constructor?.name ?? "unknown"})` })
      }
      const record = value as Record<string, unknown>
      const keys = Object.keys(record).sort()
      out.push("{")
      let first = true
      for (const key of keys) {
        const v = record[key]
        // An absent optional field is encoded by Schema as a missing key; a present `undefined` is not JSON.
        if (v === undefined) return new NonCanonicalValue({ path: `${path}/${escapePointer(key)}`, reason: "undefined" })
        if (!first) out.push(",")
        first = false
        out.push(JSON.stringify(key), ":")
        const err = write(v, `${path}/${escapePointer(key)}`, out)
        if (err) return err
      }
      out.push("}")
      return undefined
    }
    default:
      return new NonCanonicalValue({ path, reason: typeof value })
  }
}

/**
 * Writes `value` as canonical JSON, or explains why it has none.
 *
 * @since 0.1.0
 */
export const canonicalJson = (value: unknown): Either.Either<string, NonCanonicalValue> => {
  const out: Array<string> = []
  const err = write(value, "", out)
  return err ? Either.left(err) : Either.right(out.join(""))
}

/**
 * Canonical JSON of a value already decoded by a Schema: a non-canonical value there is a programming error, so it
 * is thrown as a defect.
 *
 * @since 0.1.0
 */
export const canonicalJsonUnsafe = (value: unknown): string =>
  Either.getOrElse(canonicalJson(value), (err) => {
    throw err
  })

/**
 * Hex SHA-256 of the UTF-8 bytes of a string.
 *
 * @since 0.1.0
 */
export const sha256OfText = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex")

/**
 * Hex SHA-256 of the canonical JSON of `value`. Throws (a defect) on a non-canonical value: callers hash values
 * already decoded by a Schema.
 *
 * @since 0.1.0
 */
export const sha256Hex = (value: unknown): string => sha256OfText(canonicalJsonUnsafe(value))
