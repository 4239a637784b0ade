/**
 * The linker (checker): resolves every name, module operation, constructor, process and trigger registration of a
 * program against a `HostEnvironment` (docs/lashlang.md, "Semantics"), computes its host requirements and produces the
 * content-addressed `ModuleArtifact` (docs/lashlang.md, "The host boundary").
 *
 * Why one file of this size: the checks are one walk over the tree that shares its scope (names, static types, the
 * requirements being collected, the node paths that become site ids); the rules that stand on their own live in
 * `internal/Types.ts` (assignability), `internal/TriggerInputs.ts` (trigger inputs), `internal/StartedHandles.ts`
 * (which names hold one process's handle, for `signal_run`) and `internal/Builtins.ts` (builtin arities and result
 * types).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ModuleArtifact, ProcessExport } from "./Artifact.js"
import type { Expr, ProcessDecl, Program, Stmt } from "./Ast.js"
import { canonicalJsonUnsafe, sha256Hex } from "./Canonical.js"
import { LashlangLinkError, type Span } from "./Errors.js"
import type { HostEnvironment } from "./HostCatalog.js"
import { arityMessage, BUILTINS } from "./internal/Builtins.js"
import { startedHandles } from "./internal/StartedHandles.js"
import { triggerInputProblem } from "./internal/TriggerInputs.js"
import { fits, isResourceType, resolveType, type TypeScope } from "./internal/Types.js"
import { parseSync } from "./Parser.js"
import { formatType, type NamedDataType, someNestedType, type TypeExpr, TypeExpr as T } from "./TypeExpr.js"
import { isList, isRecord, RecordValue, type Value } from "./Value.js"

/** How a receiver call was resolved. @internal */
export type CallResolution =
  | { readonly kind: "ctor"; readonly typeName: string; readonly input: TypeExpr; readonly precise: boolean }
  | {
    readonly kind: "op"
    readonly path: ReadonlyArray<string>
    readonly resourceType: string
    readonly op: string
    readonly hostOperation: string
    readonly input: TypeExpr
  }
  | { readonly kind: "authop"; readonly op: string }
  | { readonly kind: "register" }

/** A linked module: the program, its resolutions, node ids and its artifact. @since 0.1.0 */
export interface LinkedModule {
  readonly program: Program
  readonly env: HostEnvironment
  readonly artifact: ModuleArtifact
  /** @internal */
  readonly calls: WeakMap<Expr, CallResolution>
  /** @internal Node ids of performing nodes. */
  readonly nodeIds: WeakMap<object, string>
  /** @internal Module-path expressions resolved to authorities. */
  readonly authorities: WeakMap<Expr, { readonly path: ReadonlyArray<string>; readonly resourceType: string }>
  /** @internal Process definitions by name. */
  readonly processValues: ReadonlyMap<string, { readonly decl: ProcessDecl; readonly export: ProcessExport }>
  /** @internal Expressions that contain a host operation (statements too). */
  readonly effectful: WeakSet<object>
}

const strip = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(strip)
  if (x instanceof RecordValue) return { $record: [...x.entries].map(([k, v]) => [k, strip(v)]) }
  if (typeof x === "object" && x !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(x)) if (k !== "p" && v !== undefined) out[k] = strip(v)
    return out
  }
  return typeof x === "number" && !Number.isFinite(x) ? String(x) : x
}

/** How many type nodes the static type of one value may have; beyond it, parts are typed `any`. */
const VALUE_TYPE_NODES = 256

/**
 * The static type of a runtime value (for globals from earlier blocks): lists by their first 50 items, records by
 * their fields down to depth 8, and at most 256 type nodes in all, so a large or widely shared value gets a small
 * type (gradual typing makes `any` safe: the boundaries check values at run time). @internal
 */
export const typeOfValue = (value: Value): TypeExpr => {
  let nodes = VALUE_TYPE_NODES
  const go = (v: Value, depth: number): TypeExpr => {
    if (--nodes < 0) return T.any
    if (v === null) return T.null
    if (typeof v === "boolean") return T.bool
    if (typeof v === "number") return Number.isInteger(v) ? T.int : T.float
    if (typeof v === "string") return T.str
    if (isList(v)) return T.list(unionOf(v.slice(0, 50).map((x) => go(x, depth + 1))))
    if (isRecord(v)) {
      if (depth >= 8) return T.dict
      return T.object([...v.entries].map(([name, x]) => ({ name, type: go(x, depth + 1), optional: false })))
    }
    switch (v._tag) {
      case "Authority":
        return T.ref(v.resourceType)
      case "Descriptor":
        return T.ref(v.typeName)
      case "ProcessDef":
        return T.process(T.any, T.any)
      case "TypeValue":
        return T.ref("type")
    }
  }
  return go(value, 0)
}

const unionOf = (types: ReadonlyArray<TypeExpr>): TypeExpr => {
  const seen = new Map<string, TypeExpr>()
  for (const t of types) seen.set(canonicalJsonUnsafe(t), t)
  const uniq = [...seen.values()]
  return uniq.length === 0 ? T.any : uniq.length === 1 ? uniq[0]! : T.union(uniq)
}

class Linker {
  readonly calls = new WeakMap<Expr, CallResolution>()
  readonly authorities = new WeakMap<Expr, { path: ReadonlyArray<string>; resourceType: string }>()
  readonly effectful = new WeakSet<object>()
  readonly paths = new Map<object, { entry: string; path: string; kind: string }>()
  private readonly req = {
    modules: new Map<string, { path: Array<string>; resourceType: string }>(),
    operations: new Map<string, { resourceType: string; op: string; input: TypeExpr; output: TypeExpr }>(),
    constructors: new Map<string, { path: Array<string>; input: TypeExpr; typeName: string }>(),
    namedTypes: new Map<string, TypeExpr>(),
    triggerSources: new Map<string, { eventType: string }>(),
    abilities: new Set<"processes" | "sleep" | "processSignals" | "triggers">()
  }
  private readonly typeAliases = new Map<string, TypeExpr>()
  private readonly processes = new Map<string, ProcessDecl>()
  private currentSpan: Span | undefined

  constructor(
    readonly program: Program,
    readonly env: HostEnvironment,
    readonly globals: ReadonlyMap<string, Value>
  ) {
    this.typeScope = {
      env,
      aliases: this.typeAliases,
      onNamedType: (name, type) => this.req.namedTypes.set(name, type),
      unknownType: (name) => this.fail("UnknownType", `unknown type \`${name}\``)
    }
  }

  fail(kind: string, message: string, hint?: string): never {
    throw new LashlangLinkError({
      kind,
      message,
      ...(hint === undefined ? {} : { hint }),
      ...(this.currentSpan === undefined ? {} : { span: this.currentSpan })
    })
  }

  private moduleFor(path: ReadonlyArray<string>): { path: ReadonlyArray<string>; resourceType: string } | undefined {
    const alias = path.join(".")
    return this.env.catalog.modules.find((m) => m.path.join(".") === alias)
  }
  private isResourceType(name: string): boolean {
    return isResourceType(this.env, name)
  }
  private gate(ability: "processes" | "sleep" | "processSignals" | "triggers"): void {
    if (!this.env.abilities[ability]) {
      const name = ability === "processSignals" ? "process_signals" : ability
      this.fail("FeatureDisabled", `lashlang feature \`${name}\` is disabled by this host`)
    }
    this.req.abilities.add(ability)
  }
  /** Resolves Refs to aliases and named data types (recording each named type as a requirement). */
  resolveType(t: TypeExpr): TypeExpr {
    return resolveType(this.typeScope, t)
  }
  private readonly typeScope: TypeScope

  // ---- name tables ----
  private assigned(stmts: ReadonlyArray<Stmt>, out: Set<string>): Set<string> {
    for (const s of stmts) {
      if (s.k === "assign" && s.target.path.length === 0) out.add(s.target.root)
      if (s.k === "for") out.add(s.v)
      if (s.k === "if") {
        this.assigned(s.then, out)
        if (s.else) this.assigned(s.else, out)
      }
      if (s.k === "for" || s.k === "while") this.assigned(s.body, out)
    }
    return out
  }

  // ---- linking ----
  link(): LinkedModule {
    for (const t of this.program.types) {
      this.currentSpan = t.p
      if (this.typeAliases.has(t.name)) this.fail("DuplicateDeclaration", `duplicate declaration \`${t.name}\``)
      this.typeAliases.set(t.name, t.type)
    }
    for (const p of this.program.processes) {
      this.currentSpan = p.p
      this.gate("processes")
      if (this.processes.has(p.name) || this.typeAliases.has(p.name)) {
        this.fail("DuplicateDeclaration", `duplicate declaration \`${p.name}\``)
      }
      const names = new Set<string>()
      for (const param of p.params) {
        if (names.has(param.name)) this.fail("DuplicateProcessParam", `duplicate process parameter \`${param.name}\``)
        names.add(param.name)
        this.resolveType(param.type)
      }
      if (p.signals !== undefined) {
        this.gate("processSignals")
        const sig = new Set<string>()
        for (const s of p.signals) {
          if (sig.has(s.name)) this.fail("DuplicateProcessSignal", `duplicate process signal \`${s.name}\``)
          sig.add(s.name)
          this.resolveType(s.type)
        }
      }
      if (p.returns !== undefined) this.resolveType(p.returns)
      this.processes.set(p.name, p)
    }
    // Foreground scope: globals, assigned names, process names.
    const fgNames = this.assigned(
      this.program.body,
      new Set([...this.globals.keys(), ...Object.keys(this.env.readOnlyBindings)])
    )
    const fgTypes = new Map<string, TypeExpr>([...this.globals].map(([k, v]) => [k, typeOfValue(v)] as const))
    for (const [k, t] of Object.entries(this.env.readOnlyBindings)) fgTypes.set(k, t)
    const fgHandles = startedHandles(this.program.body, new Set(fgTypes.keys()))
    this.stmts(this.program.body, {
      names: fgNames,
      types: fgTypes,
      handles: fgHandles,
      entry: "main",
      path: "b",
      inProcess: false
    })
    const exports: Record<string, ProcessExport> = {}
    const decls = [...this.program.processes]
    decls.forEach((p, pos) => {
      const scopeNames = this.assigned(p.body, new Set(p.params.map((x) => x.name)))
      const types = new Map(p.params.map((x) => [x.name, this.resolveType(x.type)] as const))
      const handles = startedHandles(p.body, new Set(types.keys()))
      this.stmts(p.body, { names: scopeNames, types, handles, entry: p.name, path: `p${pos}`, inProcess: true })
      exports[p.name] = {
        ref: { component: sha256Hex(strip(p)), pos },
        params: p.params.map((x) => ({ name: x.name, type: x.type })),
        ...(p.returns === undefined ? {} : { returns: p.returns }),
        ...(p.signals === undefined ? {} : { signals: Object.fromEntries(p.signals.map((s) => [s.name, s.type])) })
      }
    })
    const sortBy = <X>(xs: Iterable<X>) =>
      [...xs].sort((a, b) => (canonicalJsonUnsafe(a) < canonicalJsonUnsafe(b) ? -1 : 1))
    const hostRequirements = {
      modules: sortBy(this.req.modules.values()),
      operations: sortBy(this.req.operations.values()),
      constructors: sortBy(this.req.constructors.values()),
      namedTypes: Object.fromEntries([...this.req.namedTypes].sort(([a], [b]) => (a < b ? -1 : 1))),
      triggerSources: Object.fromEntries([...this.req.triggerSources].sort(([a], [b]) => (a < b ? -1 : 1))),
      abilities: [...this.req.abilities].sort()
    }
    const hostRequirementsRef = `lashlang-host-requirements:v1:sha256:${sha256Hex(hostRequirements)}`
    const ir = strip({ processes: this.program.processes, types: this.program.types, body: this.program.body })
    const moduleRef = `lashlang:v1:sha256:${sha256Hex({ ir, exports, hostRequirementsRef })}`
    const artifact: ModuleArtifact = {
      moduleRef,
      hostRequirements,
      hostRequirementsRef,
      exports: { processes: exports },
      canonicalIr: { ir, source: this.program.source }
    }
    const nodeIds = new WeakMap<object, string>()
    for (const [node, at] of this.paths) {
      nodeIds.set(
        node,
        `${at.kind}:${sha256Hex(`${moduleRef}\u0000${at.entry}\u0000${at.path}\u0000${at.kind}`).slice(0, 24)}`
      )
    }
    const processValues = new Map(decls.map((d) => [d.name, { decl: d, export: exports[d.name]! }] as const))
    return {
      program: this.program,
      env: this.env,
      artifact,
      calls: this.calls,
      nodeIds,
      authorities: this.authorities,
      processValues,
      effectful: this.effectful
    }
  }

  private site(node: object, scope: Scope, path: string, kind: string): void {
    this.paths.set(node, { entry: scope.entry, path, kind })
  }

  private stmts(stmts: ReadonlyArray<Stmt>, scope: Scope): boolean {
    let any = false
    stmts.forEach((s, i) => {
      if (scope.path === "b" || scope.path.startsWith("p") && scope.path.indexOf(".") < 0) this.currentSpan = s.p
      if (this.stmt(s, { ...scope, path: `${scope.path}.${i}` })) any = true
    })
    return any
  }

  private stmt(s: Stmt, scope: Scope): boolean {
    if (s.k !== "if" && s.k !== "for" && s.k !== "while" && scope.inProcess) this.currentSpan = s.p
    let eff = false
    const e = (x: Expr, tag: string) => {
      if (this.expr(x, scope, `${scope.path}:${tag}`)) eff = true
    }
    switch (s.k) {
      case "if":
        e(s.c, "c")
        if (this.stmts(s.then, { ...scope, path: `${scope.path}.t` })) eff = true
        if (s.else && this.stmts(s.else, { ...scope, path: `${scope.path}.e` })) eff = true
        break
      case "for":
        e(s.e, "e")
        if (this.stmts(s.body, { ...scope, path: `${scope.path}.f` })) eff = true
        break
      case "while":
        e(s.c, "c")
        if (this.stmts(s.body, { ...scope, path: `${scope.path}.w` })) eff = true
        break
      case "break":
      case "continue":
        break
      case "submit":
      case "finish":
        if (s.e) e(s.e, "e")
        this.site(s, scope, scope.path, s.k)
        eff = true
        break
      case "print":
      case "cancel":
      case "fail":
        e(s.e, "e")
        this.site(s, scope, scope.path, s.k)
        eff = true
        break
      case "emit":
        e(s.e, "e")
        this.site(s, scope, scope.path, s.kind)
        eff = true
        break
      case "assign": {
        const root = s.target.root
        if (this.env.readOnlyBindings[root] !== undefined) {
          this.fail(
            "ReadOnlyBinding",
            `\`${root}\` is a read-only projected binding`,
            "copy the projected value into a new variable before changing it"
          )
        }
        if (!scope.names.has(root)) this.fail("UnknownName", `unknown name \`${root}\``)
        s.target.path.forEach((step, i) => {
          if ("idx" in step) e(step.idx, `i${i}`)
        })
        e(s.e, "e")
        if (s.target.path.length === 0) {
          const t = this.typeOf(s.e, scope)
          const prev = scope.types.get(root)
          scope.types.set(root, prev === undefined ? t : unionOf([prev, t]))
        }
        if (root === "trigger" && s.target.path.length === 0) scope.names.add("trigger")
        break
      }
      case "expr":
        e(s.e, "e")
        break
    }
    if (eff) this.effectful.add(s)
    return eff
  }

  /** Checks an expression; returns whether it performs a host operation. */
  private expr(x: Expr, scope: Scope, path: string, inTriggerInputs = false): boolean {
    let eff = false
    const sub = (y: Expr, tag: string) => {
      if (this.expr(y, scope, `${path}/${tag}`)) eff = true
    }
    switch (x.k) {
      case "lit":
      case "type":
        if (x.k === "type") this.resolveTypeLenient(x.t)
        break
      case "list":
        x.items.forEach((y, i) => sub(y, String(i)))
        break
      case "rec":
        x.entries.forEach(([, y], i) => sub(y, String(i)))
        break
      case "name":
        this.checkName(x, scope)
        break
      case "field": {
        if (this.isTriggerEvent(x, scope)) {
          if (!inTriggerInputs) {
            this.fail(
              "TriggerEventOutsideInputs",
              "`trigger.event` is only valid as a direct value inside `triggers.register` inputs"
            )
          }
          break
        }
        if (x.obj.k === "field" && this.isTriggerEvent(x.obj, scope)) {
          this.fail(
            "TriggerEventProjection",
            "`trigger.event` represents the whole event; projections such as `trigger.event.field` are not supported"
          )
        }
        const path0 = this.modulePath(x, scope)
        if (path0 !== undefined) break
        sub(x.obj, "o")
        const ot = this.typeOf(x.obj, scope)
        if (
          ot._tag === "Ref" && this.env.catalog.constructors[ot.name] !== undefined &&
          this.env.catalog.namedDataTypes[ot.name] === undefined
        ) {
          this.fail(
            "OpaqueHostDescriptorAccess",
            `cannot access \`.${x.key}\` on opaque host descriptor \`${ot.name}\``
          )
        }
        break
      }
      case "index":
        sub(x.obj, "o")
        sub(x.idx, "i")
        break
      case "call": {
        const builtin = BUILTINS[x.name]
        if (builtin === undefined) {
          const isOp = Object.values(this.env.catalog.resourceTypes).some((ops) => ops[x.name] !== undefined)
          if (isOp) this.fail("BareToolCall", `tools must be called through module paths, e.g. \`tools.${x.name}\``)
          this.fail("UnknownBuiltin", `unknown builtin \`${x.name}\``)
        }
        const [min, max] = builtin.arity
        if (x.args.length < min || x.args.length > max) this.fail("BuiltinArity", arityMessage(x.name, x.args.length))
        x.args.forEach((y, i) => sub(y, String(i)))
        break
      }
      case "mcall":
        if (this.mcall(x, scope, path)) eff = true
        break
      case "unwrap":
        sub(x.e, "e")
        break
      case "un":
        sub(x.e, "e")
        if (x.op === "await") {
          // Awaiting a process handle is a host operation; decided at runtime, so the node is a site.
          this.site(x, scope, path, "await")
          eff = true
        }
        break
      case "bin":
        sub(x.l, "l")
        sub(x.r, "r")
        break
      case "tern":
        sub(x.c, "c")
        sub(x.a, "a")
        sub(x.b, "b")
        break
      case "sleep":
        this.gate("sleep")
        sub(x.e, "e")
        this.site(x, scope, path, "sleep")
        eff = true
        break
      case "start": {
        this.gate("processes")
        const decl = this.processes.get(x.name)
        if (decl === undefined) this.fail("UnknownProcess", `unknown process \`${x.name}\``)
        const given = new Set<string>()
        for (const [key, arg] of x.args) {
          if (given.has(key)) this.fail("DuplicateProcessArgument", `duplicate process argument \`${key}\``)
          given.add(key)
          const param = decl.params.find((p) => p.name === key)
          if (param === undefined) {
            this.fail("UnexpectedProcessArgument", `process \`${x.name}\` does not accept argument \`${key}\``)
          }
          const pt = this.resolveType(param.type)
          const at = this.typeOf(arg, scope)
          if (pt._tag === "Ref" && this.isResourceType(pt.name)) {
            if (!(at._tag === "Ref" && at.name === pt.name) && at._tag !== "Any") {
              this.fail(
                "IncompatibleProcessArgument",
                `process \`${x.name}\` argument \`${key}\` has incompatible authority type: expected ${pt.name}, got value`
              )
            }
            if (at._tag === "Any" && arg.k === "lit") {
              this.fail(
                "IncompatibleProcessArgument",
                `process \`${x.name}\` argument \`${key}\` has incompatible authority type: expected ${pt.name}, got value`
              )
            }
          } else if (!fits(at, pt)) {
            this.fail(
              "IncompatibleProcessArgument",
              `process \`${x.name}\` argument \`${key}\` expects ${formatType(pt)}, got ${formatType(at)}`
            )
          }
        }
        for (const p of decl.params) {
          if (!given.has(p.name)) {
            this.fail("MissingProcessArgument", `process \`${x.name}\` is missing argument \`${p.name}\``)
          }
        }
        x.args.forEach(([, y], i) => sub(y, String(i)))
        this.site(x, scope, path, "start")
        eff = true
        break
      }
      case "wait": {
        this.gate("processSignals")
        // The waiting process is the target: its declaration must name the signal.
        const own = scope.inProcess ? this.processes.get(scope.entry) : undefined
        if (own !== undefined && !(own.signals ?? []).some((s) => s.name === x.name)) {
          this.fail("UnknownProcessSignal", `process \`${own.name}\` declares no signal \`${x.name}\``)
        }
        this.site(x, scope, path, "wait_signal")
        eff = true
        break
      }
      case "sigrun": {
        this.gate("processSignals")
        sub(x.h, "h")
        sub(x.payload, "p")
        // The target is known when the handle is a `start` here or a name that only ever holds one process's handle.
        const target = x.h.k === "start" ? x.h.name : x.h.k === "name" ? scope.handles.get(x.h.name) : undefined
        if (target !== undefined) this.signalFits(x, target, scope)
        this.site(x, scope, path, "signal_run")
        eff = true
        break
      }
    }
    if (eff) this.effectful.add(x)
    return eff
  }

  /**
   * `signal_run` to a process declared here: the signal must be declared and the payload's type fit it (the same
   * check `Signals.checkSignal` makes against the stored artifact at run time, for targets not known here).
   */
  private signalFits(x: Extract<Expr, { k: "sigrun" }>, target: string, scope: Scope): void {
    const decl = this.processes.get(target)
    if (decl === undefined) return
    this.currentSpan = x.p
    const declared = decl.signals?.find((s) => s.name === x.name)
    if (declared === undefined) {
      this.fail("UnknownProcessSignal", `process \`${decl.name}\` declares no signal \`${x.name}\``)
    }
    const expected = this.resolveType(declared.type)
    const given = this.typeOf(x.payload, scope)
    if (!fits(given, expected)) {
      this.fail(
        "IncompatibleSignalPayload",
        `signal \`${x.name}\` of process \`${decl.name}\` expects ${formatType(expected)}, got ${formatType(given)}`
      )
    }
  }

  private resolveTypeLenient(t: TypeExpr): void {
    // Refs inside `Type {...}` are resolved at runtime from variables holding TypeValues.
    void t
  }

  private isTriggerEvent(x: Expr, scope: Scope): boolean {
    return x.k === "field" && x.key === "event" && x.obj.k === "name" && x.obj.name === "trigger" &&
      !scope.names.has("trigger") && !scope.types.has("trigger")
  }

  private checkName(x: Extract<Expr, { k: "name" }>, scope: Scope): void {
    if (scope.names.has(x.name) || scope.types.has(x.name)) return
    if (this.processes.has(x.name)) {
      this.gate("processes")
      return
    }
    const mod = this.moduleFor([x.name])
    if (mod !== undefined) {
      this.authorities.set(x, mod)
      this.requireModule(mod)
      return
    }
    if (x.name === "trigger") {
      this.fail(
        "TriggerEventOutsideInputs",
        "`trigger.event` is only valid as a direct value inside `triggers.register` inputs"
      )
    }
    this.fail("UnknownName", `unknown name \`${x.name}\``)
  }

  private requireModule(mod: { path: ReadonlyArray<string>; resourceType: string }): void {
    this.req.modules.set(mod.path.join("."), { path: [...mod.path], resourceType: mod.resourceType })
  }

  /** The dotted chain of a receiver rooted at a non-local name, if it names a module. */
  private chainOf(x: Expr, scope: Scope): Array<string> | undefined {
    if (x.k === "name") return scope.names.has(x.name) || scope.types.has(x.name) ? undefined : [x.name]
    if (x.k === "field") {
      const base = this.chainOf(x.obj, scope)
      return base === undefined ? undefined : [...base, x.key]
    }
    return undefined
  }

  private modulePath(x: Expr, scope: Scope): ReadonlyArray<string> | undefined {
    const chain = this.chainOf(x, scope)
    if (chain === undefined) return undefined
    const mod = this.moduleFor(chain)
    if (mod === undefined) return undefined
    this.authorities.set(x, mod)
    this.requireModule(mod)
    return chain
  }

  private mcall(x: Extract<Expr, { k: "mcall" }>, scope: Scope, path: string): boolean {
    const chain = this.chainOf(x.recv, scope)
    const full = chain === undefined ? undefined : [...chain, x.name].join(".")
    // 1. Value constructor.
    const ctor = full === undefined ? undefined : this.env.catalog.constructors[full]
    if (ctor !== undefined && chain !== undefined) {
      if (x.args.length !== 1) {
        this.fail("IncompatibleConstructorInput", `constructor \`${full}\` takes exactly one argument`)
      }
      this.expr(x.args[0]!, scope, `${path}/0`)
      const at = this.typeOf(x.args[0]!, scope)
      const input = this.resolveType(ctor.input)
      if (!fits(at, input)) {
        this.fail(
          "IncompatibleConstructorInput",
          `constructor \`${full}\` expects ${formatType(input)}, got ${formatType(at)}`
        )
      }
      this.req.constructors.set(full!, { path: [...chain, x.name], input: ctor.input, typeName: ctor.typeName })
      const src = this.env.catalog.triggerSources[full!]
      if (src !== undefined) {
        this.req.triggerSources.set(full!, src)
        const ev = this.env.catalog.namedDataTypes[src.eventType]
        if (ev !== undefined) this.req.namedTypes.set(src.eventType, ev)
      }
      this.calls.set(x, { kind: "ctor", typeName: ctor.typeName, input, precise: !containsImprecise(at) })
      return false
    }
    // 2. Module operation.
    const mod = chain === undefined ? undefined : this.moduleFor(chain)
    if (mod !== undefined) {
      if (mod.resourceType === "Triggers" && x.name === "register") {
        this.gate("triggers")
        this.requireModule(mod)
        this.triggerRegister(x, scope, path)
        this.calls.set(x, { kind: "register" })
        this.site(x, scope, path, "trigger_register")
        return true
      }
      if (mod.resourceType === "Triggers" && (x.name === "list" || x.name === "cancel")) {
        this.gate("triggers")
        this.triggerQuery(x)
      }
      const op = this.env.catalog.resourceTypes[mod.resourceType]?.[x.name]
      if (op === undefined) {
        this.fail("UnknownOperation", `resource type \`${mod.resourceType}\` does not expose operation \`${x.name}\``)
      }
      this.requireModule(mod)
      this.req.operations.set(`${mod.resourceType}.${x.name}`, {
        resourceType: mod.resourceType,
        op: x.name,
        input: op.input,
        output: op.output
      })
      x.args.forEach((y, i) => this.expr(y, scope, `${path}/${i}`))
      const argType = x.args.length === 1 ? this.typeOf(x.args[0]!, scope) : T.list(T.any)
      const input = this.resolveType(op.input)
      if (!fits(argType, input)) {
        this.fail(
          "IncompatibleOperationInput",
          `operation \`${mod.path.join(".")}.${x.name}\` expects ${formatType(input)}, got ${formatType(argType)}`
        )
      }
      this.calls.set(x, {
        kind: "op",
        path: mod.path,
        resourceType: mod.resourceType,
        op: x.name,
        hostOperation: op.hostOperation,
        input
      })
      this.site(x, scope, path, "call")
      return true
    }
    if (chain !== undefined) {
      const prefix = chain.join(".")
      const children = this.env.catalog.modules.filter((m) =>
        m.path.join(".").startsWith(prefix + ".") &&
        this.env.catalog.resourceTypes[m.resourceType]?.[x.name] !== undefined
      )
      if (children.length > 0) {
        this.fail(
          "AmbiguousModuleOperation",
          `module \`${prefix}\` does not expose operation \`${x.name}\`; available identity-qualified paths: ${
            children.map((c) => `${c.path.join(".")}.${x.name}`).join(", ")
          }`
        )
      }
      if (chain.length === 1 && (scope.names.has(chain[0]!) || scope.types.has(chain[0]!))) {
        // unreachable: chainOf returns undefined for locals
      }
      this.fail("UnresolvedReceiver", `receiver for operation \`${x.name}\` is not a module authority`)
    }
    // 3. An expression of authority type.
    const rt = this.typeOf(x.recv, scope)
    if (rt._tag === "Ref" && this.isResourceType(rt.name)) {
      const op = this.env.catalog.resourceTypes[rt.name]?.[x.name]
      if (op === undefined) {
        this.fail("UnknownOperation", `resource type \`${rt.name}\` does not expose operation \`${x.name}\``)
      }
      this.req.operations.set(`${rt.name}.${x.name}`, {
        resourceType: rt.name,
        op: x.name,
        input: op.input,
        output: op.output
      })
      this.expr(x.recv, scope, `${path}/r`)
      x.args.forEach((y, i) => this.expr(y, scope, `${path}/${i}`))
      this.calls.set(x, { kind: "authop", op: x.name })
      this.site(x, scope, path, "call")
      return true
    }
    return this.fail("UnresolvedReceiver", `receiver for operation \`${x.name}\` is not a module authority`)
  }

  /** `triggers.list({ target?, name?, source_type?, enabled? })` and `triggers.cancel({ handle })`: the record shape. */
  private triggerQuery(x: Extract<Expr, { k: "mcall" }>): void {
    const arg = x.args[0]
    const keys = x.args.length === 1 && arg?.k === "rec" ? arg.entries.map(([k]) => k) : undefined
    if (x.name === "list") {
      if (keys === undefined || keys.some((k) => !["target", "name", "source_type", "enabled"].includes(k))) {
        this.fail(
          "InvalidTriggerList",
          "trigger listing requires one record literal with keys among target, name, source_type, enabled"
        )
      }
    } else if (keys === undefined || keys.length !== 1 || keys[0] !== "handle") {
      this.fail("InvalidTriggerCancel", "trigger cancellation requires { handle }")
    }
  }

  private triggerRegister(x: Extract<Expr, { k: "mcall" }>, scope: Scope, path: string): void {
    const arg = x.args[0]
    if (x.args.length !== 1 || arg === undefined || arg.k !== "rec") {
      this.fail("InvalidTriggerRegistration", "trigger registration requires { source, target, inputs, name? }")
    }
    const entries = new Map(arg.entries)
    const keys = arg.entries.map(([k]) => k)
    if (
      !entries.has("source") || !entries.has("target") || !entries.has("inputs") ||
      keys.some((k) => !["source", "target", "inputs", "name"].includes(k))
    ) {
      this.fail("InvalidTriggerRegistration", "trigger registration requires { source, target, inputs, name? }")
    }
    const source = entries.get("source")!
    this.expr(source, scope, `${path}/source`)
    const st = this.typeOf(source, scope)
    const src = st._tag === "Ref" ? this.env.catalog.triggerSources[st.name] : undefined
    if (src === undefined) {
      this.fail(
        "UnknownTriggerSource",
        `trigger source type \`${formatType(st)}\` is not registered as a TriggerSource`
      )
    }
    const event = this.env.catalog.namedDataTypes[src.eventType] ?? T.any
    const target = entries.get("target")!
    let params: ReadonlyArray<{ name: string; type: TypeExpr }> | undefined
    let targetName = "target"
    if (target.k === "name" && this.processes.has(target.name) && !scope.names.has(target.name)) {
      const decl = this.processes.get(target.name)!
      params = decl.params
      targetName = decl.name
      this.expr(target, scope, `${path}/target`)
    } else {
      this.expr(target, scope, `${path}/target`)
      const tt = this.typeOf(target, scope)
      if (tt._tag !== "Process") {
        this.fail("InvalidTriggerTarget", `trigger target must be a process value, got ${formatType(tt)}`)
      }
    }
    const inputs = entries.get("inputs")!
    if (inputs.k !== "rec") this.fail("InvalidTriggerInputs", "trigger registration `inputs` must be a literal record")
    const problem = triggerInputProblem({
      params,
      targetName,
      event,
      entries: inputs.entries.map(([name, value]) => ({
        name,
        kind: value.k === "field" && value.obj.k === "field" && this.isTriggerEvent(value.obj, scope)
          ? "projection" as const
          : this.isTriggerEvent(value, scope)
          ? "event" as const
          : "fixed" as const
      })),
      resolve: (t) => this.resolveType(t),
      onFixed: (i) => {
        const [name, value] = inputs.entries[i]!
        this.expr(value, scope, `${path}/inputs/${name}`)
      }
    })
    if (problem !== undefined) this.fail(problem.kind, problem.message)
    const name = entries.get("name")
    if (name !== undefined) this.expr(name, scope, `${path}/name`)
  }

  typeOf(x: Expr, scope: Scope): TypeExpr {
    switch (x.k) {
      case "lit":
        return x.v === null
          ? T.null
          : typeof x.v === "boolean"
          ? T.bool
          : typeof x.v === "string"
          ? T.str
          : x.int === true
          ? T.int
          : T.float
      case "list":
        return T.list(unionOf(x.items.map((y) => this.typeOf(y, scope))))
      case "rec":
        return T.object(x.entries.map(([name, y]) => ({ name, type: this.typeOf(y, scope), optional: false })))
      case "name": {
        const t = scope.types.get(x.name)
        if (t !== undefined) return this.resolveTypeSafe(t)
        if (scope.names.has(x.name)) return T.any
        const decl = this.processes.get(x.name)
        if (decl !== undefined) {
          return T.process(
            T.object(decl.params.map((p) => ({ name: p.name, type: p.type, optional: false }))),
            decl.returns ?? T.any
          )
        }
        const mod = this.moduleFor([x.name])
        if (mod !== undefined) return T.ref(mod.resourceType)
        return T.any
      }
      case "field": {
        const mod = this.chainOf(x, scope)
        if (mod !== undefined) {
          const m = this.moduleFor(mod)
          if (m !== undefined) return T.ref(m.resourceType)
        }
        const ot = this.resolveTypeSafe(this.typeOf(x.obj, scope))
        if (ot._tag === "Object") return ot.fields.find((f) => f.name === x.key)?.type ?? T.any
        return T.any
      }
      case "mcall": {
        const res = this.calls.get(x)
        if (res?.kind === "ctor") return T.ref(res.typeName)
        if (res?.kind === "register") return T.triggerHandle(T.any)
        return T.any
      }
      case "unwrap": {
        if (x.e.k === "mcall") {
          const res = this.calls.get(x.e)
          if (res?.kind === "op") return this.env.catalog.resourceTypes[res.resourceType]?.[res.op]?.output ?? T.any
        }
        return T.any
      }
      case "un":
        return x.op === "!" ? T.bool : x.op === "-" ? (this.typeOf(x.e, scope)._tag === "Int" ? T.int : T.float) : T.any
      case "bin": {
        if (["==", "!=", "<", "<=", ">", ">=", "and", "or"].includes(x.op)) return T.bool
        const l = this.typeOf(x.l, scope)
        const r = this.typeOf(x.r, scope)
        if (x.op === "+" && (l._tag === "Str" || r._tag === "Str")) return T.str
        if (x.op === "+" && l._tag === "List" && r._tag === "List") return T.list(unionOf([l.item, r.item]))
        if (l._tag === "Any" || r._tag === "Any") return T.any
        if (x.op !== "/" && l._tag === "Int" && r._tag === "Int") return T.int
        return T.float
      }
      case "tern":
        return unionOf([this.typeOf(x.a, scope), this.typeOf(x.b, scope)])
      case "call":
        return BUILTINS[x.name]?.returns ?? T.any
      default:
        return T.any
    }
  }

  private resolveTypeSafe(t: TypeExpr): TypeExpr {
    try {
      return this.resolveType(t)
    } catch {
      return T.any
    }
  }
}

const containsImprecise = (t: TypeExpr): boolean =>
  someNestedType(t, (x) => x._tag === "Any" || x._tag === "Int" || x._tag === "Float")

interface Scope {
  readonly names: Set<string>
  readonly types: Map<string, TypeExpr>
  /** Names that only ever hold the handle of one process declared here (see {@link startedHandles}). */
  readonly handles: ReadonlyMap<string, string>
  readonly entry: string
  readonly path: string
  readonly inProcess: boolean
}

/** @internal */
export const linkSync = (
  program: Program,
  env: HostEnvironment,
  globals: ReadonlyMap<string, Value> = new Map()
): LinkedModule => new Linker(program, env, globals).link()

/**
 * Links a program against a host environment. `globals` are the current foreground globals (typed from values).
 *
 * @since 0.1.0
 */
export const link = (
  program: Program,
  env: HostEnvironment,
  options?: { readonly globals?: ReadonlyMap<string, Value> }
): Effect.Effect<LinkedModule, LashlangLinkError> =>
  Effect.try({
    try: () => linkSync(program, env, options?.globals ?? new Map()),
    catch: (e) => (e instanceof LashlangLinkError ? e : new LashlangLinkError({ kind: "Internal", message: String(e) }))
  })

/**
 * Rebuilds a linked module from a stored artifact alone (plus the environment it must run in): the source stored
 * in the artifact is parsed and linked again, and the result must reproduce the artifact's refs.
 *
 * @since 0.1.0
 */
export const loadArtifact = (
  artifact: ModuleArtifact,
  env: HostEnvironment
): Effect.Effect<LinkedModule, LashlangLinkError> =>
  Effect.try({
    try: () => {
      const ir = artifact.canonicalIr as { readonly source?: unknown }
      if (typeof ir?.source !== "string") {
        throw new LashlangLinkError({ kind: "ArtifactCorrupt", message: "artifact has no source" })
      }
      const linked = linkSync(parseSync(ir.source), env)
      if (linked.artifact.moduleRef !== artifact.moduleRef) {
        throw new LashlangLinkError({
          kind: "ArtifactMismatch",
          message: `artifact ${artifact.moduleRef} does not reproduce under this host environment`
        })
      }
      return linked
    },
    catch: (
      e
    ) => (e instanceof LashlangLinkError ? e : new LashlangLinkError({ kind: "ArtifactCorrupt", message: String(e) }))
  })

/**
 * Re-runs the trigger compatibility checks 5–7 of docs/lashlang.md, "Semantics" against a stored process export.
 *
 * @since 0.1.0
 */
export const checkTriggerCompatibility = (
  target: ProcessExport,
  event: NamedDataType,
  inputs: ReadonlyArray<
    { readonly name: string; readonly binding: { readonly kind: "event" } | { readonly kind: "fixed" } }
  >,
  env: HostEnvironment
): LashlangLinkError | undefined => {
  try {
    const problem = triggerInputProblem({
      params: target.params,
      targetName: undefined,
      event: event.type,
      entries: inputs.map((i) => ({ name: i.name, kind: i.binding.kind })),
      resolve: (t) =>
        resolveType({
          env,
          aliases: new Map(),
          unknownType: (name) => {
            throw new LashlangLinkError({ kind: "UnknownType", message: `unknown type \`${name}\`` })
          }
        }, t)
    })
    return problem === undefined ? undefined : new LashlangLinkError(problem)
  } catch (e) {
    return e instanceof LashlangLinkError ? e : new LashlangLinkError({ kind: "Internal", message: String(e) })
  }
}
