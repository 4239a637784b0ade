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

/**
 * Schema of {@link Json}. Rejects non-finite numbers, `undefined` and anything that is not plain JSON.
 *
 * @since 0.1.0
 */
export const Json: Schema.Schema<Json> = Schema.suspend(
  (): Schema.Schema<Json> =>
    Schema.Union(
      Schema.Null,
      Schema.Boolean,
      Schema.JsonNumber,
      Schema.String,
      Schema.Array(Json),
      Schema.Record({ key: Schema.String, value: Json })
    )
).annotations({ identifier: "Json" })

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
