/**
 * The host surface a Lashlang program links against (docs/lashlang.md, "Semantics"): the immutable `HostCatalog`, abilities,
 * language features and the `HostEnvironment` that drives both linking and the prompt.
 *
 * @since 0.1.0
 */
import { Data, Either, Schema } from "effect"
import { dual } from "effect/Function"
import { canonicalJsonUnsafe } from "./Canonical.js"
import { type NamedDataType, TypeExpr } from "./TypeExpr.js"

const OperationSpec = Schema.Struct({
  hostOperation: Schema.String,
  input: TypeExpr,
  output: TypeExpr,
  doc: Schema.optionalWith(Schema.String, { exact: true })
})

const HostCatalogSchema = Schema.Struct({
  modules: Schema.Array(Schema.Struct({ path: Schema.Array(Schema.String), resourceType: Schema.String })),
  resourceTypes: Schema.Record({
    key: Schema.String,
    value: Schema.Record({ key: Schema.String, value: OperationSpec })
  }),
  namedDataTypes: Schema.Record({ key: Schema.String, value: TypeExpr }),
  constructors: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ input: TypeExpr, typeName: Schema.String })
  }),
  triggerSources: Schema.Record({ key: Schema.String, value: Schema.Struct({ eventType: Schema.String }) })
})

/** The typed declarations of a host surface. @since 0.1.0 */
export interface HostCatalog extends Schema.Schema.Type<typeof HostCatalogSchema> {}

/** Two contributions define the same key differently. @since 0.1.0 */
export class CatalogConflict extends Data.TaggedError("CatalogConflict")<{
  readonly key: string
  readonly first: unknown
  readonly second: unknown
}> {
  override get message(): string {
    return `host catalog conflict at ${this.key}`
  }
}

const same = (a: unknown, b: unknown): boolean => canonicalJsonUnsafe(a) === canonicalJsonUnsafe(b)

type Result = Either.Either<HostCatalog, CatalogConflict>

const putRecord = <V>(record: Readonly<Record<string, V>>, key: string, value: V, conflictKey: string) =>
  record[key] !== undefined && !same(record[key], value)
    ? Either.left(new CatalogConflict({ key: conflictKey, first: record[key], second: value }))
    : Either.right({ ...record, [key]: value })

const addModule = (c: HostCatalog, path: ReadonlyArray<string>, resourceType: string): Result => {
  const alias = path.join(".")
  const existing = c.modules.find((m) => m.path.join(".") === alias)
  if (existing === undefined) return Either.right({ ...c, modules: [...c.modules, { path: [...path], resourceType }] })
  return existing.resourceType === resourceType
    ? Either.right(c)
    : Either.left(new CatalogConflict({ key: `module:${alias}`, first: existing.resourceType, second: resourceType }))
}

const addModuleOperation = (
  c: HostCatalog,
  path: ReadonlyArray<string>,
  resourceType: string,
  op: string,
  hostOperation: string,
  input: TypeExpr,
  output: TypeExpr,
  doc?: string
): Result =>
  Either.flatMap(addModule(c, path, resourceType), (withModule) => {
    const ops = withModule.resourceTypes[resourceType] ?? {}
    const spec = doc === undefined ? { hostOperation, input, output } : { hostOperation, input, output, doc }
    return Either.flatMap(putRecord(ops, op, spec, `operation:${resourceType}.${op}`), (nextOps) =>
      Either.right({ ...withModule, resourceTypes: { ...withModule.resourceTypes, [resourceType]: nextOps } }))
  })

const addNamedDataType = (c: HostCatalog, t: NamedDataType): Result =>
  Either.map(
    putRecord(c.namedDataTypes, t.name, t.type, `named_type:${t.name}`),
    (namedDataTypes) => ({ ...c, namedDataTypes })
  )

const addValueConstructor = (c: HostCatalog, path: ReadonlyArray<string>, input: TypeExpr, typeName: string): Result =>
  Either.map(
    putRecord(c.constructors, path.join("."), { input, typeName }, `constructor:${path.join(".")}`),
    (constructors) => ({
      ...c,
      constructors
    })
  )

const addTriggerSource = (
  c: HostCatalog,
  path: ReadonlyArray<string>,
  config: TypeExpr,
  event: NamedDataType
): Result => {
  const name = path.join(".")
  return Either.flatMap(
    addValueConstructor(c, path, config, name),
    (c1) =>
      Either.flatMap(addNamedDataType(c1, event), (c2) =>
        Either.map(
          putRecord(c2.triggerSources, name, { eventType: event.name }, `trigger_source:${name}`),
          (triggerSources) => ({
            ...c2,
            triggerSources
          })
        ))
  )
}

const merge = (a: HostCatalog, b: HostCatalog): Result => {
  let out: Result = Either.right(a)
  for (const m of b.modules) out = Either.flatMap(out, (c) => addModule(c, m.path, m.resourceType))
  for (const [rt, ops] of Object.entries(b.resourceTypes)) {
    for (const [op, spec] of Object.entries(ops)) {
      out = Either.flatMap(
        out,
        (c) =>
          Either.map(putRecord(c.resourceTypes[rt] ?? {}, op, spec, `operation:${rt}.${op}`), (nextOps) => ({
            ...c,
            resourceTypes: { ...c.resourceTypes, [rt]: nextOps }
          }))
      )
    }
  }
  for (const [name, type] of Object.entries(b.namedDataTypes)) {
    out = Either.flatMap(out, (c) => addNamedDataType(c, { name, type }))
  }
  for (const [name, ctor] of Object.entries(b.constructors)) {
    out = Either.flatMap(out, (c) => addValueConstructor(c, name.split("."), ctor.input, ctor.typeName))
  }
  for (const [name, src] of Object.entries(b.triggerSources)) {
    out = Either.flatMap(
      out,
      (c) =>
        Either.map(
          putRecord(c.triggerSources, name, src, `trigger_source:${name}`),
          (triggerSources) => ({ ...c, triggerSources })
        )
    )
  }
  return out
}

/**
 * Schema and builders of {@link HostCatalog}. Every builder returns a new catalog or a `CatalogConflict`; data-last
 * forms work with `pipe` and `Either.flatMap`.
 *
 * @since 0.1.0
 */
export const HostCatalog = Object.assign(HostCatalogSchema, {
  /** The empty catalog. */
  empty: { modules: [], resourceTypes: {}, namedDataTypes: {}, constructors: {}, triggerSources: {} } as HostCatalog,
  /** Adds module `path` (of `resourceType`) with one operation. */
  addModuleOperation: dual(
    (args) => typeof args[0] === "object" && args[0] !== null && "modules" in (args[0] as object),
    addModuleOperation
  ) as {
    (
      path: ReadonlyArray<string>,
      resourceType: string,
      op: string,
      hostOperation: string,
      input: TypeExpr,
      output: TypeExpr,
      doc?: string
    ): (c: HostCatalog) => Result
    (
      c: HostCatalog,
      path: ReadonlyArray<string>,
      resourceType: string,
      op: string,
      hostOperation: string,
      input: TypeExpr,
      output: TypeExpr,
      doc?: string
    ): Result
  },
  /** Adds `tools.<name>` (`any -> any`) for each name. */
  addTools: dual(2, (c: HostCatalog, names: ReadonlyArray<string>): Result => {
    let out: Result = Either.right(c)
    for (const name of names) {
      out = Either.flatMap(
        out,
        (cc) => addModuleOperation(cc, ["tools"], "Tools", name, `tools.${name}`, TypeExpr.any, TypeExpr.any)
      )
    }
    return out
  }) as {
    (names: ReadonlyArray<string>): (c: HostCatalog) => Result
    (c: HostCatalog, names: ReadonlyArray<string>): Result
  },
  /** Adds a pure value constructor `path(input) -> Ref(typeName)`. */
  addValueConstructor: dual(4, addValueConstructor) as {
    (path: ReadonlyArray<string>, input: TypeExpr, typeName: string): (c: HostCatalog) => Result
    (c: HostCatalog, path: ReadonlyArray<string>, input: TypeExpr, typeName: string): Result
  },
  /** Adds a named data type. */
  addNamedDataType: dual(2, addNamedDataType) as {
    (t: NamedDataType): (c: HostCatalog) => Result
    (c: HostCatalog, t: NamedDataType): Result
  },
  /** Adds the trigger-source constructor `path(config) -> Ref(path)`, its event's named type and the source. */
  addTriggerSource: dual(4, addTriggerSource) as {
    (path: ReadonlyArray<string>, config: TypeExpr, event: NamedDataType): (c: HostCatalog) => Result
    (c: HostCatalog, path: ReadonlyArray<string>, config: TypeExpr, event: NamedDataType): Result
  },
  /** Unions two catalogs; the same key with a different definition is a conflict. */
  merge: dual(2, merge) as { (b: HostCatalog): (a: HostCatalog) => Result; (a: HostCatalog, b: HostCatalog): Result },
  /**
   * Adds the modules a runtime provides itself (docs/lashlang.md, "Host surface"): with `triggers`, module `triggers`
   * (`register`, `list`, `cancel`); with `processes`, module `processes` (`list`).
   */
  addRuntimeModules: (
    c: HostCatalog,
    abilities: { readonly processes: boolean; readonly triggers: boolean }
  ): Result => {
    let out: Result = Either.right(c)
    const add = (
      path: string,
      resourceType: string,
      op: string,
      input: TypeExpr,
      output: TypeExpr,
      doc: string | undefined
    ) => {
      out = Either.flatMap(
        out,
        (cc) => addModuleOperation(cc, [path], resourceType, op, `${path}.${op}`, input, output, doc)
      )
    }
    if (abilities.triggers) {
      add("triggers", "Triggers", "register", TypeExpr.any, TypeExpr.any, undefined)
      add(
        "triggers",
        "Triggers",
        "list",
        RuntimeModuleTypes.triggerListInput,
        TypeExpr.list(RuntimeModuleTypes.triggerEntry),
        "this session's registrations"
      )
      add(
        "triggers",
        "Triggers",
        "cancel",
        RuntimeModuleTypes.triggerCancelInput,
        TypeExpr.bool,
        "disables one of this session's registrations; false when it is not one"
      )
    }
    if (abilities.processes) {
      add(
        "processes",
        "Processes",
        "list",
        RuntimeModuleTypes.processListInput,
        TypeExpr.list(RuntimeModuleTypes.processEntry),
        "the processes this caller may await; each entry is a handle"
      )
    }
    return out
  }
})

/**
 * The types of the runtime's own modules (`triggers`, `processes`).
 *
 * @since 0.1.0
 */
export const RuntimeModuleTypes = {
  triggerEntry: TypeExpr.object([
    TypeExpr.field("type", TypeExpr.str),
    TypeExpr.field("id", TypeExpr.str),
    TypeExpr.field("name", TypeExpr.union([TypeExpr.str, TypeExpr.null])),
    TypeExpr.field("source_type", TypeExpr.str),
    TypeExpr.field("source_key", TypeExpr.str),
    TypeExpr.field("enabled", TypeExpr.bool)
  ]),
  triggerListInput: TypeExpr.object([
    TypeExpr.field("target", TypeExpr.any, { optional: true }),
    TypeExpr.field("name", TypeExpr.str, { optional: true }),
    TypeExpr.field("source_type", TypeExpr.str, { optional: true }),
    TypeExpr.field("enabled", TypeExpr.bool, { optional: true })
  ]),
  triggerCancelInput: TypeExpr.object([TypeExpr.field("handle", TypeExpr.any)]),
  processEntry: TypeExpr.object([
    TypeExpr.field("id", TypeExpr.str),
    TypeExpr.field("name", TypeExpr.str),
    TypeExpr.field("status", TypeExpr.enum(["running", "completed", "failed", "cancelled"]))
  ]),
  processListInput: TypeExpr.object([
    TypeExpr.field("status", TypeExpr.enum(["running", "terminal"]), { optional: true })
  ])
} as const

const AbilitiesSchema = Schema.Struct({
  processes: Schema.Boolean,
  sleep: Schema.Boolean,
  processSignals: Schema.Boolean,
  triggers: Schema.Boolean
})

/** Coarse language capability switches, checked at link time. @since 0.1.0 */
export interface LashlangAbilities extends Schema.Schema.Type<typeof AbilitiesSchema> {}

const abilitiesWith = (base: LashlangAbilities) => ({
  ...base,
  withProcesses: () => abilitiesWith({ ...base, processes: true }),
  withSleep: () => abilitiesWith({ ...base, sleep: true }),
  withProcessSignals: () => abilitiesWith({ ...base, processSignals: true }),
  withTriggers: () => abilitiesWith({ ...base, triggers: true })
})

/**
 * Schema and builders of {@link LashlangAbilities}.
 *
 * @since 0.1.0
 */
export const LashlangAbilities = Object.assign(AbilitiesSchema, {
  /** Every ability off (builders: `none.withProcesses()` ...). */
  none: abilitiesWith({ processes: false, sleep: false, processSignals: false, triggers: false }),
  /** Every ability on. */
  all: abilitiesWith({ processes: true, sleep: true, processSignals: true, triggers: true }),
  /** The union of two ability sets. */
  union: (a: LashlangAbilities, b: LashlangAbilities): LashlangAbilities => ({
    processes: a.processes || b.processes,
    sleep: a.sleep || b.sleep,
    processSignals: a.processSignals || b.processSignals,
    triggers: a.triggers || b.triggers
  }),
  /** The plain record (without builder methods), for storage and comparison. */
  plain: (a: LashlangAbilities): LashlangAbilities => ({
    processes: a.processes,
    sleep: a.sleep,
    processSignals: a.processSignals,
    triggers: a.triggers
  })
})

const FeaturesSchema = Schema.Struct({ labels: Schema.Boolean })

/** Optional language features. @since 0.1.0 */
export interface LashlangLanguageFeatures extends Schema.Schema.Type<typeof FeaturesSchema> {}

/**
 * Schema and defaults of {@link LashlangLanguageFeatures}.
 *
 * @since 0.1.0
 */
export const LashlangLanguageFeatures = Object.assign(FeaturesSchema, {
  /** Every feature off. */
  none: { labels: false } as LashlangLanguageFeatures,
  /** Every feature on. */
  all: { labels: true } as LashlangLanguageFeatures
})

/**
 * Everything a program may reference; the same value drives linking and the prompt.
 *
 * @since 0.1.0
 */
export const HostEnvironment = Schema.Struct({
  catalog: HostCatalogSchema,
  abilities: AbilitiesSchema,
  features: FeaturesSchema,
  readOnlyBindings: Schema.Record({ key: Schema.String, value: TypeExpr })
})
/** @since 0.1.0 */
export interface HostEnvironment extends Schema.Schema.Type<typeof HostEnvironment> {}
