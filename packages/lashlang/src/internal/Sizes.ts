/**
 * Value sizes and the shape limits (docs/lashlang.md, "Limits", value sizes). Every list, record and tagged value
 * carries its size (about the length of its JSON text, counting a shared part once per reference, so sharing can
 * never hide an expansion) and its nesting depth, computed when it is built from the sizes of its parts. Building a
 * value past a limit fails at that step; everything done with a value afterwards (printing, comparing, encoding,
 * persisting) is bounded by its size. Values from outside (globals, process arguments, host results) are admitted
 * once: measured, and their strings made well formed.
 *
 * @internal
 */
import { type Descriptor, isList, isRecord, RecordValue, type TypeValue, type Value } from "../Value.js"
import { type ExecLimits, RECORD_ENTRY_WORK } from "./Budget.js"
import { fault, limitExceeded } from "./Fault.js"
import { wellFormed } from "./Strings.js"

/** The size of `null`, a boolean or a number. */
export const SCALAR_SIZE = 8
/** What an entry adds to a record besides its value: the key, two quotes, a colon and a comma. */
const ENTRY_OVERHEAD = 4

/** The size and depth of a value. */
export interface Meta {
  size: number
  depth: number
}

/**
 * Sizes of containers built or admitted by an interpreter. A container is only ever changed in place while exactly
 * one run owns it (docs/lashlang.md, "Performance"), which updates its entry here, so a cached size is always the
 * size of the container's current contents.
 */
const metas = new WeakMap<object, Meta>()
/** Sizes of the (immutable) JSON schemas of type values, shared between the type values that embed them. */
const schemaMetas = new WeakMap<object, Meta>()

const measureUncached = (v: object): Meta => {
  if (Array.isArray(v)) {
    let size = 2
    let depth = 0
    for (const x of v as ReadonlyArray<Value>) {
      size += sizeOf(x) + 1
      depth = Math.max(depth, depthOf(x))
    }
    return { size, depth: depth + 1 }
  }
  if (v instanceof RecordValue) {
    let size = 2
    let depth = 0
    for (const [k, x] of v.entries) {
      size += k.length + ENTRY_OVERHEAD + sizeOf(x)
      depth = Math.max(depth, depthOf(x))
    }
    return { size, depth: depth + 1 }
  }
  const t = v as Exclude<Value, null | boolean | number | string | ReadonlyArray<Value> | RecordValue>
  switch (t._tag) {
    case "Authority":
      return { size: 40 + t.alias.length + t.resourceType.length, depth: 1 }
    case "ProcessDef":
      return {
        size: 120 + t.processName.length + t.moduleRef.length + t.processRef.component.length +
          t.hostRequirementsRef.length,
        depth: 2
      }
    case "Descriptor":
      return { size: 64 + t.typeName.length + sizeOf(t.value), depth: 1 + depthOf(t.value) }
    case "TypeValue": {
      const m = measureJson(t.schema, schemaMetas)
      return { size: 12 + m.size, depth: 1 + m.depth }
    }
  }
}

const metaOf = (v: object): Meta => metas.get(v) ?? measureUncached(v)

/** Records the new shape of a container changed in place (its meta object is updated, not replaced). */
const setMeta = (c: object, shape: Meta): void => {
  const m = metas.get(c)
  if (m === undefined) metas.set(c, { size: shape.size, depth: shape.depth })
  else {
    m.size = shape.size
    m.depth = shape.depth
  }
}

/** The size of a value. */
export const sizeOf = (v: Value): number => {
  if (typeof v === "string") return v.length + 2
  if (v === null || typeof v !== "object") return SCALAR_SIZE
  return metaOf(v).size
}

/** The nesting depth of a value: 0 for scalars and strings, 1 + the deepest part for containers. */
export const depthOf = (v: Value): number => (v === null || typeof v !== "object" ? 0 : metaOf(v).depth)

/** Size and depth of plain JSON (a type value's schema), memoised by object so shared parts are not walked twice. */
const measureJson = (j: unknown, memo: WeakMap<object, Meta>): Meta => {
  if (typeof j === "string") return { size: j.length + 2, depth: 0 }
  if (j === null || typeof j !== "object") return { size: SCALAR_SIZE, depth: 0 }
  const known = memo.get(j)
  if (known !== undefined) return known
  let size = 2
  let depth = 0
  if (Array.isArray(j)) {
    for (const x of j) {
      const m = measureJson(x, memo)
      size += m.size + 1
      depth = Math.max(depth, m.depth)
    }
  } else {
    for (const [k, x] of Object.entries(j as Record<string, unknown>)) {
      const m = measureJson(x, memo)
      size += k.length + ENTRY_OVERHEAD + m.size
      depth = Math.max(depth, m.depth)
    }
  }
  const meta = { size, depth: depth + 1 }
  memo.set(j, meta)
  return meta
}

/** Builds values within the limits of one run. */
export class Shapes {
  constructor(
    readonly limits: ExecLimits,
    /** Charges work to the run's budget. */
    readonly charge: (units: number) => void
  ) {}

  private check(size: number, depth: number): void {
    if (depth > this.limits.maxValueDepth) limitExceeded(`value nesting too deep (limit ${this.limits.maxValueDepth})`)
    if (size > this.limits.maxValueSize) this.tooLarge()
  }

  /** Fails with the value-size error. */
  tooLarge(): never {
    return fault(
      "LimitExceeded",
      `value too large (limit ${this.limits.maxValueSize})`,
      "a value's size is about the length of its JSON text, counting a shared part once per reference; keep less data in one value"
    )
  }

  /** A string within the length limit. */
  string(s: string): string {
    if (s.length > this.limits.maxStringLength) {
      limitExceeded(`string too long (limit ${this.limits.maxStringLength})`)
    }
    return s
  }

  /** A list of `items` (taken over, never copied). */
  list(items: Array<Value>): ReadonlyArray<Value> {
    const n = items.length
    if (n > this.limits.maxListLength) limitExceeded(`list too long (limit ${this.limits.maxListLength})`)
    this.charge(n)
    let size = 2 + n
    let depth = 0
    for (let i = 0; i < n; i++) {
      const x = items[i]!
      if (typeof x === "string") size += x.length + 2
      else if (x === null || typeof x !== "object") size += SCALAR_SIZE
      else {
        const m = metaOf(x)
        size += m.size
        if (m.depth > depth) depth = m.depth
      }
    }
    this.check(size, depth + 1)
    metas.set(items, { size, depth: depth + 1 })
    return items
  }

  /** A record of `entries` (taken over, never copied). */
  record(entries: Map<string, Value>): RecordValue {
    if (entries.size > this.limits.maxRecordEntries) {
      limitExceeded(`record too large (limit ${this.limits.maxRecordEntries})`)
    }
    this.charge(entries.size * RECORD_ENTRY_WORK)
    let size = 2
    let depth = 0
    for (const [k, x] of entries) {
      size += k.length + ENTRY_OVERHEAD + sizeOf(x)
      const d = depthOf(x)
      if (d > depth) depth = d
    }
    this.check(size, depth + 1)
    const r = new RecordValue(entries)
    metas.set(r, { size, depth: depth + 1 })
    return r
  }

  /** The result of a value constructor. */
  descriptor(typeName: string, value: Value): Descriptor {
    const d: Descriptor = { _tag: "Descriptor", typeName, value }
    const m = measureUncached(d)
    this.check(m.size, m.depth)
    metas.set(d, m)
    return d
  }

  /** The value of a `Type {...}` literal. */
  typeValue(schema: unknown): TypeValue {
    const t: TypeValue = { _tag: "TypeValue", schema }
    const m = measureUncached(t)
    this.check(m.size, m.depth)
    metas.set(t, m)
    return t
  }

  // ---- in-place changes of a container one run owns ------------------------------------------------------------
  // A change is planned first (every limit checked, every cost charged) and applied after, so a change that fails
  // leaves every container as it was.

  /** Charges the copy of a list or record (the copy-on-write step). */
  chargeCopy(c: ReadonlyArray<Value> | RecordValue): void {
    this.charge(isList(c) ? c.length : (c as RecordValue).size * RECORD_ENTRY_WORK)
  }

  /** A copy of a list or record with the same size (charged by {@link chargeCopy} when planned). */
  copy<C extends ReadonlyArray<Value> | RecordValue>(c: C): C {
    const m = metaOf(c)
    const out = isList(c) ? c.slice() : new RecordValue(new Map((c as RecordValue).entries))
    metas.set(out, { size: m.size, depth: m.depth })
    return out as unknown as C
  }

  /** The shape `list` would have with `added` appended; checked against the limits. */
  planAppend(list: ReadonlyArray<Value>, added: ReadonlyArray<Value>): Meta {
    if (list.length + added.length > this.limits.maxListLength) {
      limitExceeded(`list too long (limit ${this.limits.maxListLength})`)
    }
    const m = metaOf(list)
    let size = m.size + added.length
    let depth = m.depth - 1
    for (let i = 0; i < added.length; i++) {
      const x = added[i]!
      if (typeof x === "string") size += x.length + 2
      else if (x === null || typeof x !== "object") size += SCALAR_SIZE
      else {
        const p = metaOf(x)
        size += p.size
        if (p.depth > depth) depth = p.depth
      }
    }
    this.check(size, depth + 1)
    this.charge(added.length)
    return { size, depth: depth + 1 }
  }

  /** Appends to an owned list as planned. */
  applyAppend(list: ReadonlyArray<Value>, added: ReadonlyArray<Value>, planned: Meta): void {
    for (let i = 0; i < added.length; i++) (list as Array<Value>).push(added[i]!)
    setMeta(list, planned)
  }

  /** The plan of {@link planAppendOne}, one object reused by every call. */
  private readonly onePlan: { size: number; depth: number } = { size: 0, depth: 0 }

  /**
   * {@link planAppend} of the one item `item`, without an array around it and without a new plan object (the
   * `xs = xs + [x]` / `push(xs, x)` of a loop allocates nothing per round): valid until the next call.
   */
  planAppendOne(list: ReadonlyArray<Value>, item: Value): Meta {
    if (list.length + 1 > this.limits.maxListLength) {
      limitExceeded(`list too long (limit ${this.limits.maxListLength})`)
    }
    const m = metaOf(list)
    const plan = this.onePlan
    plan.size = m.size + 1 + sizeOf(item)
    plan.depth = Math.max(m.depth, depthOf(item) + 1)
    this.check(plan.size, plan.depth)
    this.charge(1)
    return plan
  }

  /** Appends one item to an owned list as planned by {@link planAppendOne}. */
  applyAppendOne(list: ReadonlyArray<Value>, item: Value, planned: Meta): void {
    ;(list as Array<Value>).push(item)
    setMeta(list, planned)
  }

  /**
   * The shape `c` would have with a part of size `partSize` and depth `partDepth` at `key` (a record key, or the
   * index of an existing list item); checked against the limits.
   */
  planSet(c: ReadonlyArray<Value> | RecordValue, key: string | number, partSize: number, partDepth: number): Meta {
    const m = metaOf(c)
    const old = isList(c) ? c[key as number] : (c as RecordValue).get(key as string)
    let size = m.size + partSize
    if (old !== undefined) size -= sizeOf(old)
    else {
      if ((c as RecordValue).size + 1 > this.limits.maxRecordEntries) {
        limitExceeded(`record too large (limit ${this.limits.maxRecordEntries})`)
      }
      size += (key as string).length + ENTRY_OVERHEAD
    }
    const newDepth = partDepth + 1
    let depth = Math.max(m.depth, newDepth)
    if (old !== undefined && newDepth < m.depth && depthOf(old) + 1 === m.depth) {
      // The deepest part is being replaced by a shallower one: measure the others again.
      depth = newDepth
      if (isList(c)) {
        for (let i = 0; i < c.length; i++) if (i !== key) depth = Math.max(depth, depthOf(c[i]!) + 1)
      } else {
        for (const [k, x] of (c as RecordValue).entries) if (k !== key) depth = Math.max(depth, depthOf(x) + 1)
      }
      this.chargeCopy(c)
    }
    this.check(size, depth)
    return { size, depth }
  }

  /** Sets a part of an owned container as planned. */
  applySet(c: ReadonlyArray<Value> | RecordValue, key: string | number, value: Value, planned: Meta): void {
    if (isList(c)) (c as Array<Value>)[key as number] = value
    else ((c as RecordValue).entries as Map<string, Value>).set(key as string, value)
    setMeta(c, planned)
  }

  // ---- values from outside -------------------------------------------------------------------------------------

  /**
   * Admits a value from outside the run (a global, a process argument, a host result): strings are made well
   * formed (containers are copied only where one changes) and every container is measured. With `enforce`, a value
   * past a limit is refused; globals from earlier blocks are only measured (a lowered limit never loses state).
   */
  admit(v: Value, enforce: boolean): Value {
    return this.admitAt(v, 0, enforce)
  }

  private admitAt(v: Value, depth: number, enforce: boolean): Value {
    if (v === null || typeof v === "boolean" || typeof v === "number") return v
    if (typeof v === "string") {
      if (enforce) this.string(v)
      return wellFormed(v)
    }
    if (typeof v !== "object") return fault("TypeError", `the host returned a value of an unknown kind (${typeof v})`)
    if (depth >= this.limits.maxValueDepth && (isList(v) || isRecord(v))) {
      if (enforce || depth > 4 * this.limits.maxValueDepth) {
        limitExceeded(`value nesting too deep (limit ${this.limits.maxValueDepth})`)
      }
    }
    const known = metas.get(v)
    if (known !== undefined) {
      if (enforce) this.checkShape(v, known)
      return v
    }
    if (isList(v)) {
      let out: Array<Value> | undefined
      for (let i = 0; i < v.length; i++) {
        const x = this.admitAt(v[i] === undefined ? null : v[i]!, depth + 1, enforce)
        if (x !== v[i] && out === undefined) out = v.slice(0, i)
        if (out !== undefined) out.push(x)
      }
      const list = out ?? v
      const m = measureUncached(list)
      if (enforce) this.checkShape(list, m)
      metas.set(list, m)
      return list
    }
    if (isRecord(v)) {
      let changed = false
      const entries = new Map<string, Value>()
      for (const [k, x] of v.entries) {
        const key = wellFormed(k)
        const y = this.admitAt(x === undefined ? null : x, depth + 1, enforce)
        if (key !== k || y !== x) changed = true
        entries.set(key, y)
      }
      const r = changed ? new RecordValue(entries) : v
      const m = measureUncached(r)
      if (enforce) this.checkShape(r, m)
      metas.set(r, m)
      return r
    }
    if (v._tag === "Descriptor") {
      const inner = this.admitAt(v.value, depth + 1, enforce)
      return inner === v.value ? v : { _tag: "Descriptor", typeName: v.typeName, value: inner }
    }
    return v
  }

  private checkShape(c: object, m: Meta): void {
    const v = c as Value
    if (isList(v) && v.length > this.limits.maxListLength) {
      limitExceeded(`list too long (limit ${this.limits.maxListLength})`)
    }
    if (isRecord(v) && v.size > this.limits.maxRecordEntries) {
      limitExceeded(`record too large (limit ${this.limits.maxRecordEntries})`)
    }
    this.check(m.size, m.depth)
  }
}
