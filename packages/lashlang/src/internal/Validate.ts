/**
 * Runtime validation (docs/lashlang.md, "Values and types" and "Semantics", boundary checks): a value against a
 * `TypeExpr` (constructor inputs, operation inputs, `start` arguments, `finish` values) or against the JSON Schema of
 * a type value (`validate`). A problem is reported as `<path>: <reason>`; the work is charged per part visited.
 *
 * @internal
 */
import type { TypeExpr } from "../TypeExpr.js"
import { isList, isRecord, typeName, type Value } from "../Value.js"
import { textPrefix } from "./Text.js"

/** How a `Ref` type resolves at run time. */
export type RefMeaning = TypeExpr | "authority" | "descriptor" | undefined

/** What validation needs from the run. */
export interface ValidationContext {
  /** A declared alias, a named data type, or a resource / descriptor type. */
  readonly resolveRef: (name: string) => RefMeaning
  /** The schema of a variable holding a type value (refs inside `Type {...}`). */
  readonly typeVariable: (name: string) => unknown
  readonly charge: (units: number) => void
}

/** Units of work charged per part visited. */
const VISIT = 10

const jsonKind = (x: Value): string =>
  x === null
    ? "null"
    : typeof x === "boolean"
    ? "boolean"
    : typeof x === "number"
    ? "number"
    : typeof x === "string"
    ? "string"
    : isList(x)
    ? "array"
    : "object"

const jsonTypeName = (t: TypeExpr): string =>
  t._tag === "Str" || t._tag === "Enum"
    ? "string"
    : t._tag === "Int"
    ? "integer"
    : t._tag === "Float"
    ? "number"
    : t._tag === "Bool"
    ? "boolean"
    : t._tag === "Null"
    ? "null"
    : t._tag === "List"
    ? "array"
    : "object"

const shown = (v: Value): string => {
  const p = textPrefix(v, 200)
  return p.cut ? `${p.text}…` : p.text
}

const isTagged = <T extends string>(v: Value, tag: T): boolean =>
  typeof v === "object" && v !== null && !isList(v) && !isRecord(v) && v._tag === tag

const isInt = (v: Value): boolean => typeof v === "number" && Number.isInteger(v)

/** Validates `v` against `t`; returns `<path>: <reason>` or undefined. */
export const checkType = (ctx: ValidationContext, v: Value, t: TypeExpr, path: string): string | undefined => {
  ctx.charge(VISIT)
  switch (t._tag) {
    case "Any":
      return undefined
    case "Str":
      return typeof v === "string" ? undefined : `${path}: expected string, got ${jsonKind(v)}`
    case "Int":
      return isInt(v) ? undefined : `${path}: expected integer, got ${jsonKind(v)}`
    case "Float":
      return typeof v === "number" ? undefined : `${path}: expected number, got ${jsonKind(v)}`
    case "Bool":
      return typeof v === "boolean" ? undefined : `${path}: expected boolean, got ${jsonKind(v)}`
    case "Null":
      return v === null ? undefined : `${path}: expected null, got ${jsonKind(v)}`
    case "Dict":
      return isRecord(v) ? undefined : `${path}: expected object, got ${jsonKind(v)}`
    case "Enum":
      return typeof v === "string" && t.values.includes(v)
        ? undefined
        : `${path}: expected one of [${t.values.join(", ")}], got ${shown(v)}`
    case "List": {
      if (!isList(v)) return `${path}: expected array, got ${jsonKind(v)}`
      for (let i = 0; i < v.length; i++) {
        const p = checkType(ctx, v[i]!, t.item, `${path}.items[${i}]`)
        if (p !== undefined) return p
      }
      return undefined
    }
    case "Object": {
      if (!isRecord(v)) return `${path}: expected object, got ${jsonKind(v)}`
      for (const f of t.fields) {
        const x = v.get(f.name)
        if (x === undefined) {
          if (f.optional) continue
          return `${path}: missing required field \`${f.name}\``
        }
        const p = checkType(ctx, x, f.type, `${path}.${f.name}`)
        if (p !== undefined) return p
      }
      return undefined
    }
    case "Union": {
      for (const m of t.members) if (checkType(ctx, v, m, path) === undefined) return undefined
      return `${path}: expected one of [${t.members.map(jsonTypeName).join(", ")}], got ${jsonKind(v)}`
    }
    case "Ref": {
      const r = ctx.resolveRef(t.name)
      if (r === "authority") {
        return isTagged(v, "Authority") && (v as { resourceType: string }).resourceType === t.name
          ? undefined
          : `${path}: expected ${t.name} authority, got ${typeName(v)}`
      }
      if (r === "descriptor") {
        return isTagged(v, "Descriptor") && (v as { typeName: string }).typeName === t.name
          ? undefined
          : `${path}: expected ${t.name}, got ${typeName(v)}`
      }
      if (r === undefined) {
        const schema = ctx.typeVariable(t.name)
        return schema === undefined ? undefined : checkSchema(ctx, v, schema, path)
      }
      return checkType(ctx, v, r, path)
    }
    case "Process":
      return isTagged(v, "ProcessDef") ? undefined : `${path}: expected process, got ${typeName(v)}`
    case "TriggerHandle":
      return undefined
  }
}

/** Validates `v` against the JSON Schema of a type value (`validate`). */
export const checkSchema = (ctx: ValidationContext, v: Value, schema: unknown, path: string): string | undefined => {
  ctx.charge(VISIT)
  const s = schema as Record<string, unknown>
  if (Array.isArray(s["anyOf"])) {
    const members = s["anyOf"] as Array<Record<string, unknown>>
    for (const m of members) if (checkSchema(ctx, v, m, path) === undefined) return undefined
    return `${path}: expected one of [${members.map((m) => String(m["type"] ?? "any")).join(", ")}], got ${jsonKind(v)}`
  }
  const type = s["type"]
  if (type === undefined) return undefined
  if (type === "integer" && !isInt(v)) return `${path}: expected integer, got ${jsonKind(v)}`
  if (type === "number" && typeof v !== "number") return `${path}: expected number, got ${jsonKind(v)}`
  if (type === "string" && typeof v !== "string") return `${path}: expected string, got ${jsonKind(v)}`
  if (type === "string" && Array.isArray(s["enum"]) && !(s["enum"] as Array<unknown>).includes(v)) {
    return `${path}: expected one of [${(s["enum"] as Array<unknown>).join(", ")}], got ${shown(v)}`
  }
  if (type === "boolean" && typeof v !== "boolean") return `${path}: expected boolean, got ${jsonKind(v)}`
  if (type === "null" && v !== null) return `${path}: expected null, got ${jsonKind(v)}`
  if (type === "array") {
    if (!isList(v)) return `${path}: expected array, got ${jsonKind(v)}`
    if (s["items"] !== undefined) {
      for (let i = 0; i < v.length; i++) {
        const p = checkSchema(ctx, v[i]!, s["items"], `${path}.items[${i}]`)
        if (p !== undefined) return p
      }
    }
  }
  if (type === "object") {
    if (!isRecord(v)) return `${path}: expected object, got ${jsonKind(v)}`
    const props = (s["properties"] ?? {}) as Record<string, unknown>
    for (const req of (s["required"] ?? []) as Array<string>) {
      if (v.get(req) === undefined) return `${path}: missing required field \`${req}\``
    }
    for (const [k, sub] of Object.entries(props)) {
      const x = v.get(k)
      if (x === undefined) continue
      const p = checkSchema(ctx, x, sub, `${path}.${k}`)
      if (p !== undefined) return p
    }
  }
  return undefined
}
