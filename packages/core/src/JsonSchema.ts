/**
 * lash's JSON Schema subset validator: `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`,
 * `const`, `anyOf`, and `$ref` into `$defs`. Annotation keywords are ignored; every other keyword is unsupported,
 * so a schema is checked once (`checkSupported`) before it is used.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import type { Json, JsonSchemaDoc } from "./Json.js"

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "examples", "default", "$comment"])
const KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "anyOf",
  "$ref",
  "$defs"
])

const isObject = (v: Json | undefined): v is { readonly [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Returns the problems that make a schema unsupported (an empty array means supported).
 *
 * @since 0.1.0
 */
export const checkSupported = (schema: JsonSchemaDoc, path = "#"): ReadonlyArray<string> => {
  const problems: Array<string> = []
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue
    if (!KEYWORDS.has(key)) {
      problems.push(`${path}: unsupported keyword "${key}"`)
      continue
    }
    if ((key === "properties" || key === "$defs") && isObject(value)) {
      for (const [name, sub] of Object.entries(value)) {
        if (isObject(sub)) problems.push(...checkSupported(sub, `${path}/${key}/${name}`))
        else problems.push(`${path}/${key}/${name}: not a schema object`)
      }
    } else if ((key === "items" || key === "additionalProperties") && isObject(value)) {
      problems.push(...checkSupported(value, `${path}/${key}`))
    } else if (key === "anyOf") {
      if (!Array.isArray(value)) problems.push(`${path}/anyOf: not an array`)
      else {value.forEach((sub, i) => (isObject(sub)
          ? problems.push(...checkSupported(sub, `${path}/anyOf/${i}`))
          : problems.push(`${path}/anyOf/${i}: not a schema object`))
        )}
    }
  }
  return problems
}

const typeMatches = (type: string, value: Json): boolean => {
  switch (type) {
    case "null":
      return value === null
    case "boolean":
      return typeof value === "boolean"
    case "number":
      return typeof value === "number"
    case "integer":
      return typeof value === "number" && Number.isInteger(value)
    case "string":
      return typeof value === "string"
    case "array":
      return Array.isArray(value)
    case "object":
      return isObject(value)
    default:
      return false
  }
}

const describe = (value: Json): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value)

const resolveRef = (root: JsonSchemaDoc, ref: string): JsonSchemaDoc | undefined => {
  const prefix = "#/$defs/"
  if (!ref.startsWith(prefix)) return undefined
  const defs = root["$defs"]
  if (!isObject(defs)) return undefined
  const target = defs[ref.slice(prefix.length)]
  return isObject(target) ? target : undefined
}

const equalJson = (a: Json, b: Json): boolean => Canonical.canonicalJsonUnsafe(a) === Canonical.canonicalJsonUnsafe(b)

const validateAt = (
  root: JsonSchemaDoc,
  schema: JsonSchemaDoc,
  value: Json,
  path: string,
  out: Array<string>,
  depth: number
): void => {
  if (depth > 64) {
    out.push(`${path}: schema nesting too deep`)
    return
  }
  const ref = schema["$ref"]
  if (typeof ref === "string") {
    const target = resolveRef(root, ref)
    if (target === undefined) out.push(`${path}: unresolvable $ref ${ref}`)
    else validateAt(root, target, value, path, out, depth + 1)
  }
  const type = schema["type"]
  if (typeof type === "string" || Array.isArray(type)) {
    const types = (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === "string")
    if (!types.some((t) => typeMatches(t, value))) {
      out.push(`${path}: expected ${types.join(" | ")}, got ${describe(value)}`)
      return
    }
  }
  if ("const" in schema && !equalJson(schema["const"] as Json, value)) out.push(`${path}: expected the constant value`)
  const enumValues = schema["enum"]
  if (Array.isArray(enumValues) && !enumValues.some((e) => equalJson(e, value))) {
    out.push(`${path}: not one of the allowed values`)
  }
  const anyOf = schema["anyOf"]
  if (Array.isArray(anyOf)) {
    const ok = anyOf.some((sub) => {
      if (!isObject(sub)) return false
      const inner: Array<string> = []
      validateAt(root, sub, value, path, inner, depth + 1)
      return inner.length === 0
    })
    if (!ok) out.push(`${path}: matches none of anyOf`)
  }
  if (isObject(value)) {
    const properties = isObject(schema["properties"]) ? schema["properties"] : {}
    const required = schema["required"]
    if (Array.isArray(required)) {
      for (const name of required) {
        if (typeof name === "string" && !(name in value)) out.push(`${path}/${name}: is required`)
      }
    }
    const additional = schema["additionalProperties"]
    for (const [name, sub] of Object.entries(value)) {
      const propSchema = properties[name]
      if (isObject(propSchema)) validateAt(root, propSchema, sub, `${path}/${name}`, out, depth + 1)
      else if (additional === false) out.push(`${path}/${name}: unexpected property`)
      else if (isObject(additional)) validateAt(root, additional, sub, `${path}/${name}`, out, depth + 1)
    }
  }
  if (Array.isArray(value) && isObject(schema["items"])) {
    const items = schema["items"]
    value.forEach((item, i) => validateAt(root, items, item, `${path}/${i}`, out, depth + 1))
  }
}

/**
 * Validates a JSON value against a supported schema. Returns the issues, each prefixed with the JSON pointer of
 * the offending value (`""` is the root); an empty array means valid.
 *
 * @since 0.1.0
 */
export const validate = (schema: JsonSchemaDoc, value: Json): ReadonlyArray<string> => {
  const out: Array<string> = []
  validateAt(schema, schema, value, "", out, 0)
  return out
}

/** The schema that accepts any JSON value. @since 0.1.0 */
export const anyValue: JsonSchemaDoc = {}
