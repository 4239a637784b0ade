/**
 * Runtime values of Lashlang (docs/lashlang.md, "Values and types"): representation, truthiness, equality, conversions, printing and
 * the JSON mappings (`toJson`, `fromJson` and the trusted codec of docs/lashlang.md, "The host boundary").
 *
 * @since 0.1.0
 */
import * as Compare from "./internal/Compare.js"
import { wellFormed } from "./internal/Strings.js"
import * as Text from "./internal/Text.js"

/** A record: an immutable, insertion-ordered map (never a plain object). @since 0.1.0 */
export class RecordValue {
  readonly _tag = "Record"
  constructor(readonly entries: ReadonlyMap<string, Value>) {}
  get(key: string): Value | undefined {
    return this.entries.get(key)
  }
  get size(): number {
    return this.entries.size
  }
  /** A record from key/value pairs (later duplicates win, keeping the first position). */
  static of(pairs: Iterable<readonly [string, Value]>): RecordValue {
    return new RecordValue(new Map(pairs))
  }
}

/** A module path used as a value. @since 0.1.0 */
export interface Authority {
  readonly _tag: "Authority"
  readonly path: ReadonlyArray<string>
  readonly resourceType: string
  readonly alias: string
}

/** A process definition (the value of a bare process name). @since 0.1.0 */
export interface ProcessDefValue {
  readonly _tag: "ProcessDef"
  readonly processName: string
  readonly moduleRef: string
  readonly processRef: { readonly component: string; readonly pos: number }
  readonly hostRequirementsRef: string
}

/** The result of a value constructor such as `clock.Alarm({...})`. @since 0.1.0 */
export interface Descriptor {
  readonly _tag: "Descriptor"
  readonly typeName: string
  readonly value: Value
}

/** The result of `Type {...}`: a JSON Schema. @since 0.1.0 */
export interface TypeValue {
  readonly _tag: "TypeValue"
  readonly schema: unknown
}

/** A Lashlang runtime value. @since 0.1.0 */
export type Value =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<Value>
  | RecordValue
  | Authority
  | ProcessDefValue
  | Descriptor
  | TypeValue

/** JSON as produced by `toJson`. @since 0.1.0 */
export type JsonOut = null | boolean | number | string | ReadonlyArray<JsonOut> | { readonly [key: string]: JsonOut }

const isTagged = (v: Value): v is Authority | ProcessDefValue | Descriptor | TypeValue =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RecordValue)

/** Whether a value is a record. @since 0.1.0 */
export const isRecord = (v: Value | undefined): v is RecordValue => v instanceof RecordValue

/** Whether a value is a list. @since 0.1.0 */
export const isList = (v: Value | undefined): v is ReadonlyArray<Value> => Array.isArray(v)

/** The kind name used in messages. @since 0.1.0 */
export const typeName = (v: Value): string => {
  if (v === null) return "null"
  if (typeof v === "boolean") return "bool"
  if (typeof v === "number") return "number"
  if (typeof v === "string") return "string"
  if (Array.isArray(v)) return "list"
  if (v instanceof RecordValue) return "record"
  switch ((v as Authority | ProcessDefValue | Descriptor | TypeValue)._tag) {
    case "Authority":
      return "resource"
    case "ProcessDef":
      return "process"
    case "Descriptor":
      return "descriptor"
    case "TypeValue":
      return "type"
  }
}

/** Falsy: null, false, 0, -0, NaN, "". @since 0.1.0 */
export const truthy = (v: Value): boolean =>
  !(v === null || v === false || v === 0 || v === "" || (typeof v === "number" && Number.isNaN(v)))

const defineData = (obj: Record<string, JsonOut>, key: string, value: JsonOut) =>
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })

/**
 * The JSON form of a value: non-finite numbers become `null`, records plain objects (keys defined as own data, so a
 * `"__proto__"` key stays data), tagged kinds their reserved-key objects.
 *
 * @since 0.1.0
 */
export const toJson = (v: Value): JsonOut => {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v
  if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : null
  if (Array.isArray(v)) return v.map(toJson)
  if (v instanceof RecordValue) {
    const out: Record<string, JsonOut> = {}
    // Plain assignment except for the one key whose assignment would set the prototype instead.
    for (const [k, x] of v.entries) {
      if (k === "__proto__") defineData(out, k, toJson(x))
      else out[k] = toJson(x)
    }
    return out
  }
  const t = v as Authority | ProcessDefValue | Descriptor | TypeValue
  switch (t._tag) {
    case "Authority":
      return { __resource__: true, alias: t.alias, type: t.resourceType }
    case "ProcessDef":
      return {
        $lash_process: true,
        host_requirements_ref: t.hostRequirementsRef,
        module_ref: t.moduleRef,
        process_name: t.processName,
        process_ref: { component: t.processRef.component, pos: t.processRef.pos }
      }
    case "Descriptor":
      return { $lash_host_descriptor_type: t.typeName, $lash_host_descriptor_value: toJson(t.value) }
    case "TypeValue":
      return { $lash_type: t.schema as JsonOut }
  }
}

const sortKeys = (keys: Iterable<string>): Array<string> => [...keys].sort()

/** JSON nested deeper than this is refused by {@link fromJson} (the interpreter's own limits are checked on entry). */
const MAX_JSON_DEPTH = 512

/** JSON that {@link fromJson} cannot turn into a value. @since 0.1.0 */
export class JsonNestingTooDeep extends RangeError {
  constructor() {
    super(`value nesting too deep (limit ${MAX_JSON_DEPTH})`)
  }
}

/**
 * Decodes JSON into a value: objects become records with keys in canonical order; strings and keys are made well
 * formed (a lone surrogate becomes U+FFFD, docs/lashlang.md, "Values and types"); never produces tagged kinds.
 * Throws {@link JsonNestingTooDeep} past 512 levels.
 *
 * @since 0.1.0
 */
export const fromJson = (json: unknown, depth = 0): Value => {
  if (depth > MAX_JSON_DEPTH) throw new JsonNestingTooDeep()
  if (json === null || typeof json === "boolean" || typeof json === "number") return json
  if (typeof json === "string") return wellFormed(json)
  if (Array.isArray(json)) return json.map((x) => fromJson(x, depth + 1))
  if (typeof json === "object") {
    const obj = json as Record<string, unknown>
    return RecordValue.of(
      sortKeys(Object.keys(obj)).map((k) => [wellFormed(k), fromJson(obj[k], depth + 1)] as const)
    )
  }
  return null
}

/**
 * Number text form: plain decimal, never an exponent, shortest round-trip digits; `-0` → `0`, `NaN`, `inf`/`-inf`.
 *
 * @since 0.1.0
 */
export const numberText: (n: number) => string = Text.numberText

/**
 * JSON text of a value (used by `print`, `to_string`, `format`, `+` and submitted values): canonical, record keys
 * sorted by UTF-16 code unit, no whitespace.
 *
 * @since 0.1.0
 */
export const toJsonText = (v: Value): string => Text.jsonText(v)

/**
 * toText: strings verbatim, numbers in text form, `null`/booleans as words, everything else JSON text.
 *
 * @since 0.1.0
 */
export const toText = (v: Value): string => Text.toText(v)

/**
 * Structural equality with no coercion across kinds; records ignore key order; tagged kinds compare by JSON form.
 *
 * @since 0.1.0
 */
export const equals = (a: Value, b: Value): boolean => Compare.equals(a, b, () => {})

/** Whether a value is one of the tagged kinds. @since 0.1.0 */
export const isTaggedKind = isTagged

// ---- trusted codec (docs/lashlang.md, "The host boundary"): only for data the runtime itself wrote ------------------------------------------

/**
 * Encodes a value for a snapshot or process argument: ordinary values as JSON, tagged kinds as reserved-key forms.
 *
 * @since 0.1.0
 */
export const encodeTrusted = (v: Value): JsonOut => toJson(v)

/**
 * Decodes trusted JSON (a snapshot row or process argument the runtime wrote), restoring tagged kinds.
 *
 * @since 0.1.0
 */
export const decodeTrusted = (json: unknown, depth = 0): Value => {
  if (depth > MAX_JSON_DEPTH) throw new JsonNestingTooDeep()
  if (json === null || typeof json !== "object") return fromJson(json)
  if (Array.isArray(json)) return json.map((x) => decodeTrusted(x, depth + 1))
  const obj = json as Record<string, unknown>
  if (obj["__resource__"] === true && typeof obj["alias"] === "string" && typeof obj["type"] === "string") {
    const alias = obj["alias"] as string
    return { _tag: "Authority", path: alias.split("."), resourceType: obj["type"] as string, alias }
  }
  if (obj["$lash_process"] === true) {
    const ref = obj["process_ref"] as { component: string; pos: number }
    return {
      _tag: "ProcessDef",
      processName: String(obj["process_name"]),
      moduleRef: String(obj["module_ref"]),
      processRef: { component: ref.component, pos: ref.pos },
      hostRequirementsRef: String(obj["host_requirements_ref"])
    }
  }
  if (typeof obj["$lash_host_descriptor_type"] === "string") {
    return {
      _tag: "Descriptor",
      typeName: obj["$lash_host_descriptor_type"] as string,
      value: decodeTrusted(obj["$lash_host_descriptor_value"], depth + 1)
    }
  }
  if ("$lash_type" in obj && Object.keys(obj).length === 1) return { _tag: "TypeValue", schema: obj["$lash_type"] }
  return RecordValue.of(
    sortKeys(Object.keys(obj)).map((k) => [wellFormed(k), decodeTrusted(obj[k], depth + 1)] as const)
  )
}
