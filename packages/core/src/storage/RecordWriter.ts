/**
 * A record kind's canonical JSON writer, compiled once from its Schema (`RecordCodec.encode`): one pass over the value
 * that checks it as `Schema.encode` would and writes the canonical JSON (`Canonical.ts` of `@lash/lashlang`) of what
 * `Schema.encode` would return, without building the encoded copy or sorting its keys at run time. On the turn commit
 * the Schema encode and the canonical writer were about a fifth of the commit's CPU (docs/performance.md, B1).
 *
 * The writer vouches only for what it checks itself. Anything it does not model exactly, and every value it does not
 * accept, goes to the reference path (`Schema.encode` then `Canonical.canonicalJson`): a subtree of a kind it does
 * not compile is written by that path, and a value it refuses (`undefined`) makes `RecordCodec.encode` run that path on
 * the whole record, which then returns the same text or throws the same error as before. So a compiled writer can
 * only ever return the reference text, never another one (packages/core/test/storage/recordWriter.test.ts checks
 * both, on generated values and on every mutation of the stored kinds' fixtures).
 *
 * What is compiled, with `Schema.encode`'s semantics (effect's `ParseResult.ts`, encoding, default parse options):
 * - strings, numbers (finite only: canonical JSON has no other), booleans, literals and unions of literals;
 * - refinements of those (branded ids, `NonNegativeInt`): the base type, then every filter, innermost first;
 * - structs of string-named properties: an object that is not an array, each required property an own property of
 *   it (an inherited one goes to the reference path), optional ones skipped when absent, excess properties dropped;
 *   keys are written in the canonical (UTF-16 code unit) order computed once;
 * - records with a plain string key (`Schema.Record({ key: Schema.String, ... })`): every own enumerable key, sorted
 *   (an own `__proto__` key goes to the reference path: effect's encoder assigns it, which sets a prototype);
 * - arrays (`Schema.Array`): an array, every element;
 * - unions of structs that share a required single-literal property with pairwise different values: only the member
 *   with the value's literal can accept it, so it is the member `Schema.encode` picks.
 * - `Json` itself (the declaration of `Json.ts`, not a copy re-annotated): `Schema.encode` returns a value its guard
 *   `isJson` accepts as it is, so the text is canonical JSON of the value, written without the parser around it.
 * Other declarations, suspensions, transformations, tuples, nodes with parse-option annotations: the reference path.
 *
 * @since 0.1.0
 */
import { Canonical } from "@lash/lashlang"
import { Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"
import { isJson, Json } from "../Json.js"

/** Canonical JSON of the encoded value, or `undefined` when this writer does not vouch for the value. */
type Writer = (value: unknown) => string | undefined

const hasOwn = Object.prototype.hasOwnProperty

/** A subtree the compiler does not model: `Schema.encode` then canonical JSON, as the reference path does. */
const reference = (ast: AST.AST): Writer => {
  const encode = ParseResult.encodeUnknownEither(Schema.make(ast))
  return (value) => {
    const encoded = encode(value)
    if (Either.isLeft(encoded)) return undefined
    const text = Canonical.canonicalJson(encoded.right)
    return Either.isRight(text) ? text.right : undefined
  }
}

/** Options that change how effect parses a node: the compiler leaves such nodes to the reference path. */
const annotated = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

type Scalar = string | number | boolean | null

const isScalar = (literal: AST.LiteralValue): literal is Scalar =>
  literal === null || typeof literal === "string" || typeof literal === "boolean" ||
  (typeof literal === "number" && Number.isFinite(literal))

const scalarText = (literal: Scalar): string =>
  typeof literal === "string" ? Canonical.canonicalString(literal) : String(literal)

const writeNumber = (value: unknown): string | undefined =>
  typeof value === "number" && Number.isFinite(value) ? String(value) : undefined

const writeString = (value: unknown): string | undefined =>
  typeof value === "string" ? Canonical.canonicalString(value) : undefined

const writeBoolean = (value: unknown): string | undefined =>
  value === true ? "true" : value === false ? "false" : undefined

/** A scalar keyword or literal, or `undefined` when `ast` is neither. */
const scalarWriter = (ast: AST.AST): Writer | undefined => {
  if (annotated(ast)) return undefined
  switch (ast._tag) {
    case "StringKeyword":
      return writeString
    case "NumberKeyword":
      return writeNumber
    case "BooleanKeyword":
      return writeBoolean
    case "Literal": {
      const literal = ast.literal
      if (!isScalar(literal)) return undefined
      const text = scalarText(literal)
      return (value) => (value === literal ? text : undefined)
    }
    default:
      return undefined
  }
}

/** A chain of refinements over a scalar: the scalar's check, then each filter innermost first. */
const refinementWriter = (ast: AST.Refinement): Writer | undefined => {
  const chain: Array<AST.Refinement> = []
  let base: AST.AST = ast
  while (AST.isRefinement(base)) {
    if (annotated(base)) return undefined
    chain.unshift(base)
    base = base.from
  }
  const write = scalarWriter(base)
  if (write === undefined) return undefined
  return (value) => {
    const text = write(value)
    if (text === undefined) return undefined
    for (let i = 0; i < chain.length; i++) {
      const refinement = chain[i]!
      if (Option.isSome(refinement.filter(value, AST.defaultParseOption, refinement))) return undefined
    }
    return text
  }
}

interface Property {
  readonly name: string
  readonly key: string
  readonly optional: boolean
  readonly write: Writer
}

/** The one key effect's encoder does not copy as a key (it assigns `output[key]`, which sets the prototype). */
const PROTO = "__proto__"

const quotedKey = (name: string) => `${Canonical.canonicalString(name)}:`

const structWriter = (ast: AST.TypeLiteral): Writer | undefined => {
  if (ast.indexSignatures.length > 0 || ast.propertySignatures.length === 0) return undefined
  const properties: Array<Property> = []
  for (const signature of ast.propertySignatures) {
    // `output.__proto__ = …` in effect's encoder sets a prototype instead of a key: not modelled.
    if (typeof signature.name !== "string" || signature.name === PROTO) return undefined
    properties.push({
      name: signature.name,
      key: quotedKey(signature.name),
      optional: signature.isOptional,
      write: compile(signature.type)
    })
  }
  // Canonical JSON sorts keys by UTF-16 code unit, which is what the default sort compares.
  properties.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
    const record = value as Record<string, unknown>
    let out = "{"
    let first = true
    for (let i = 0; i < properties.length; i++) {
      const property = properties[i]!
      if (!hasOwn.call(record, property.name)) {
        if (property.optional) continue
        return undefined
      }
      const text = property.write(record[property.name])
      if (text === undefined) return undefined
      out += first ? property.key + text : "," + property.key + text
      first = false
    }
    return out + "}"
  }
}

const recordWriter = (ast: AST.TypeLiteral): Writer | undefined => {
  if (ast.propertySignatures.length > 0 || ast.indexSignatures.length !== 1) return undefined
  const signature = ast.indexSignatures[0]!
  if (signature.parameter._tag !== "StringKeyword" || annotated(signature.parameter)) return undefined
  const write = compile(signature.type)
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    let out = "{"
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (key === PROTO) return undefined
      const text = write(record[key])
      if (text === undefined) return undefined
      out += (i > 0 ? "," : "") + quotedKey(key) + text
    }
    return out + "}"
  }
}

const arrayWriter = (ast: AST.TupleType): Writer | undefined => {
  if (ast.elements.length > 0 || ast.rest.length !== 1) return undefined
  const write = compile(ast.rest[0]!.type)
  return (value) => {
    if (!Array.isArray(value)) return undefined
    let out = "["
    for (let i = 0; i < value.length; i++) {
      const text = write(value[i])
      if (text === undefined) return undefined
      out += i > 0 ? "," + text : text
    }
    return out + "]"
  }
}

/** The required single-literal property every member has, with pairwise different values, if any. */
const discriminant = (members: ReadonlyArray<AST.TypeLiteral>): string | undefined => {
  const literalOf = (member: AST.TypeLiteral, name: string) => {
    const signature = member.propertySignatures.find((s) => s.name === name)
    return signature !== undefined && !signature.isOptional && AST.isLiteral(signature.type) &&
        isScalar(signature.type.literal)
      ? { literal: signature.type.literal }
      : undefined
  }
  for (const candidate of members[0]!.propertySignatures) {
    if (typeof candidate.name !== "string") continue
    const seen = new Set<Scalar>()
    let ok = true
    for (const member of members) {
      const found = literalOf(member, candidate.name as string)
      if (found === undefined || seen.has(found.literal)) {
        ok = false
        break
      }
      seen.add(found.literal)
    }
    if (ok) return candidate.name
  }
  return undefined
}

const unionWriter = (ast: AST.Union): Writer | undefined => {
  const types = ast.types
  if (types.every((t) => AST.isLiteral(t) && !annotated(t) && isScalar(t.literal))) {
    const texts = new Map<unknown, string>(types.map((t) => {
      const literal = (t as AST.Literal).literal as Scalar
      return [literal, scalarText(literal)]
    }))
    // A Map compares like `===` here: its keys are finite numbers, strings, booleans and null.
    return (value) => texts.get(value)
  }
  if (!types.every((t): t is AST.TypeLiteral => AST.isTypeLiteral(t) && !annotated(t))) return undefined
  const name = discriminant(types)
  if (name === undefined) return undefined
  const byLiteral = new Map<unknown, Writer>()
  for (const member of types) {
    const signature = member.propertySignatures.find((s) => s.name === name)!
    byLiteral.set((signature.type as AST.Literal).literal, compile(member))
  }
  return (value) => {
    if (typeof value !== "object" || value === null || !hasOwn.call(value, name)) return undefined
    const write = byLiteral.get((value as Record<string, unknown>)[name])
    return write === undefined ? undefined : write(value)
  }
}

/** `Json`: the declaration's guard, then canonical JSON of the value (what the reference path writes for it). */
const writeJson: Writer = (value) => {
  if (!isJson(value)) return undefined
  const text = Canonical.canonicalJson(value)
  return Either.isRight(text) ? text.right : undefined
}

const compiled = new WeakMap<AST.AST, Writer>()

const compileNew = (ast: AST.AST): Writer | undefined => {
  if (annotated(ast)) return undefined
  switch (ast._tag) {
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "Literal":
      return scalarWriter(ast)
    case "Refinement":
      return refinementWriter(ast)
    case "TypeLiteral":
      return structWriter(ast) ?? recordWriter(ast)
    case "TupleType":
      return arrayWriter(ast)
    case "Union":
      return unionWriter(ast)
    case "Declaration":
      return ast === Json.ast ? writeJson : undefined
    default:
      return undefined
  }
}

const compile = (ast: AST.AST): Writer => {
  let writer = compiled.get(ast)
  if (writer === undefined) {
    writer = compileNew(ast) ?? reference(ast)
    compiled.set(ast, writer)
  }
  return writer
}

/**
 * The canonical JSON writer of a schema's encoded values: the text `Canonical.canonicalJson(Schema.encode(value))`
 * would be, or `undefined` when the caller must take that reference path itself (the value does not encode, has no
 * canonical form, or holds something the writer does not model).
 *
 * @since 0.1.0
 */
export const writerOf = <A, I>(schema: Schema.Schema<A, I>): (value: A) => string | undefined => {
  const write = compile(schema.ast)
  return (value) => {
    try {
      return write(value)
    } catch {
      // A filter that throws: the reference path decides (and throws what it throws).
      return undefined
    }
  }
}
