/**
 * Module artifacts: the content-addressed, storable form of a linked module (docs/lashlang.md, "The host boundary"), and `satisfies`, the
 * check that a (rebuilt) host environment still provides everything an artifact requires.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { canonicalJsonUnsafe } from "./Canonical.js"
import type { HostEnvironment } from "./HostCatalog.js"
import { formatType, TypeExpr } from "./TypeExpr.js"

/** A process within a module: the hash of its declaration and its position. @since 0.1.0 */
export const ProcessRef = Schema.Struct({ component: Schema.String, pos: Schema.NonNegativeInt })
/** @since 0.1.0 */
export interface ProcessRef extends Schema.Schema.Type<typeof ProcessRef> {}

/** An exported process: its ref and signature. @since 0.1.0 */
export const ProcessExport = Schema.Struct({
  ref: ProcessRef,
  params: Schema.Array(Schema.Struct({ name: Schema.String, type: TypeExpr })),
  returns: Schema.optionalWith(TypeExpr, { exact: true }),
  signals: Schema.optionalWith(Schema.Record({ key: Schema.String, value: TypeExpr }), { exact: true })
})
/** @since 0.1.0 */
export interface ProcessExport extends Schema.Schema.Type<typeof ProcessExport> {}

/** What a module actually uses of its host. Every array is sorted by canonical JSON. @since 0.1.0 */
export const HostRequirements = Schema.Struct({
  modules: Schema.Array(Schema.Struct({ path: Schema.Array(Schema.String), resourceType: Schema.String })),
  operations: Schema.Array(
    Schema.Struct({ resourceType: Schema.String, op: Schema.String, input: TypeExpr, output: TypeExpr })
  ),
  constructors: Schema.Array(
    Schema.Struct({ path: Schema.Array(Schema.String), input: TypeExpr, typeName: Schema.String })
  ),
  namedTypes: Schema.Record({ key: Schema.String, value: TypeExpr }),
  triggerSources: Schema.Record({ key: Schema.String, value: Schema.Struct({ eventType: Schema.String }) }),
  abilities: Schema.Array(Schema.Literal("processes", "sleep", "processSignals", "triggers"))
})
/** @since 0.1.0 */
export interface HostRequirements extends Schema.Schema.Type<typeof HostRequirements> {}

/** A linked module as stored: refs, requirements, exports and its canonical IR. @since 0.1.0 */
export const ModuleArtifact = Schema.Struct({
  moduleRef: Schema.String,
  hostRequirements: HostRequirements,
  hostRequirementsRef: Schema.String,
  exports: Schema.Struct({ processes: Schema.Record({ key: Schema.String, value: ProcessExport }) }),
  canonicalIr: Schema.Unknown
})
/** @since 0.1.0 */
export interface ModuleArtifact extends Schema.Schema.Type<typeof ModuleArtifact> {}

/** One requirement the environment does not meet. @since 0.1.0 */
export interface RequirementMismatch {
  readonly kind: "module" | "operation" | "constructor" | "named_type" | "trigger_source" | "ability"
  readonly key: string
  readonly expected: string
  readonly actual: string | null
}

const sameType = (a: TypeExpr, b: TypeExpr) => canonicalJsonUnsafe(a) === canonicalJsonUnsafe(b)

/**
 * Holds when every module, operation, constructor, named type, trigger source and ability the artifact requires is
 * present in `env` with an identical type.
 *
 * @since 0.1.0
 */
export const satisfies = (
  requirements: HostRequirements,
  env: HostEnvironment
): Either.Either<void, ReadonlyArray<RequirementMismatch>> => {
  const out: Array<RequirementMismatch> = []
  const cat = env.catalog
  for (const m of requirements.modules) {
    const alias = m.path.join(".")
    const found = cat.modules.find((x) => x.path.join(".") === alias)
    if (found?.resourceType !== m.resourceType) {
      out.push({ kind: "module", key: alias, expected: m.resourceType, actual: found?.resourceType ?? null })
    }
  }
  for (const o of requirements.operations) {
    const found = cat.resourceTypes[o.resourceType]?.[o.op]
    const key = `${o.resourceType}.${o.op}`
    const expected = `${formatType(o.input)} -> ${formatType(o.output)}`
    if (found === undefined || !sameType(found.input, o.input) || !sameType(found.output, o.output)) {
      out.push({
        kind: "operation",
        key,
        expected,
        actual: found === undefined ? null : `${formatType(found.input)} -> ${formatType(found.output)}`
      })
    }
  }
  for (const c of requirements.constructors) {
    const key = c.path.join(".")
    const found = cat.constructors[key]
    if (found === undefined || !sameType(found.input, c.input) || found.typeName !== c.typeName) {
      out.push({
        kind: "constructor",
        key,
        expected: `${formatType(c.input)} -> ${c.typeName}`,
        actual: found === undefined ? null : `${formatType(found.input)} -> ${found.typeName}`
      })
    }
  }
  for (const [name, type] of Object.entries(requirements.namedTypes)) {
    const found = cat.namedDataTypes[name]
    if (found === undefined || !sameType(found, type)) {
      out.push({
        kind: "named_type",
        key: name,
        expected: formatType(type),
        actual: found === undefined ? null : formatType(found)
      })
    }
  }
  for (const [name, src] of Object.entries(requirements.triggerSources)) {
    const found = cat.triggerSources[name]
    if (found?.eventType !== src.eventType) {
      out.push({ kind: "trigger_source", key: name, expected: src.eventType, actual: found?.eventType ?? null })
    }
  }
  for (const ability of requirements.abilities) {
    if (!env.abilities[ability]) out.push({ kind: "ability", key: ability, expected: "enabled", actual: "disabled" })
  }
  return out.length === 0 ? Either.void : Either.left(out)
}
