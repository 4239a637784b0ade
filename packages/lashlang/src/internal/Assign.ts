/**
 * Assignment into containers (docs/lashlang.md, "Semantics", field access, indexing, assignment). `r.a[i] = v`
 * rebuilds the spine from the root, copy-on-write; a container the variable owns exclusively (see `Variables`) is
 * changed in place instead, so building a record key by key or overwriting list items is linear, not quadratic.
 * Appending to a list (`xs = xs + [v]`, `xs = push(xs, v)`) grows an owned list in place the same way. Every change
 * is planned first (limits checked, work charged) and applied after, so a failing assignment changes nothing.
 *
 * @internal
 */
import type { RecordValue } from "../Value.js"
import { isList, isRecord, typeName, type Value } from "../Value.js"
import { toInteger } from "./Coerce.js"
import { fault } from "./Fault.js"
import { depthOf, type Meta, type Shapes, sizeOf } from "./Sizes.js"
import { TextOverflow, toText } from "./Text.js"
import type { Cell, Variables } from "./Variables.js"

type Container = ReadonlyArray<Value> | RecordValue

/** One step of a target path with its evaluated key. */
export interface PathStep {
  readonly field: boolean
  readonly key: Value
}

const recordKey = (key: Value, field: boolean, shapes: Shapes): string => {
  if (field) return key as string
  const limit = shapes.limits.maxStringLength
  try {
    return toText(key, limit, shapes.charge)
  } catch (e) {
    if (e instanceof TextOverflow) return fault("LimitExceeded", `string too long (limit ${limit})`)
    throw e
  }
}

/** `cell.<path> = value`. */
export const assignPath = (
  vars: Variables,
  shapes: Shapes,
  cell: Cell,
  path: ReadonlyArray<PathStep>,
  value: Value
): void => {
  const root = cell.v
  if (root === undefined) return fault("UnknownName", `unknown name \`${cell.name}\``)
  // Walk the path: the containers, their normalised keys, and which ones the variable owns.
  const containers: Array<Container> = []
  const keys: Array<string | number> = []
  const owned: Array<boolean> = []
  let current: Value = root
  let chainOwned = cell.owned === root
  for (let i = 0; i < path.length; i++) {
    const { field, key } = path[i]!
    const last = i === path.length - 1
    let k: string | number
    let next: Value | undefined
    if (isRecord(current)) {
      k = recordKey(key, field, shapes)
      next = current.get(k)
      if (!last && next === undefined) return fault("TypeError", `can't assign through missing field \`.${k}\``)
    } else if (isList(current) && !field) {
      const index = toInteger(key, "list assignment index must be an integer")
      k = index < 0 ? current.length + index : index
      if (k < 0 || k >= current.length) return fault("ValueError", "list assignment index out of bounds")
      next = current[k]
    } else if (field) {
      return fault("TypeError", `can't assign \`.${key as string}\` on ${typeName(current)}`)
    } else {
      return fault("TypeError", `can't assign index on ${typeName(current)}`)
    }
    if (i > 0) chainOwned = chainOwned && vars.ownedBy(current, containers[i - 1]!)
    containers.push(current)
    keys.push(k)
    owned.push(chainOwned)
    current = next as Value
  }
  // Plan bottom-up: the new shape of every container on the path, checked against the limits.
  const planned: Array<Meta> = new Array(path.length)
  let partSize = sizeOf(value)
  let partDepth = depthOf(value)
  for (let i = path.length - 1; i >= 0; i--) {
    const m = shapes.planSet(containers[i]!, keys[i]!, partSize, partDepth)
    planned[i] = m
    partSize = m.size
    partDepth = m.depth
    if (!owned[i]) shapes.chargeCopy(containers[i]!)
  }
  vars.resize(planned[0]!.size - sizeOf(root))
  // Apply top-down: copy what is not owned, change in place what is.
  const top = owned[0] ? containers[0]! : shapes.copy(containers[0]!)
  let holder: Container = top
  for (let i = 0; i < path.length; i++) {
    if (i === path.length - 1) {
      shapes.applySet(holder, keys[i]!, value, planned[i]!)
      break
    }
    const child = containers[i + 1]!
    const part = owned[i + 1] ? child : shapes.copy(child)
    vars.own(part, holder)
    shapes.applySet(holder, keys[i]!, part, planned[i]!)
    holder = part
  }
  cell.v = top
  cell.owned = top
}

/**
 * `cell = cell + [item]` / `cell = push(cell, item)` for a list `cell` holds: {@link appendToList} of one item, with no
 * array around it.
 */
export const appendOneToList = (
  vars: Variables,
  shapes: Shapes,
  cell: Cell,
  list: ReadonlyArray<Value>,
  item: Value
) => {
  if (cell.owned === list && item !== list) {
    const planned = shapes.planAppendOne(list, item)
    vars.resize(planned.size - sizeOf(list))
    shapes.applyAppendOne(list, item, planned)
  } else {
    appendToList(vars, shapes, cell, list, [item])
  }
}

/**
 * `cell = cell + added` for a list `cell` holds: in place when the variable owns the list, otherwise one copy that
 * the variable then owns.
 */
export const appendToList = (
  vars: Variables,
  shapes: Shapes,
  cell: Cell,
  list: ReadonlyArray<Value>,
  added: ReadonlyArray<Value>
): void => {
  if (cell.owned === list && added !== list) {
    const planned = shapes.planAppend(list, added)
    vars.resize(planned.size - sizeOf(list))
    shapes.applyAppend(list, added, planned)
    return
  }
  const next = list.slice()
  for (const x of added) next.push(x)
  const built = shapes.list(next)
  vars.set(cell, built)
  cell.owned = built
}
