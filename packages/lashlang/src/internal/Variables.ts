/**
 * The variables of one run (docs/lashlang.md, "Semantics", programs and variables): one flat namespace of cells, the
 * total size of what they hold, and single ownership.
 *
 * - **Total size.** Every binding counts its name and the size of its value (once per reference), and a change that
 *   would take the total past `maxGlobalsSize` fails at that step, so neither a block nor a session can grow its
 *   state without bound. A change that shrinks the total always succeeds.
 * - **Single ownership** (docs/lashlang.md, "Performance"). Values are immutable to programs; a container that one
 *   variable holds exclusively may still be changed in place, which is unobservable. A cell owns its value when
 *   `cell.owned === cell.v`; an inner container is owned by the container that holds it (`ownedBy`). Any read that
 *   lets a container escape (a variable read as a whole value, a field or index read that yields a container) drops
 *   that ownership, so the next change copies first. Ownership lives in this run only: values from earlier blocks
 *   or from the host are never changed in place.
 *
 * @internal
 */
import type { Value } from "../Value.js"
import type { ExecLimits } from "./Budget.js"
import { limitExceeded } from "./Fault.js"
import { type Shapes, sizeOf } from "./Sizes.js"

/** One variable. Compiled code reads and writes `v` directly; `owned` is the container it owns exclusively. */
export interface Cell {
  readonly name: string
  v: Value | undefined
  owned: object | undefined
}

/** What a binding of `name` to a value of size `size` adds to the total. */
const entrySize = (name: string, size: number) => name.length + 4 + size

const heavy = (v: Value | undefined): boolean => typeof v === "string" || (typeof v === "object" && v !== null)

/** The variables of a run. */
export class Variables {
  private readonly cells = new Map<string, Cell>()
  /** Bound variables in the order the outcome's globals list them (a `Map`'s: first binding, rebinding moves last). */
  private readonly bound = new Map<string, Cell>()
  private readonly owners = new WeakMap<object, object>()
  private total = 0

  constructor(
    globals: ReadonlyMap<string, Value>,
    shapes: Shapes,
    private readonly limits: ExecLimits
  ) {
    for (const [name, value] of globals) {
      const v = shapes.admit(value, false)
      const cell: Cell = { name, v, owned: undefined }
      this.cells.set(name, cell)
      this.bound.set(name, cell)
      this.total += entrySize(name, sizeOf(v))
    }
  }

  /** The cell of `name` (unbound until assigned). */
  cell(name: string): Cell {
    let c = this.cells.get(name)
    if (c === undefined) {
      c = { name, v: undefined, owned: undefined }
      this.cells.set(name, c)
    }
    return c
  }

  /** Reserves `delta` more units of total size (fails past the limit); a negative delta always succeeds. */
  resize(delta: number): void {
    if (delta > 0 && this.total + delta > this.limits.maxGlobalsSize) {
      limitExceeded(`variables too large (limit ${this.limits.maxGlobalsSize} in total)`)
    }
    this.total += delta
  }

  /** Binds `cell` to `v`. */
  set(cell: Cell, v: Value): void {
    const old = cell.v
    if (old === undefined) {
      this.resize(entrySize(cell.name, sizeOf(v)))
      cell.v = v
      this.bound.set(cell.name, cell)
      return
    }
    if (heavy(old) || heavy(v)) this.resize(sizeOf(v) - sizeOf(old))
    cell.v = v
    cell.owned = undefined
  }

  /** Puts back the value `cell` had before a `for` loop, owned as it was; never fails (it only restores a state). */
  restore(cell: Cell, v: Value | undefined, owned: object | undefined): void {
    if (v === undefined) return this.unbind(cell)
    this.total += sizeOf(v) - (cell.v === undefined ? -cell.name.length - 4 : sizeOf(cell.v))
    if (cell.v === undefined) this.bound.set(cell.name, cell)
    cell.v = v
    cell.owned = owned
  }

  /** Unbinds `cell` (a `for` variable that had no value before its loop). */
  unbind(cell: Cell): void {
    if (cell.v === undefined) return
    this.total -= entrySize(cell.name, sizeOf(cell.v))
    cell.v = undefined
    cell.owned = undefined
    this.bound.delete(cell.name)
  }

  /** Whether `child` is held exclusively by `parent`. */
  ownedBy(child: Value, parent: object): boolean {
    return typeof child === "object" && child !== null && this.owners.get(child) === parent
  }

  /** Records that `parent` holds `child` exclusively. */
  own(child: object, parent: object): void {
    this.owners.set(child, parent)
  }

  /** A container escapes: nobody owns it any more. */
  disown(v: Value): void {
    if (typeof v === "object" && v !== null) this.owners.delete(v)
  }

  /** The globals of the outcome, in binding order. */
  snapshot(): Map<string, Value> {
    const out = new Map<string, Value>()
    for (const [name, cell] of this.bound) out.set(name, cell.v!)
    return out
  }
}
