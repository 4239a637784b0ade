/**
 * Static type relations (docs/lashlang.md, "Values and types", static types): resolving a `Ref` against the
 * program's aliases and the host surface, and assignability `S → T`. Shared by the linker and by the host's re-check
 * of a trigger registration against a stored artifact, so the rules exist once.
 *
 * @internal
 */
import type { HostEnvironment } from "../HostCatalog.js"
import { type TypeExpr, TypeExpr as T } from "../TypeExpr.js"

/** Whether `name` is a resource type (a module's type, or one with operations). */
export const isResourceType = (env: HostEnvironment, name: string): boolean =>
  env.catalog.resourceTypes[name] !== undefined || env.catalog.modules.some((m) => m.resourceType === name)

/** Where a type is resolved: the program's aliases and the host surface. */
export interface TypeScope {
  readonly env: HostEnvironment
  readonly aliases: ReadonlyMap<string, TypeExpr>
  /** Told each host named data type the resolution used (the linker records it as a requirement). */
  readonly onNamedType?: (name: string, type: TypeExpr) => void
  /** Called for a name that resolves to nothing; must throw. */
  readonly unknownType: (name: string) => never
}

/** Resolves Refs to aliases and named data types (objects); resource and descriptor types stay Refs. */
export const resolveType = (scope: TypeScope, t: TypeExpr, seen = 0): TypeExpr => {
  if (seen > 32) return T.any
  switch (t._tag) {
    case "Ref": {
      const alias = scope.aliases.get(t.name)
      if (alias !== undefined) return resolveType(scope, alias, seen + 1)
      const named = scope.env.catalog.namedDataTypes[t.name]
      if (named !== undefined) {
        scope.onNamedType?.(t.name, named)
        return named
      }
      if (
        isResourceType(scope.env, t.name) || scope.env.catalog.constructors[t.name] !== undefined || t.name === "type"
      ) return t
      return scope.unknownType(t.name)
    }
    case "List":
      return T.list(resolveType(scope, t.item, seen + 1))
    case "Object":
      return T.object(t.fields.map((f) => ({ ...f, type: resolveType(scope, f.type, seen + 1) })))
    case "Union":
      return T.union(t.members.map((m) => resolveType(scope, m, seen + 1)))
    case "Process":
      return T.process(resolveType(scope, t.input, seen + 1), resolveType(scope, t.output, seen + 1))
    case "TriggerHandle":
      return T.triggerHandle(resolveType(scope, t.event, seen + 1))
    default:
      return t
  }
}

/** Assignability S → T, lenient where the runtime re-checks (`any` both ways, `int`/`float` both ways). */
export const fits = (s: TypeExpr, t: TypeExpr): boolean => {
  if (t._tag === "Any" || s._tag === "Any") return true
  if (s._tag === "Union") return s.members.every((m) => fits(m, t))
  if (t._tag === "Union") return t.members.some((m) => fits(s, m))
  switch (t._tag) {
    case "Int":
    case "Float":
      return s._tag === "Int" || s._tag === "Float"
    case "Str":
      return s._tag === "Str" || s._tag === "Enum"
    case "Enum":
      return s._tag === "Str" || (s._tag === "Enum" && s.values.every((v) => t.values.includes(v)))
    case "Bool":
    case "Null":
      return s._tag === t._tag
    case "Dict":
      return s._tag === "Object" || s._tag === "Dict"
    case "List":
      return s._tag === "List" && fits(s.item, t.item)
    case "Object": {
      if (s._tag === "Dict") return true
      if (s._tag !== "Object") return false
      return t.fields.every((tf) => {
        const sf = s.fields.find((f) => f.name === tf.name)
        if (sf === undefined) return tf.optional
        if (!tf.optional && sf.optional) return false
        return fits(sf.type, tf.type)
      })
    }
    case "Ref":
      return s._tag === "Ref" && s.name === t.name
    case "Process":
      return s._tag === "Process"
    case "TriggerHandle":
      return s._tag === "TriggerHandle"
  }
}
