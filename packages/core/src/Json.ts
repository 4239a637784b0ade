/**
 * The JSON value type every persisted and wire payload in lash is made of.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A JSON value: `null`, a boolean, a finite number, a string, an array or a plain object of JSON values.
 *
 * @since 0.1.0
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * True when `value` is a {@link Json} value (finite numbers, plain objects, no `undefined` members).
 *
 * @since 0.1.0
 */
export const isJson = (value: unknown): value is Json => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true
    case "number":
      return Number.isFinite(value)
    case "object": {
      if (value === null) return true
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJson(value[i])) return false
        return true
      }
      if (!isPlainObject(value)) return false
      for (const key in value) {
        if (Object.hasOwn(value, key) && !isJson((value as Record<string, unknown>)[key])) return false
      }
      return true
    }
    default:
      return false
  }
}

/**
 * Schema of {@link Json}. Rejects non-finite numbers, `undefined` and anything that is not plain JSON.
 *
 * A declared guard instead of a recursive `Schema.Union`: every stored record carries JSON payloads (event
 * schemas, plugin snapshots, tool arguments), and the union walked each node through six candidate schemas and
 * copied every object; the guard checks in one pass and keeps the value (B1/B2 in docs/performance.md).
 *
 * @since 0.1.0
 */
export const Json: Schema.Schema<Json> = Schema.declare(isJson, {
  identifier: "Json",
  description: "a JSON value",
  jsonSchema: {}
})

/**
 * A JSON Schema document, kept as plain JSON and checked by lash's own subset validator (`JsonSchema` module).
 *
 * @since 0.1.0
 */
export type JsonSchemaDoc = { readonly [key: string]: Json }

/**
 * Schema of {@link JsonSchemaDoc}.
 *
 * @since 0.1.0
 */
export const JsonSchemaDoc: Schema.Schema<JsonSchemaDoc> = Schema.Record({ key: Schema.String, value: Json })

/** @internal */
export const opt = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })
