/**
 * Type expressions of Lashlang (docs/lashlang.md, "Values and types"): the data shape used by host catalogs, artifacts and `satisfies`.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/** A Lashlang type. @since 0.1.0 */
export type TypeExpr =
  | { readonly _tag: "Any" }
  | { readonly _tag: "Str" }
  | { readonly _tag: "Int" }
  | { readonly _tag: "Float" }
  | { readonly _tag: "Bool" }
  | { readonly _tag: "Dict" }
  | { readonly _tag: "Null" }
  | { readonly _tag: "Enum"; readonly values: ReadonlyArray<string> }
  | { readonly _tag: "List"; readonly item: TypeExpr }
  | { readonly _tag: "Object"; readonly fields: ReadonlyArray<TypeField> }
  | { readonly _tag: "Ref"; readonly name: string }
  | { readonly _tag: "Process"; readonly input: TypeExpr; readonly output: TypeExpr }
  | { readonly _tag: "TriggerHandle"; readonly event: TypeExpr }
  | { readonly _tag: "Union"; readonly members: ReadonlyArray<TypeExpr> }

/** One field of an object type, in declaration order. @since 0.1.0 */
export interface TypeField {
  readonly name: string
  readonly type: TypeExpr
  readonly optional: boolean
}

const tag = <T extends string>(t: T) => Schema.Struct({ _tag: Schema.Literal(t) })

const TypeExprSchema: Schema.Schema<TypeExpr> = Schema.suspend(
  (): Schema.Schema<TypeExpr> =>
    Schema.Union(
      tag("Any"),
      tag("Str"),
      tag("Int"),
      tag("Float"),
      tag("Bool"),
      tag("Dict"),
      tag("Null"),
      Schema.Struct({ _tag: Schema.Literal("Enum"), values: Schema.Array(Schema.String) }),
      Schema.Struct({ _tag: Schema.Literal("List"), item: TypeExprSchema }),
      Schema.Struct({
        _tag: Schema.Literal("Object"),
        fields: Schema.Array(Schema.Struct({ name: Schema.String, type: TypeExprSchema, optional: Schema.Boolean }))
      }),
      Schema.Struct({ _tag: Schema.Literal("Ref"), name: Schema.String }),
      Schema.Struct({ _tag: Schema.Literal("Process"), input: TypeExprSchema, output: TypeExprSchema }),
      Schema.Struct({ _tag: Schema.Literal("TriggerHandle"), event: TypeExprSchema }),
      Schema.Struct({ _tag: Schema.Literal("Union"), members: Schema.Array(TypeExprSchema) })
    )
).annotations({ identifier: "TypeExpr" })

/**
 * Schema and constructors of {@link TypeExpr}.
 *
 * @since 0.1.0
 */
export const TypeExpr = Object.assign(TypeExprSchema, {
  any: { _tag: "Any" } as TypeExpr,
  str: { _tag: "Str" } as TypeExpr,
  int: { _tag: "Int" } as TypeExpr,
  float: { _tag: "Float" } as TypeExpr,
  bool: { _tag: "Bool" } as TypeExpr,
  dict: { _tag: "Dict" } as TypeExpr,
  null: { _tag: "Null" } as TypeExpr,
  enum: (values: ReadonlyArray<string>): TypeExpr => ({ _tag: "Enum", values }),
  list: (item: TypeExpr): TypeExpr => ({ _tag: "List", item }),
  object: (fields: ReadonlyArray<TypeField>): TypeExpr => ({ _tag: "Object", fields }),
  field: (name: string, type: TypeExpr, options?: { readonly optional?: boolean }): TypeField => ({
    name,
    type,
    optional: options?.optional ?? false
  }),
  ref: (name: string): TypeExpr => ({ _tag: "Ref", name }),
  process: (input: TypeExpr, output: TypeExpr): TypeExpr => ({ _tag: "Process", input, output }),
  triggerHandle: (event: TypeExpr): TypeExpr => ({ _tag: "TriggerHandle", event }),
  union: (members: ReadonlyArray<TypeExpr>): TypeExpr => ({ _tag: "Union", members })
})

/**
 * The JSON Schema of a type. `resolveRef` supplies the schema of a named type; `openObjects` emits
 * `additionalProperties: true`, which is what trigger payloads need (Lashlang's validation accepts extra fields, so
 * an emit must too), while `Type {...}` literals are closed.
 *
 * @since 0.1.0
 */
export const toJsonSchema = (
  t: TypeExpr,
  options: { readonly resolveRef: (name: string) => unknown; readonly openObjects: boolean }
): unknown => {
  const go = (x: TypeExpr): unknown => {
    switch (x._tag) {
      case "Str":
        return { type: "string" }
      case "Int":
        return { type: "integer" }
      case "Float":
        return { type: "number" }
      case "Bool":
        return { type: "boolean" }
      case "Dict":
        return { type: "object" }
      case "Null":
        return { type: "null" }
      case "Enum":
        return { type: "string", enum: [...x.values] }
      case "List":
        return { type: "array", items: go(x.item) }
      case "Object":
        return {
          type: "object",
          properties: Object.fromEntries(x.fields.map((f) => [f.name, go(f.type)])),
          required: x.fields.filter((f) => !f.optional).map((f) => f.name),
          additionalProperties: options.openObjects
        }
      case "Union":
        return { anyOf: x.members.map(go) }
      case "Ref":
        return options.resolveRef(x.name)
      default:
        return {}
    }
  }
  return go(t)
}

/**
 * Prints a type as messages and prompts show it: `{ a: str, b: int? }`, `list[T]`, `enum["a", "b"]`, ...
 *
 * @since 0.1.0
 */
export const formatType = (t: TypeExpr): string => {
  switch (t._tag) {
    case "Any":
      return "any"
    case "Str":
      return "str"
    case "Int":
      return "int"
    case "Float":
      return "float"
    case "Bool":
      return "bool"
    case "Dict":
      return "dict"
    case "Null":
      return "null"
    case "Enum":
      return `enum[${t.values.map((v) => JSON.stringify(v)).join(", ")}]`
    case "List":
      return `list[${formatType(t.item)}]`
    case "Object":
      return t.fields.length === 0
        ? "{}"
        : `{ ${t.fields.map((f) => `${f.name}: ${formatType(f.type)}${f.optional ? "?" : ""}`).join(", ")} }`
    case "Ref":
      return t.name
    case "Process":
      return `Process<${formatType(t.input)}, ${formatType(t.output)}>`
    case "TriggerHandle":
      return `TriggerHandle<${formatType(t.event)}>`
    case "Union":
      return t.members.map(formatType).join(" | ")
  }
}

/** A host named data type: a dotted name bound to an object type. @since 0.1.0 */
export interface NamedDataType {
  readonly name: string
  readonly type: TypeExpr
}

/** A named data type that breaks the rules of docs/lashlang.md, "Values and types". @since 0.1.0 */
export class InvalidNamedType extends Schema.TaggedError<InvalidNamedType>()("InvalidNamedType", {
  name: Schema.String,
  reason: Schema.String
}) {}

/**
 * True when `t` or a type nested in it (list items, object fields, union members) satisfies `leaf`.
 *
 * @internal
 */
export const someNestedType = (t: TypeExpr, leaf: (t: TypeExpr) => boolean): boolean => {
  if (leaf(t)) return true
  switch (t._tag) {
    case "List":
      return someNestedType(t.item, leaf)
    case "Object":
      return t.fields.some((f) => someNestedType(f.type, leaf))
    case "Union":
      return t.members.some((m) => someNestedType(m, leaf))
    default:
      return false
  }
}

const containsForbidden = (t: TypeExpr): boolean =>
  someNestedType(t, (x) => x._tag === "Ref" || x._tag === "Process" || x._tag === "TriggerHandle")

/**
 * Schema and constructor of {@link NamedDataType}.
 *
 * @since 0.1.0
 */
export const NamedDataType = Object.assign(Schema.Struct({ name: Schema.String, type: TypeExpr }), {
  /** An object named type; the name needs at least two dotted segments and the fields no Ref/Process/TriggerHandle. */
  object: (name: string, fields: ReadonlyArray<TypeField>): Either.Either<NamedDataType, InvalidNamedType> => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(name)) {
      return Either.left(new InvalidNamedType({ name, reason: "a named data type needs at least two dotted segments" }))
    }
    const type = TypeExpr.object(fields)
    if (containsForbidden(type)) {
      return Either.left(
        new InvalidNamedType({ name, reason: "named data types cannot contain Ref, Process or TriggerHandle types" })
      )
    }
    return Either.right({ name, type })
  }
})
