/**
 * JSON Schema validation for tool arguments and outputs, trigger payloads and process event payloads, by a
 * maintained draft 2020-12 validator (Ajv, with the standard formats). A schema is compiled once per distinct
 * content and kept; `compile` reports a schema the validator cannot use, so a tool with such a schema is refused
 * when the catalog is built rather than at its first call.
 *
 * Ajv is chosen over the smaller interpreters (e.g. `@cfworker/json-schema`) because it checks every schema against
 * the draft's meta-schema when it compiles it, so a broken schema is a clear error up front, and because it
 * compiles to a validation function, which is the fastest of the widely kept validators.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import addFormats from "ajv-formats"
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import draft07 from "ajv/dist/refs/json-schema-draft-07.json" with { type: "json" }
import { Either } from "effect"
import { setBounded } from "./internal/boundedMap.js"
import type { Json, JsonSchemaDoc } from "./Json.js"

const ajv = new Ajv2020({
  // Every problem reaches the model at once, not only the first.
  allErrors: true,
  // Unknown keywords are annotations (the draft's rule), not errors: plugins and MCP servers add their own.
  strict: false,
  logger: false,
  validateFormats: true
})
addFormats.default(ajv)
// Schemas written for draft-07 (the default of older generators) still compile; their keywords are read as 2020-12.
ajv.addMetaSchema(draft07)

/** A compiled schema: the issues of a value, each `<JSON pointer>: <problem>`; empty means valid. @since 0.1.0 */
export type Validator = (value: unknown) => ReadonlyArray<string>

const MAX_CACHED = 2048
const byContent = new Map<string, Validator>()
const byObject = new WeakMap<object, Validator>()

const pointer = (path: string): string => (path === "" ? "/" : path)

const describe = (error: ErrorObject): string => {
  const params = error.params as Record<string, unknown>
  const extra = error.keyword === "additionalProperties" && typeof params["additionalProperty"] === "string"
    ? ` (${params["additionalProperty"]})`
    : error.keyword === "enum" && Array.isArray(params["allowedValues"])
    ? ` (${params["allowedValues"].map((v) => JSON.stringify(v)).join(", ")})`
    : ""
  return `${pointer(error.instancePath)}: ${error.message ?? error.keyword}${extra}`
}

const wrap = (fn: ValidateFunction): Validator => (value) => {
  if (fn(value)) return []
  return (fn.errors ?? []).map(describe)
}

/**
 * Compiles a schema, or explains why the validator cannot use it (not a valid draft 2020-12 schema, an unresolvable
 * `$ref`, an unknown `$schema`).
 *
 * @since 0.1.0
 */
export const compile = (schema: JsonSchemaDoc): Either.Either<Validator, string> => {
  const cached = byObject.get(schema)
  if (cached !== undefined) return Either.right(cached)
  const key = Canonical.canonicalJson(schema)
  if (Either.isLeft(key)) return Either.left(`the schema is not JSON: ${key.left.message}`)
  const known = byContent.get(key.right)
  if (known !== undefined) {
    byObject.set(schema, known)
    return Either.right(known)
  }
  let validator: Validator
  try {
    // A copy: Ajv keys its own cache by the object, which would keep every schema ever seen.
    const copy = JSON.parse(key.right) as JsonSchemaDoc
    validator = wrap(ajv.compile(copy))
    ajv.removeSchema(copy)
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
  setBounded(byContent, MAX_CACHED, key.right, validator)
  byObject.set(schema, validator)
  return Either.right(validator)
}

/**
 * Validates a value against a schema. Returns the issues, each prefixed with the JSON pointer of the offending
 * value (`/` is the root); an empty array means valid. A schema that does not compile is one issue.
 *
 * @since 0.1.0
 */
export const validate = (schema: JsonSchemaDoc, value: Json): ReadonlyArray<string> =>
  Either.match(compile(schema), {
    onLeft: (problem) => [`/: the schema cannot be used: ${problem}`],
    onRight: (validator) => validator(value)
  })

/** The schema that accepts any JSON value. @since 0.1.0 */
export const anyValue: JsonSchemaDoc = {}
